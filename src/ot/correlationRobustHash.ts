/**
 * Tweakable correlation-robust hash from fixed-key AES (Guo, Katz, Wang, Yu 2019, the TCCR construction):
 *   H(x, i) = π(π(x) xor i) xor π(x),   π = AES-128 under a public key chosen fresh per session.
 * Turns correlated pairs (K, K xor Δ) into independent-looking pads. Batched: two ECB calls per batch.
 * The tweak of block n is (firstTweak + n) as a little-endian 64-bit integer in the low half of the block.
 */
import { createCipheriv, type Cipher } from "node:crypto";
import { BLOCK_BYTES, wordsOf } from "./blocks.js";

export class CorrelationRobustHash {
  private readonly permutation: Cipher;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError("hash key must be 16 bytes");
    this.permutation = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  }

  /** Hashes every 16-byte block of `blocks` with tweaks firstTweak, firstTweak + 1, ...; returns new blocks. */
  hash(blocks: Uint8Array, firstTweak: number): Uint8Array {
    const count = blocks.length / BLOCK_BYTES;
    const permuted = this.permutation.update(blocks);
    const tweaked = Buffer.from(permuted);
    const tweakedWords = wordsOf(tweaked);
    for (let n = 0; n < count; n++) {
      const tweak = firstTweak + n;
      tweakedWords[n * 4] ^= tweak >>> 0;
      tweakedWords[n * 4 + 1] ^= Math.floor(tweak / 0x1_0000_0000) >>> 0;
    }
    const result = this.permutation.update(tweaked);
    const resultWords = wordsOf(result);
    const permutedWords = wordsOf(permuted);
    for (let w = 0; w < resultWords.length; w++) resultWords[w] ^= permutedWords[w];
    return result;
  }
}
