/**
 * Packed bit vectors: bit i lives in byte i >> 3 at position i & 7 (least significant first), the order
 * the OT extension's matrices use. Helpers convert from one-byte-per-bit arrays.
 */

export function packedByteLength(bitCount: number): number {
  return (bitCount + 7) >>> 3;
}

export function getBit(packed: Uint8Array, index: number): number {
  return (packed[index >>> 3] >>> (index & 7)) & 1;
}

export function setBit(packed: Uint8Array, index: number, bit: number): void {
  const mask = 1 << (index & 7);
  if (bit & 1) packed[index >>> 3] |= mask;
  else packed[index >>> 3] &= ~mask;
}

/** Packs one-byte-per-bit values (only the low bit of each byte counts). */
export function packBits(bits: ArrayLike<number>): Uint8Array {
  const packed = new Uint8Array(packedByteLength(bits.length));
  for (let i = 0; i < bits.length; i++) packed[i >>> 3] |= (bits[i] & 1) << (i & 7);
  return packed;
}

export function unpackBits(packed: Uint8Array, bitCount: number): Uint8Array {
  const bits = new Uint8Array(bitCount);
  for (let i = 0; i < bitCount; i++) bits[i] = (packed[i >>> 3] >>> (i & 7)) & 1;
  return bits;
}

/** Copies bits [start, start + count) of `packed` into a fresh vector starting at bit 0, padded with zeros to `paddedBitCount`. */
export function sliceBits(packed: Uint8Array, start: number, count: number, paddedBitCount = count): Uint8Array {
  const out = new Uint8Array(packedByteLength(paddedBitCount));
  if ((start & 7) === 0) {
    out.set(packed.subarray(start >>> 3, (start >>> 3) + packedByteLength(count)));
    const spare = count & 7;
    if (spare !== 0) out[count >>> 3] &= (1 << spare) - 1;
    return out;
  }
  for (let i = 0; i < count; i++) out[i >>> 3] |= getBit(packed, start + i) << (i & 7);
  return out;
}
