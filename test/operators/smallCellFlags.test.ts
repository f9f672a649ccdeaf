/**
 * The minimum-cell-count test against brute force: every value of small signed widths, many thresholds,
 * in the clear and garbled; and its cost against the two comparisons and equality it replaced.
 */
import { describe, expect, it } from "@jest/globals";
import { decodeSigned, encodeIntegers, type BitPlanes } from "../../src/circuit/bitVector/bitPlanes.js";
import { CountingBackend } from "../../src/circuit/countingBackend.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runGarbled } from "../../src/circuit/twoParty.js";
import { lessThanConstant, smallCellFlags } from "../../src/operators/suppression.js";

/** Every w-bit two's complement value, one per lane. */
function allSigned(width: number): bigint[] {
  return Array.from({ length: 2 ** width }, (_, index) => BigInt(index) - (1n << BigInt(width - 1)));
}

describe("smallCellFlags", () => {
  it.each([1, 2, 3, 5, 7])("flags exactly the %i-bit values from 1 to t−1, and zero, for t from 0 to 70", async (width) => {
    const values = allSigned(width);
    const backend = new PlaintextBackend();
    for (let threshold = 0; threshold <= 70; threshold++) {
      const value: BitPlanes = { wires: backend.constant(encodeIntegers(values, width)), width, lanes: values.length };
      const { suppressed, isZero } = await smallCellFlags(backend, value, threshold);
      expect(Array.from(suppressed.data)).toEqual(values.map((v) => (v >= 1n && v < BigInt(threshold) ? 1 : 0)));
      expect(Array.from(isZero.data)).toEqual(values.map((v) => (v === 0n ? 1 : 0)));
    }
  });

  it("gives the same flags garbled as in the clear", async () => {
    const width = 6;
    const values = allSigned(width);
    const run = await runGarbled(async (backend, [wires]) => {
      const { suppressed, isZero } = await smallCellFlags(backend, { wires, width, lanes: values.length }, 11);
      return [suppressed, isZero];
    }, [encodeIntegers(values, width)]);
    expect(Array.from(run.outputs[0])).toEqual(values.map((v) => (v >= 1n && v <= 10n ? 1 : 0)));
    expect(Array.from(run.outputs[1])).toEqual(values.map((v) => (v === 0n ? 1 : 0)));
    expect(decodeSigned(encodeIntegers(values, width), width)).toEqual(values);
  });

  it("costs about width + lg t ANDs per lane: 26 for a 22-bit count at t = 11, where two comparisons and an equality cost 65", async () => {
    const backend = new CountingBackend();
    await smallCellFlags(backend, { wires: backend.input(22), width: 22, lanes: 1 }, 11);
    expect(backend.counts.and).toBe(26);
  });
});

describe("lessThanConstant", () => {
  it("is x < c for every 5-bit x and every c up to 40", async () => {
    const width = 5;
    const values = Array.from({ length: 32 }, (_, index) => BigInt(index));
    const backend = new PlaintextBackend();
    for (let c = 0n; c <= 40n; c++) {
      const less = await lessThanConstant(backend, { wires: backend.constant(encodeIntegers(values, width)), width, lanes: values.length }, c);
      expect(Array.from(less.data)).toEqual(values.map((x) => (x < c ? 1 : 0)));
    }
  });
});
