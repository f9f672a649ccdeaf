/** A full collection between operators frees the labels they let go at once, not when V8 next gets to them. */
import { expect, it } from "@jest/globals";
import { collectGarbage, enableGarbageCollection } from "../../src/operators/garbageCollection.js";

it("frees an unreachable column of labels at once when enabled", () => {
  // 256 MB: 16 million wires of 16-byte labels.
  enableGarbageCollection();
  let column: Uint8Array | undefined = new Uint8Array(256e6).fill(1);
  const withColumn = process.memoryUsage().arrayBuffers;
  expect(column[column.length - 1]).toBe(1);
  column = undefined;
  collectGarbage(256e6 / 16);
  expect(withColumn - process.memoryUsage().arrayBuffers).toBeGreaterThan(250e6);
});
