import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "../../src/share/random.js";
import { splitShares, xorBytes } from "../../src/share/xorShare.js";

describe("XOR sharing", () => {
  it("recombines exactly, at aligned and unaligned lengths", () => {
    for (const length of [0, 1, 7, 64, 1001]) {
      const secret = randomBytes(length);
      const { garbler, evaluator } = splitShares(secret);
      expect(xorBytes(garbler, evaluator)).toEqual(secret);
    }
  });

  it("gives shares that look random even for an all-zero secret", () => {
    const { garbler, evaluator } = splitShares(new Uint8Array(4096));
    const ones = (bytes: Uint8Array) => bytes.reduce((sum, byte) => sum + byte.toString(2).replace(/0/g, "").length, 0);
    // 32768 fair bits: the count of ones lies within ±6 standard deviations (±543) of 16384.
    expect(Math.abs(ones(garbler) - 16384)).toBeLessThan(543);
    expect(evaluator).toEqual(garbler);
  });
});
