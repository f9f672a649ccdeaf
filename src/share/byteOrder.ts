/** Byte-string order (memcmp's), without Node's Buffer, so that the library runs in browsers too. */

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return a[index] - b[index];
  return a.length - b.length;
}

/** Compares `bytes[aStart, aStart + width)` with `bytes[bStart, bStart + width)`. */
export function compareByteRanges(bytes: Uint8Array, aStart: number, bStart: number, width: number): number {
  for (let index = 0; index < width; index++) {
    const difference = bytes[aStart + index] - bytes[bStart + index];
    if (difference !== 0) return difference;
  }
  return 0;
}
