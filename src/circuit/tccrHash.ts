/** The tweakable circular correlation robust hash H(x, i) = π(π(x) ⊕ i) ⊕ π(x), π = AES-128 under a fresh random key. */
import { createCipheriv, type Cipher } from "node:crypto";
import { LABEL_BYTES, wordsOf } from "./wireVector.js";

const TWO_TO_32 = 2 ** 32;

/**
 * Guo, Katz, Wang and Yu (eprint 2019/1168), TCCR construction. The key is public (the evaluator needs it)
 * but fresh per computation, for multi-instance security. Every call hashes a whole buffer of labels with two
 * `aes-128-ecb` calls: one call per block would be ~100× slower in Node.
 */
export class TccrHash {
  private readonly cipher: Cipher;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError("the hash key is 16 bytes");
    this.cipher = createCipheriv("aes-128-ecb", key, null);
    this.cipher.setAutoPadding(false);
  }

  /**
   * H(label_i, firstTweak + i·tweakStep) for every 16-byte label of `labels`, as 32-bit words.
   * The 64-bit tweak is XORed little-endian into the first 8 bytes of the block.
   */
  hash(labels: Uint8Array, firstTweak: number, tweakStep: number): Uint32Array {
    const blocks = labels.length / LABEL_BYTES;
    const inner = this.inner(labels, firstTweak, tweakStep);
    const output = this.outer(inner);
    // H = outer ⊕ π(x) = outer ⊕ inner ⊕ tweak.
    let low = firstTweak % TWO_TO_32;
    let high = Math.floor(firstTweak / TWO_TO_32);
    for (let i = 0, q = 0; i < blocks; i++, q += 4) {
      output[q] ^= inner[q] ^ low;
      output[q + 1] ^= inner[q + 1] ^ high;
      output[q + 2] ^= inner[q + 2];
      output[q + 3] ^= inner[q + 3];
      low += tweakStep;
      if (low >= TWO_TO_32) { low -= TWO_TO_32; high += 1; }
    }
    return output;
  }

  /** The first half, π(x_i) ⊕ tweak_i; `hash` folds the final XOR (outer ⊕ inner ⊕ tweak) into one pass. */
  private inner(labels: Uint8Array, firstTweak: number, tweakStep: number): Uint32Array {
    const blocks = labels.length / LABEL_BYTES;
    const tweaked = wordsOf(this.cipher.update(labels));
    let low = firstTweak % TWO_TO_32;
    let high = Math.floor(firstTweak / TWO_TO_32);
    for (let i = 0, q = 0; i < blocks; i++, q += 4) {
      tweaked[q] ^= low;
      tweaked[q + 1] ^= high;
      low += tweakStep;
      if (low >= TWO_TO_32) { low -= TWO_TO_32; high += 1; }
    }
    return tweaked;
  }

  /** π itself over whole 16-byte blocks, for kernels that lay labels out themselves (halfGateKernels.ts). */
  permute(blocks: Uint8Array): Uint8Array {
    return this.cipher.update(blocks);
  }

  /** The second half, π(inner), as words. */
  private outer(inner: Uint32Array): Uint32Array {
    return wordsOf(this.cipher.update(new Uint8Array(inner.buffer, inner.byteOffset, inner.byteLength)));
  }
}
