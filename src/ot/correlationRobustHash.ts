/**
 * Tweakable correlation-robust hash from fixed-key AES (Guo, Katz, Wang, Yu 2019, the TCCR construction):
 *   H(x, i) = π(π(x) xor i) xor π(x),   π = AES-128 under a public key chosen fresh per session.
 * Turns correlated pairs (K, K xor Δ) into independent-looking pads. Batched: two ECB calls per batch, and a
 * block hashed under several tweaks (a long pad) shares its π(x).
 * The tweak of block n is (firstTweak + n) as a little-endian 64-bit integer in the low half of the block.
 */
import { createCipheriv, type Cipher } from "node:crypto";
import { aligned, BLOCK_BYTES, wordsOf } from "./blocks.js";

export class CorrelationRobustHash {
  private readonly permutation: Cipher;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError("hash key must be 16 bytes");
    this.permutation = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  }

  /**
   * Hashes every 16-byte block of `blocks` under `tweaksPerBlock` tweaks in a row (block n, tweak j gets
   * firstTweak + n·tweaksPerBlock + j); returns the hashes in that order. π(x) is computed once per block,
   * so a block hashed under k tweaks costs 1 + k AES calls rather than 2k.
   */
  hash(blocks: Uint8Array, firstTweak: number, tweaksPerBlock = 1): Uint8Array {
    const count = blocks.length / BLOCK_BYTES;
    const permutedWords = wordsOf(aligned(this.permutation.update(blocks)));
    const tweaked = new Uint8Array(count * tweaksPerBlock * BLOCK_BYTES);
    const tweakedWords = wordsOf(tweaked);
    for (let n = 0, out = 0, tweak = firstTweak; n < count; n++) {
      const p0 = permutedWords[4 * n], p1 = permutedWords[4 * n + 1], p2 = permutedWords[4 * n + 2], p3 = permutedWords[4 * n + 3];
      for (let j = 0; j < tweaksPerBlock; j++, out += 4, tweak++) {
        tweakedWords[out] = p0 ^ (tweak >>> 0);
        tweakedWords[out + 1] = p1 ^ (Math.floor(tweak / 0x1_0000_0000) >>> 0);
        tweakedWords[out + 2] = p2;
        tweakedWords[out + 3] = p3;
      }
    }
    const result = aligned(this.permutation.update(tweaked));
    const resultWords = wordsOf(result);
    for (let n = 0, out = 0; n < count; n++) {
      const p0 = permutedWords[4 * n], p1 = permutedWords[4 * n + 1], p2 = permutedWords[4 * n + 2], p3 = permutedWords[4 * n + 3];
      for (let j = 0; j < tweaksPerBlock; j++, out += 4) {
        resultWords[out] ^= p0;
        resultWords[out + 1] ^= p1;
        resultWords[out + 2] ^= p2;
        resultWords[out + 3] ^= p3;
      }
    }
    return result;
  }
}
