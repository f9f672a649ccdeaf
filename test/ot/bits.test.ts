import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { getBit, packBits, sliceBits, unpackBits } from "../../src/ot/bits.js";
import { AesCtrPrg } from "../../src/ot/prg.js";

describe("packed bits", () => {
  it("packs least significant bit first and round-trips", () => {
    expect(Array.from(packBits([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toEqual([1, 2]);
    const bits = Array.from(randomBytes(77), (byte) => byte & 1);
    expect(Array.from(unpackBits(packBits(bits), 77))).toEqual(bits);
  });

  it.each([[0, 16], [3, 20], [8, 5], [13, 40]])("slices from bit %i, %i bits", (start, count) => {
    const packed = Uint8Array.from(randomBytes(10));
    const slice = sliceBits(packed, start, count, 64);
    for (let i = 0; i < 64; i++) expect(getBit(slice, i)).toBe(i < count ? getBit(packed, start + i) : 0);
  });
});

describe("AesCtrPrg", () => {
  it("is one continuous stream however it is cut, and depends on the seed", () => {
    const seed = Uint8Array.from(randomBytes(16));
    const whole = new AesCtrPrg(seed).next(1000);
    const pieces = new AesCtrPrg(seed);
    const cut = Buffer.concat([pieces.next(5), pieces.next(16), pieces.next(979)]);
    expect(cut.equals(whole)).toBe(true);
    const other = Uint8Array.from(seed);
    other[0] ^= 1;
    expect(new AesCtrPrg(other).next(1000).equals(whole)).toBe(false);
  });
});
