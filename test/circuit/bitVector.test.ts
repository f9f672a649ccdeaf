import { describe, expect, it } from "@jest/globals";
import type { Backend, CircuitProgram } from "../../src/circuit/backend.js";
import { bitPlanes, decodeUnsigned, encodeIntegers, type BitPlanes } from "../../src/circuit/bitVector/bitPlanes.js";
import { bitonicSort } from "../../src/circuit/bitVector/bitonicSort.js";
import { decodeCharStrings, encodeCharStrings, stringEqual, stringLessThan } from "../../src/circuit/bitVector/charString.js";
import { equal, lessOrEqual, lessOrEqualSigned, lessThan, lessThanSigned, notEqual } from "../../src/circuit/bitVector/compare.js";
import { add, addWithCarry, bitLength, multiply, negate, popcount, shiftLeft, shiftRight, subtract } from "../../src/circuit/bitVector/integer.js";
import { conditionalSwap, select } from "../../src/circuit/bitVector/select.js";
import type { WireVector } from "../../src/circuit/wireVector.js";
import { allPairs, checkOnAllBackends, edgeValues, seededRandom, randomBigInt } from "./harness.js";

const bits = (values: bigint[], width: number) => encodeIntegers(values, width);
const flags = (values: boolean[]) => Uint8Array.from(values, (value) => (value ? 1 : 0));
const signed = (value: bigint, width: number) => BigInt.asIntN(width, value);

/** A program over two integer inputs of `width` bits. */
function binary(width: number, body: (backend: Backend, x: BitPlanes, y: BitPlanes) => Promise<WireVector | BitPlanes>): CircuitProgram {
  return async (backend, [x, y]) => {
    const result = await body(backend, bitPlanes(x, width), bitPlanes(y, width));
    return ["wires" in result ? result.wires : result];
  };
}

const WIDTHS = [1, 8, 13, 32, 64];

describe.each(WIDTHS)("integers of %i bits on every backend", (width) => {
  const [xs, ys] = allPairs(edgeValues(width, 4), edgeValues(width, 4, width + 100));
  const lanes = xs.length;
  const inputs = [bits(xs, width), bits(ys, width)];
  const modulo = (value: bigint) => BigInt.asUintN(width, value);

  it("adds (width−1 ANDs) and adds with carry (width ANDs)", async () => {
    await checkOnAllBackends(binary(width, add), inputs, { outputs: [bits(xs.map((x, r) => modulo(x + ys[r])), width)], andGates: (width - 1) * lanes });
    await checkOnAllBackends(binary(width, addWithCarry), inputs, { outputs: [bits(xs.map((x, r) => x + ys[r]), width + 1)], andGates: width * lanes });
  });

  it("subtracts and negates (width−1 ANDs)", async () => {
    await checkOnAllBackends(binary(width, subtract), inputs, { outputs: [bits(xs.map((x, r) => modulo(x - ys[r])), width)], andGates: (width - 1) * lanes });
    await checkOnAllBackends(binary(width, (backend, x) => negate(backend, x)), inputs, { outputs: [bits(xs.map((x) => modulo(-x)), width)], andGates: (width - 1) * lanes });
  });

  it("compares unsigned and signed with width ANDs, tests equality with width−1", async () => {
    await checkOnAllBackends(binary(width, lessThan), inputs, { outputs: [flags(xs.map((x, r) => x < ys[r]))], andGates: width * lanes });
    await checkOnAllBackends(binary(width, lessOrEqual), inputs, { outputs: [flags(xs.map((x, r) => x <= ys[r]))], andGates: width * lanes });
    await checkOnAllBackends(binary(width, lessThanSigned), inputs, { outputs: [flags(xs.map((x, r) => signed(x, width) < signed(ys[r], width)))], andGates: width * lanes });
    await checkOnAllBackends(binary(width, lessOrEqualSigned), inputs, { outputs: [flags(xs.map((x, r) => signed(x, width) <= signed(ys[r], width)))], andGates: width * lanes });
    await checkOnAllBackends(binary(width, equal), inputs, { outputs: [flags(xs.map((x, r) => x === ys[r]))], andGates: (width - 1) * lanes });
    await checkOnAllBackends(binary(width, notEqual), inputs, { outputs: [flags(xs.map((x, r) => x !== ys[r]))], andGates: (width - 1) * lanes });
  });

  it("selects and swaps with one AND per bit", async () => {
    const conditions = xs.map((_, r) => r % 3 === 0);
    const program: CircuitProgram = async (backend, [x, y, condition]) => {
      const chosen = await select(backend, condition, bitPlanes(x, width), bitPlanes(y, width));
      const [first, second] = await conditionalSwap(backend, condition, bitPlanes(x, width), bitPlanes(y, width));
      return [chosen.wires, first.wires, second.wires];
    };
    await checkOnAllBackends(program, [...inputs, flags(conditions)], {
      outputs: [
        bits(xs.map((x, r) => (conditions[r] ? x : ys[r])), width),
        bits(xs.map((x, r) => (conditions[r] ? ys[r] : x)), width),
        bits(xs.map((x, r) => (conditions[r] ? x : ys[r])), width),
      ],
      andGates: 2 * width * lanes,
    });
  });

  it("shifts by public amounts for free", async () => {
    for (const amount of [0, 1, width - 1, width, width + 3]) {
      const program: CircuitProgram = async (backend, [x]) => {
        const value = bitPlanes(x, width);
        return [shiftLeft(backend, value, amount).wires, shiftRight(backend, value, amount).wires, shiftRight(backend, value, amount, true).wires];
      };
      const shift = BigInt(amount);
      await checkOnAllBackends(program, [inputs[0]], {
        outputs: [
          bits(xs.map((x) => modulo(x << shift)), width),
          bits(xs.map((x) => x >> shift), width),
          bits(xs.map((x) => modulo(signed(x, width) >> shift)), width),
        ],
        andGates: 0,
      });
    }
  });

  it("counts set bits", async () => {
    const program: CircuitProgram = async (backend, [x]) => [(await popcount(backend, bitPlanes(x, width))).wires];
    const expected = xs.map((x) => BigInt([...x.toString(2)].filter((digit) => digit === "1").length));
    await checkOnAllBackends(program, [inputs[0]], { outputs: [bits(expected, bitLength(width))] });
  });
});

describe.each([1, 8, 16])("multiplication of %i bits on every backend", (width) => {
  it("agrees with x·y mod 2^width for edge and random values", async () => {
    const [xs, ys] = allPairs(edgeValues(width, 3), edgeValues(width, 3, 7));
    const expectedAnds = (width * (width + 1)) / 2 + ((width - 1) * (width - 2)) / 2;
    await checkOnAllBackends(binary(width, multiply), [bits(xs, width), bits(ys, width)], {
      outputs: [bits(xs.map((x, r) => BigInt.asUintN(width, x * ys[r])), width)],
      andGates: expectedAnds * xs.length,
    });
  });
});

describe("CHAR(n) strings", () => {
  const texts = ["", "a", "ab", "abc", "abd", "b", "zz", "Zz", "é", "abcd", "abcc", "\u007f"];
  const length = 4;
  const [lefts, rights] = [texts.flatMap((x) => texts.map(() => x)), texts.flatMap(() => texts)];
  const compareBytes = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y));

  it("round-trips through the bit layout and rejects over-long text", () => {
    expect(decodeCharStrings(encodeCharStrings(texts, length), length)).toEqual(texts);
    expect(() => encodeCharStrings(["abcde"], length)).toThrow(RangeError);
  });

  it("compares for equality and lexicographic order on every backend", async () => {
    const program: CircuitProgram = async (backend, [x, y]) => {
      const left = bitPlanes(x, 8 * length);
      const right = bitPlanes(y, 8 * length);
      return [await stringEqual(backend, left, right), await stringLessThan(backend, left, right)];
    };
    await checkOnAllBackends(program, [encodeCharStrings(lefts, length), encodeCharStrings(rights, length)], {
      outputs: [flags(lefts.map((x, r) => x === rights[r])), flags(lefts.map((x, r) => compareBytes(x, rights[r]) < 0))],
      andGates: (8 * length - 1 + 8 * length) * lefts.length,
    });
  });
});

describe("bitonic sort", () => {
  it("sorts 32 rows of 8-bit keys with (n/4)·lg·(lg+1) compare-exchanges of 2·width ANDs", async () => {
    const random = seededRandom(5);
    const keys = Array.from({ length: 32 }, (_, r) => (r < 4 ? [0n, 255n, 255n, 0n][r] : randomBigInt(random, 8)));
    const program: CircuitProgram = async (backend, [x]) => [(await bitonicSort(backend, bitPlanes(x, 8))).wires];
    const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    await checkOnAllBackends(program, [bits(keys, 8)], { outputs: [bits(sorted, 8)], andGates: (32 / 4) * 5 * 6 * 16 });
  });
});

describe("garble → evaluate on random inputs", () => {
  it("agrees with plaintext for a mixed expression over 256 lanes", async () => {
    const random = seededRandom(42);
    const width = 24;
    const xs = Array.from({ length: 256 }, () => randomBigInt(random, width));
    const ys = Array.from({ length: 256 }, () => randomBigInt(random, width));
    // (x < y ? x·y : x − y) + popcount(x), compared for equality with y.
    const program: CircuitProgram = async (backend, [xw, yw]) => {
      const x = bitPlanes(xw, width);
      const y = bitPlanes(yw, width);
      const chosen = await select(backend, await lessThan(backend, x, y), await multiply(backend, x, y), await subtract(backend, x, y));
      const count = await popcount(backend, x);
      const widened = { wires: backend.concat([count.wires, backend.constant(new Uint8Array((width - count.width) * 256))]), width, lanes: 256 };
      const total = await add(backend, chosen, widened);
      return [total.wires, await equal(backend, total, y)];
    };
    const expected = xs.map((x, r) => {
      const chosen = x < ys[r] ? BigInt.asUintN(width, x * ys[r]) : BigInt.asUintN(width, x - ys[r]);
      return BigInt.asUintN(width, chosen + BigInt([...x.toString(2)].filter((d) => d === "1").length));
    });
    await checkOnAllBackends(program, [bits(xs, width), bits(ys, width)], { outputs: [bits(expected, width), flags(expected.map((v, r) => v === ys[r]))] });
    expect(decodeUnsigned(bits(expected, width), width)).toEqual(expected);
  });
});
