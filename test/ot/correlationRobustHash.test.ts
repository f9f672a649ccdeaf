import { describe, expect, it } from "@jest/globals";
import { createCipheriv, randomBytes } from "node:crypto";
import { CorrelationRobustHash } from "../../src/ot/correlationRobustHash.js";

/** H(x, i) = π(π(x) xor i) xor π(x), one block at a time, straight from the definition. */
function definition(key: Uint8Array, block: Uint8Array, tweak: number): Buffer {
  const aes = (input: Uint8Array) => createCipheriv("aes-128-ecb", key, null).setAutoPadding(false).update(input);
  const permuted = aes(block);
  const tweaked = Buffer.from(permuted);
  tweaked.writeUInt32LE((tweaked.readUInt32LE(0) ^ (tweak >>> 0)) >>> 0, 0);
  tweaked.writeUInt32LE((tweaked.readUInt32LE(4) ^ Math.floor(tweak / 2 ** 32)) >>> 0, 4);
  const result = aes(tweaked);
  for (let i = 0; i < 16; i++) result[i] ^= permuted[i];
  return result;
}

describe("tweakable correlation-robust hash", () => {
  it("hashes each block under its tweaks as the definition does, several tweaks per block included", () => {
    const key = randomBytes(16);
    const hash = new CorrelationRobustHash(key);
    const blocks = Uint8Array.from(randomBytes(5 * 16));
    // A first tweak above 2³² exercises the high word.
    for (const [firstTweak, perBlock] of [[0, 1], [7, 3], [2 ** 32 - 2, 4]]) {
      const hashed = hash.hash(blocks, firstTweak, perBlock);
      expect(hashed.length).toBe(blocks.length * perBlock);
      for (let n = 0; n < 5; n++) {
        for (let j = 0; j < perBlock; j++) {
          const expected = definition(key, blocks.subarray(16 * n, 16 * n + 16), firstTweak + n * perBlock + j);
          expect(Buffer.from(hashed.subarray(16 * (n * perBlock + j), 16 * (n * perBlock + j + 1))).equals(expected)).toBe(true);
        }
      }
    }
  });

  it("gives different blocks and different tweaks different hashes", () => {
    const hash = new CorrelationRobustHash(randomBytes(16));
    const same = new Uint8Array(32);
    const hashed = hash.hash(same, 0, 2);
    const hex = new Set(Array.from({ length: 4 }, (_, index) => Buffer.from(hashed.subarray(16 * index, 16 * index + 16)).toString("hex")));
    expect(hex.size).toBe(4);
  });
});
