/**
 * Bit-matrix transpose for the OT extension: 128 rows of m bits (one row per base OT, m OTs) become m rows of
 * 128 bits (one 16-byte block per OT). Bit order is least-significant first in little-endian 32-bit words,
 * matching bits.ts: bit c of row r is bit (c & 31) of word r·(m/32) + (c >> 5).
 *
 * Works on 32×32 tiles: load 32 words, swap sub-blocks of 16, 8, 4, 2, 1 bits (the recursive
 * block-swap transpose), store 32 words. JS has no 64-bit integers that are fast, so 32-bit tiles it is.
 */

const tile = new Int32Array(32);

/** Transposes one 32×32 tile held in `tile` in place (row r, column c is bit c of tile[r]). */
function transposeTile(): void {
  const t = tile;
  // Swap the top-right and bottom-left quadrants at each scale.
  for (let r = 0; r < 16; r++) {
    const a = t[r], b = t[r + 16];
    const x = ((a >>> 16) ^ b) & 0x0000ffff;
    t[r + 16] = b ^ x;
    t[r] = a ^ (x << 16);
  }
  for (let base = 0; base < 32; base += 16) {
    for (let r = base; r < base + 8; r++) {
      const a = t[r], b = t[r + 8];
      const x = ((a >>> 8) ^ b) & 0x00ff00ff;
      t[r + 8] = b ^ x;
      t[r] = a ^ (x << 8);
    }
  }
  for (let base = 0; base < 32; base += 8) {
    for (let r = base; r < base + 4; r++) {
      const a = t[r], b = t[r + 4];
      const x = ((a >>> 4) ^ b) & 0x0f0f0f0f;
      t[r + 4] = b ^ x;
      t[r] = a ^ (x << 4);
    }
  }
  for (let base = 0; base < 32; base += 4) {
    let a = t[base], b = t[base + 2];
    let x = ((a >>> 2) ^ b) & 0x33333333;
    t[base + 2] = b ^ x;
    t[base] = a ^ (x << 2);
    a = t[base + 1];
    b = t[base + 3];
    x = ((a >>> 2) ^ b) & 0x33333333;
    t[base + 3] = b ^ x;
    t[base + 1] = a ^ (x << 2);
  }
  for (let r = 0; r < 32; r += 2) {
    const a = t[r], b = t[r + 1];
    const x = ((a >>> 1) ^ b) & 0x55555555;
    t[r + 1] = b ^ x;
    t[r] = a ^ (x << 1);
  }
}

/**
 * `rows`: 128 row views of at least `wordsPerRow` words each (one per base OT; separate buffers are fine, so
 * PRG output can be used in place). `blocks`: receives wordsPerRow·32 rows of 4 words.
 */
export function transpose128(rows: readonly Uint32Array[], wordsPerRow: number, blocks: Uint32Array): void {
  if (rows.length !== 128 || blocks.length < wordsPerRow * 32 * 4) throw new RangeError("transpose buffers too small");
  const t = tile;
  for (let rowTile = 0; rowTile < 4; rowTile++) {
    const tileRows = rows.slice(rowTile * 32, rowTile * 32 + 32);
    for (const row of tileRows) if (row.length < wordsPerRow) throw new RangeError("transpose row too short");
    for (let column = 0; column < wordsPerRow; column++) {
      for (let r = 0; r < 32; r++) t[r] = tileRows[r][column];
      transposeTile();
      // Tile row c now holds bits of OT (column·32 + c) for base OTs rowTile·32 .. rowTile·32 + 31.
      let target = column * 128 + rowTile;
      for (let c = 0; c < 32; c++) {
        blocks[target] = t[c];
        target += 4;
      }
    }
  }
}

/** Splits one row-major matrix of 128 rows into row views, for callers holding a single buffer. */
export function rowViews(matrix: Uint32Array, wordsPerRow: number): Uint32Array[] {
  return Array.from({ length: 128 }, (_, j) => matrix.subarray(j * wordsPerRow, (j + 1) * wordsPerRow));
}

/** The obvious bit-by-bit transpose, for tests only. */
export function transpose128Reference(rows: readonly Uint32Array[], wordsPerRow: number, blocks: Uint32Array): void {
  const otCount = wordsPerRow * 32;
  blocks.fill(0, 0, otCount * 4);
  for (let r = 0; r < 128; r++) {
    for (let c = 0; c < otCount; c++) {
      const bit = (rows[r][c >>> 5] >>> (c & 31)) & 1;
      blocks[c * 4 + (r >>> 5)] |= bit << (r & 31);
    }
  }
}
