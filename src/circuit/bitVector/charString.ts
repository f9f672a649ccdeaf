/** CHAR(n) strings: n bytes laid out as one 8n-bit integer whose first character is most significant. */
import type { Backend } from "../backend.js";
import type { WireVector } from "../wireVector.js";
import { decodeUnsigned, encodeIntegers, type BitPlanes } from "./bitPlanes.js";
import { equal, lessThan } from "./compare.js";

/**
 * With the first byte most significant, lexicographic byte order is unsigned integer order, so comparisons
 * reuse the integer circuits. Shorter strings are padded with 0x00 bytes, which sort before every other byte
 * ("ab" < "ab!"). Bytes are UTF-8.
 */
export function encodeCharStrings(texts: readonly string[], length: number): Uint8Array {
  const values = texts.map((text) => {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length > length) throw new RangeError(`"${text}" is longer than CHAR(${length})`);
    let value = 0n;
    for (let k = 0; k < length; k++) value = (value << 8n) | BigInt(k < bytes.length ? bytes[k] : 0);
    return value;
  });
  return encodeIntegers(values, 8 * length);
}

export function decodeCharStrings(bits: Uint8Array, length: number): string[] {
  return decodeUnsigned(bits, 8 * length).map((value) => {
    const bytes = new Uint8Array(length);
    for (let k = length - 1; k >= 0; k--, value >>= 8n) bytes[k] = Number(value & 0xffn);
    let end = length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    return new TextDecoder().decode(bytes.subarray(0, end));
  });
}

export function stringEqual(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  return equal(backend, x, y);
}

/** x sorts before y in byte-wise lexicographic order. */
export function stringLessThan(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  return lessThan(backend, x, y);
}
