/** 16-byte blocks (labels, keys, Δ) stored contiguously: block i occupies bytes [16i, 16i + 16). */

export const BLOCK_BYTES = 16;

/** A view as 32-bit words when the offset allows; otherwise a copy would be needed, so callers align buffers. */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  if ((bytes.byteOffset & 3) !== 0 || (bytes.length & 3) !== 0) {
    throw new RangeError("buffer is not aligned to 32-bit words");
  }
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
}

/** Returns 4-byte aligned bytes with the same content (a copy only if needed). */
export function aligned(bytes: Uint8Array): Uint8Array {
  if ((bytes.byteOffset & 3) === 0) return bytes;
  return bytes.slice();
}

/** target[i] ^= source[i] over whole buffers of equal length. */
export function xorInto(target: Uint8Array, source: Uint8Array): void {
  if ((target.byteOffset & 3) === 0 && (source.byteOffset & 3) === 0 && (target.length & 3) === 0) {
    const t = new Uint32Array(target.buffer, target.byteOffset, target.length >>> 2);
    const s = new Uint32Array(source.buffer, source.byteOffset, t.length);
    for (let i = 0; i < t.length; i++) t[i] ^= s[i];
    return;
  }
  for (let i = 0; i < target.length; i++) target[i] ^= source[i];
}

/** For every block i whose bit i in `packedBits` is set: blocks[i] ^= delta. */
export function xorDeltaWhereBitSet(blocks: Uint8Array, packedBits: Uint8Array, bitOffset: number, count: number, delta: Uint8Array): void {
  const words = wordsOf(blocks);
  const d = wordsOf(aligned(delta));
  const d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3];
  for (let i = 0; i < count; i++) {
    const bitIndex = bitOffset + i;
    // Branch-free mask: all ones when the bit is set, so timing does not depend on the bit.
    const mask = -((packedBits[bitIndex >>> 3] >>> (bitIndex & 7)) & 1);
    const w = i << 2;
    words[w] ^= d0 & mask;
    words[w + 1] ^= d1 & mask;
    words[w + 2] ^= d2 & mask;
    words[w + 3] ^= d3 & mask;
  }
}
