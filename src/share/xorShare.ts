/** Two-out-of-two XOR secret sharing of byte strings. */
import { fillRandom } from "./random.js";

/**
 * Splits `secret` into (garbler, evaluator) shares: the garbler's is fresh CSPRNG output and the
 * evaluator's is `secret xor garbler`, so either share alone is uniformly random.
 */
export function splitShares(secret: Uint8Array): { garbler: Uint8Array; evaluator: Uint8Array } {
  const garbler = fillRandom(new Uint8Array(secret.length));
  return { garbler, evaluator: xorBytes(secret, garbler) };
}

/** `a xor b`, word by word where the buffers allow it. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`cannot XOR ${a.length} bytes with ${b.length} bytes`);
  const out = new Uint8Array(a.length);
  const words = (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) ? a.length >>> 2 : 0;
  if (words > 0) {
    const a32 = new Uint32Array(a.buffer, a.byteOffset, words);
    const b32 = new Uint32Array(b.buffer, b.byteOffset, words);
    const out32 = new Uint32Array(out.buffer, 0, words);
    for (let i = 0; i < words; i++) out32[i] = a32[i] ^ b32[i];
  }
  for (let i = words * 4; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}
