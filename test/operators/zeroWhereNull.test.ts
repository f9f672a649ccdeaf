/**
 * A column whose value bits are zero wherever it is NULL (`zeroWhereNull`, as `catalyst share` encodes a NULL)
 * goes into a GROUP BY's SUM unmasked: the same groups and totals, all-NULL groups still NULL, one AND per
 * value bit and lane fewer. Scans of share files mark such columns, and UNION ALL and CAST keep the mark.
 */
import { describe, expect, it } from "@jest/globals";
import type { Backend, CircuitProgram } from "../../src/circuit/backend.js";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { runCounting, runGarbledOverChannel, runPlaintext } from "../../src/circuit/twoParty.js";
import type { WireVector } from "../../src/circuit/wireVector.js";
import { evaluate } from "../../src/operators/expressions.js";
import { groupAggregate } from "../../src/operators/groupAggregate.js";
import { HandOver } from "../../src/operators/handOver.js";
import { scanInput, unionAll, type Relation } from "../../src/operators/relation.js";
import { seededRandom } from "../circuit/harness.js";

const lanes = 48;
const valueBits = 7;
const random = seededRandom(11);
const keys = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 6)));
// Key 5 has only NULLs, so its SUM is NULL. Values below 64 are positive as INT(7).
const nulls = keys.map((key) => (key === 5n || random() < 0.25 ? 1 : 0));
const values = nulls.map((isNull) => (isNull ? 0n : BigInt(Math.floor(random() * 60))));
const valid = Array.from({ length: lanes }, () => (random() < 0.9 ? 1 : 0));
const inputs = [Uint8Array.from(valid), encodeIntegers(keys, 3), encodeIntegers(values, valueBits), Uint8Array.from(nulls)];

/** GROUP BY key with SUM(value), the value marked zero where NULL or not. */
const grouped = (zeroWhereNull: boolean): CircuitProgram => async (backend, [validBits, key, value, isNull]) => {
  const relation = { lanes, valid: validBits, columns: [{ value: bitPlanes(key, 3) }, { value: bitPlanes(value, valueBits), isNull, zeroWhereNull }] };
  const result = await groupAggregate(backend, relation, [{ column: relation.columns[0], type: { kind: "int", bits: 3 } }], [
    { function: "SUM", argument: relation.columns[1], argumentType: { kind: "int", bits: valueBits }, resultType: { kind: "int", bits: 14 }, resultNullable: true },
  ], { method: "network" });
  return [result.valid, result.columns[0].value.wires, result.columns[1].value.wires, result.columns[1].isNull!];
};

function decodeGroups(outputs: Uint8Array[]): Map<bigint, bigint | null> {
  const [validOut, keyOut, sumOut, nullOut] = outputs;
  const groups = new Map<bigint, bigint | null>();
  for (let lane = 0; lane < lanes; lane++) {
    if (!validOut[lane]) continue;
    let key = 0n, sum = 0n;
    for (let bit = 0; bit < 3; bit++) key |= BigInt(keyOut[bit * lanes + lane]) << BigInt(bit);
    for (let bit = 0; bit < 14; bit++) sum |= BigInt(sumOut[bit * lanes + lane]) << BigInt(bit);
    groups.set(key, nullOut[lane] ? null : sum);
  }
  return groups;
}

describe("a SUM over a column that is zero where NULL", () => {
  it("gives every group's total, NULL where all its values are, in the clear and garbled", async () => {
    const expected = new Map<bigint, bigint | null>();
    keys.forEach((key, lane) => {
      if (!valid[lane]) return;
      const before = expected.get(key) ?? null;
      expected.set(key, nulls[lane] ? before : (before ?? 0n) + values[lane]);
    });
    expect(expected.get(5n) ?? null).toBeNull();
    const clear = await runPlaintext(grouped(true), inputs);
    expect(decodeGroups(clear)).toEqual(expected);
    expect(clear).toEqual(await runPlaintext(grouped(false), inputs));
    expect((await runGarbledOverChannel(grouped(true), inputs)).outputs).toEqual(clear);
  });

  it("skips the mask: one AND per value bit and lane fewer", async () => {
    const lengths = inputs.map((input) => input.length);
    const masked = await runCounting(grouped(false), lengths);
    const unmasked = await runCounting(grouped(true), lengths);
    expect(masked.and - unmasked.and).toBe(lanes * valueBits);
  });
});

describe("the zero-where-NULL mark", () => {
  const columns = [{ name: "v", type: { kind: "int32" as const }, nullable: true }, { name: "w", type: { kind: "int32" as const } }];
  const types = [{ kind: "int" as const, bits: 32 }, { kind: "int" as const, bits: 32 }];
  // The share file's row layout: valid, then v's NULL flag and value, then w's value.
  const scanned = (backend: Backend, wires: WireVector, rows: number): Relation =>
    scanInput(backend, [{ firstPlane: 0, wires }], columns, types, rows, new Array(rows).fill(0), 1);

  it("is set on a scanned nullable column, kept by CAST and by UNION ALL, and dropped where a NULL's bits may be anything", async () => {
    const marks: Array<boolean | undefined> = [];
    await runCounting(async (backend, [wires]) => {
      const relation = scanned(backend, wires, 4);
      marks.push(relation.columns[0].zeroWhereNull, relation.columns[1].zeroWhereNull);
      const cast = await evaluate(backend, { kind: "cast", operand: { kind: "column", index: 0, type: types[0], nullable: true }, type: { kind: "int", bits: 64 }, nullable: true } as never, relation);
      marks.push(cast.zeroWhereNull);
      const sum = await evaluate(backend, { kind: "arithmetic", operator: "+", left: { kind: "column", index: 0, type: types[0], nullable: true }, right: { kind: "column", index: 1, type: types[1], nullable: false }, type: types[0], nullable: true } as never, relation);
      marks.push(sum.zeroWhereNull);
      const other = scanned(backend, wires, 4);
      const union = unionAll(backend, [{ relation: new HandOver(relation), types }, { relation: new HandOver(other), types }], types);
      marks.push(union.columns[0].zeroWhereNull);
      return [];
    }, [66 * 4]);
    expect(marks).toEqual([true, undefined, true, undefined, true]);
  });
});
