/**
 * Pseudo-random generator: AES-128 in counter mode over zeros, via node:crypto (AES-NI), keyed by a 16-byte seed.
 * One instance is one continuous stream, so successive `next` calls on both sides of the OT extension stay
 * aligned chunk after chunk.
 */
import { createCipheriv, type Cipher } from "node:crypto";

const ZERO_IV = Buffer.alloc(16);

export class AesCtrPrg {
  private readonly cipher: Cipher;
  private zeros: Buffer = Buffer.alloc(0);

  constructor(seed: Uint8Array) {
    if (seed.length !== 16) throw new RangeError("PRG seed must be 16 bytes");
    this.cipher = createCipheriv("aes-128-ctr", seed, ZERO_IV);
  }

  /** The next `byteLength` bytes of the stream, in a fresh buffer. */
  next(byteLength: number): Buffer {
    if (this.zeros.length < byteLength) this.zeros = Buffer.alloc(byteLength);
    return this.cipher.update(this.zeros.subarray(0, byteLength));
  }
}
