/** A full collection between operators frees the labels they let go at once, not when V8 next gets to them. */
import { expect, it } from "@jest/globals";
import { collectGarbage, enableGarbageCollection } from "../../src/operators/garbageCollection.js";

/** 256 MB: 16 million wires of 16-byte labels. */
const COLUMN_BYTES = 256e6;

// The column is made and dropped in frames of their own: an interpreted frame may keep any value it touched
// alive in a register until it returns, which would hide what the collection frees.
function addColumn(columns: Uint8Array[]): void {
  columns.push(new Uint8Array(COLUMN_BYTES).fill(1));
}
function dropColumns(columns: Uint8Array[]): void {
  columns.length = 0;
}

it("frees an unreachable column of labels at once when enabled", () => {
  enableGarbageCollection();
  const columns: Uint8Array[] = [];
  addColumn(columns);
  const withColumn = process.memoryUsage().arrayBuffers;
  expect(columns.length).toBe(1);
  dropColumns(columns);
  collectGarbage(COLUMN_BYTES / 16);
  expect(withColumn - process.memoryUsage().arrayBuffers).toBeGreaterThan(0.95 * COLUMN_BYTES);
});
