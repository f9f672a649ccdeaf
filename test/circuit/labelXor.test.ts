/** The SIMD label XOR against a byte loop, across the kernel's chunk boundaries, and its refusals. */
import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { xorLabels } from "../../src/circuit/labelXor.js";

describe("xorLabels", () => {
  it.each([0, 1, 3, 65535, 65536, 65537, 3 * 65536 + 5])("XORs %i labels byte for byte", (labels) => {
    const a = randomBytes(16 * labels), b = randomBytes(16 * labels);
    // Views at an offset, as slices of a wire vector are.
    const [x, y] = [new Uint8Array(Buffer.concat([randomBytes(16), a])).subarray(16), new Uint8Array(b)];
    const expected = a.map((byte, index) => byte ^ b[index]);
    expect(Buffer.from(xorLabels(x, y)).equals(Buffer.from(expected))).toBe(true);
  });

  it("refuses arrays of unequal length or of part of a label", () => {
    expect(() => xorLabels(new Uint8Array(16), new Uint8Array(32))).toThrow(RangeError);
    expect(() => xorLabels(new Uint8Array(8), new Uint8Array(8))).toThrow(RangeError);
  });
});
