import { describe, expect, it } from "@jest/globals";
import { randomFillSync } from "node:crypto";
import { rowViews, transpose128, transpose128Reference } from "../../src/ot/transpose.js";

describe("transpose128", () => {
  it.each([1, 2, 3, 8, 33])("matches the bit-by-bit transpose for %i words per row", (wordsPerRow) => {
    const rows = randomFillSync(new Uint32Array(128 * wordsPerRow));
    const fast = new Uint32Array(wordsPerRow * 32 * 4);
    const reference = new Uint32Array(wordsPerRow * 32 * 4);
    transpose128(rowViews(rows, wordsPerRow), wordsPerRow, fast);
    transpose128Reference(rowViews(rows, wordsPerRow), wordsPerRow, reference);
    expect(Array.from(fast)).toEqual(Array.from(reference));
  });

  it("puts bit (row r, column c) into block c at bit r", () => {
    const wordsPerRow = 2;
    const rows = new Uint32Array(128 * wordsPerRow);
    rows[77 * wordsPerRow + 1] = 1 << 5; // row 77, column 37
    const blocks = new Uint32Array(64 * 4);
    transpose128(rowViews(rows, wordsPerRow), wordsPerRow, blocks);
    const set = Array.from(blocks.entries()).filter(([, word]) => word !== 0);
    expect(set).toEqual([[37 * 4 + 2, 1 << (77 - 64)]]);
  });
});
