/** Randomness from the platform CSPRNG (Web Crypto), in Node and in browsers alike. */

/** getRandomValues fills at most 65,536 bytes per call. */
const MAX_CALL_BYTES = 65536;

export function fillRandom(target: Uint8Array): Uint8Array {
  for (let offset = 0; offset < target.length; offset += MAX_CALL_BYTES) {
    globalThis.crypto.getRandomValues(target.subarray(offset, Math.min(target.length, offset + MAX_CALL_BYTES)));
  }
  return target;
}

export function randomBytes(length: number): Uint8Array {
  return fillRandom(new Uint8Array(length));
}
