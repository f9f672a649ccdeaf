/**
 * The disclosure rules on the rows that leave MPC: small cells and small groups zeroed and flagged, dummies
 * zeroed; in the rows' own storage when the relation owns it, with the same garbled stream either way.
 */
import { describe, expect, it } from "@jest/globals";
import { encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import type { Backend } from "../../src/circuit/backend.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runCounting, runGarbled, runGarbledOverChannel, runPlaintext } from "../../src/circuit/twoParty.js";
import type { WireVector } from "../../src/circuit/wireVector.js";
import { discloseRows } from "../../src/operators/disclosure.js";
import type { Relation } from "../../src/operators/relation.js";
import type { BoundColumn } from "../../src/operators/sql/binder.js";

const int = (bits: number) => ({ kind: "int", bits }) as const;
const columns: BoundColumn[] = [
  { name: "stratum", type: int(4), nullable: false, countLike: false },
  { name: "patients", type: int(8), nullable: false, countLike: true, groupSize: true },
  { name: "diabetic", type: int(8), nullable: false, countLike: true },
];
const validBits = [1, 1, 1, 1, 0, 1];
const cells = [[1n, 2n, 3n, 4n, 5n, 6n], [5n, 2n, 7n, 0n, 9n, 4n], [1n, 4n, 0n, 6n, 7n, 3n]];
const inputs = [Uint8Array.from(validBits), ...cells.map((values, index) => encodeIntegers(values, index === 0 ? 4 : 8))];

function rowsOf([valid, ...values]: WireVector[], ownsStorage: boolean): Relation {
  return { lanes: validBits.length, valid, columns: values.map((wires, index) => ({ value: { wires, width: index === 0 ? 4 : 8, lanes: validBits.length } })), ownsStorage };
}

const program = (owned: boolean) => async (backend: Backend, wires: WireVector[]) => {
  const disclosed = await discloseRows(backend, rowsOf(wires, owned), columns, 3);
  return [disclosed.valid, ...disclosed.columns.map((column) => column.value.wires)];
};

describe("discloseRows", () => {
  it("zeroes small cells and small groups and every cell of a dummy, and flags what it suppressed", async () => {
    const backend = new PlaintextBackend();
    const outputs = (await program(true)(backend, inputs.map((bits) => backend.constant(bits)))).map((wires) => Array.from(backend.outputShare(wires)));
    // Lane 1 is a group of 2 patients and lane 4 is no row: both are dummies. Lane 0's 1 diabetic is under 3.
    expect(outputs).toEqual([
      [1, 0, 1, 1, 0, 1],
      Array.from(encodeIntegers([1n, 0n, 3n, 4n, 0n, 6n], 4)),
      Array.from(encodeIntegers([5n, 0n, 7n, 0n, 0n, 4n], 8)),
      Array.from(encodeIntegers([0n, 0n, 0n, 6n, 0n, 3n], 8)),
      [0, 0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
    ]);
  });

  it("masks an owned relation's columns in their own storage, and leaves a relation it does not own as it was", async () => {
    const backend = new PlaintextBackend();
    const given = inputs.map((bits) => backend.constant(bits));
    const owned = await discloseRows(backend, rowsOf(given, true), columns, 3);
    owned.columns.slice(0, 3).forEach((column, index) => expect(column.value.wires.data.buffer).toBe(given[index + 1].data.buffer));

    const kept = inputs.map((bits) => backend.constant(bits));
    const copied = await discloseRows(backend, rowsOf(kept, false), columns, 3);
    kept.forEach((wires, index) => expect(Array.from(wires.data)).toEqual(Array.from(inputs[index])));
    copied.columns.forEach((column, index) => expect(Array.from(column.value.wires.data)).toEqual(Array.from(owned.columns[index].value.wires.data)));
  });

  it("masks in place or in a copy with the same garbled stream and the same rows", async () => {
    const [inPlace, copied] = [await runGarbled(program(true), inputs), await runGarbled(program(false), inputs)];
    expect(inPlace.streamBytes).toBe(copied.streamBytes);
    expect(inPlace.outputs).toEqual(copied.outputs);
    expect(Array.from(inPlace.outputs[3])).toEqual(Array.from(encodeIntegers([0n, 0n, 0n, 6n, 0n, 3n], 8)));
  });

  it("applies the rules lane by lane over more lanes than one chunk holds", async () => {
    // 60,000 lanes of 22-bit counts are three chunks of the flags' tests.
    const lanes = 60_000, width = 22, threshold = 11;
    const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const next = random(7);
    const counts = [0, 1].map(() => Array.from({ length: lanes }, () => BigInt(Math.floor(next() * 4) === 0 ? Math.floor(next() * 3 * threshold) : Math.floor(next() * 2 ** 20))));
    const valid = Array.from({ length: lanes }, () => (next() < 0.9 ? 1 : 0));
    const wide: BoundColumn[] = [
      { name: "patients", type: int(width), nullable: false, countLike: true, groupSize: true },
      { name: "diabetic", type: int(width), nullable: false, countLike: true },
    ];
    const backend = new PlaintextBackend();
    const relation: Relation = { lanes, valid: backend.constant(valid), columns: counts.map((values) => ({ value: { wires: backend.constant(encodeIntegers(values, width)), width, lanes } })), ownsStorage: true };
    const disclosed = await discloseRows(backend, relation, wide, threshold);
    const small = (value: bigint) => value >= 1n && value < BigInt(threshold);
    const released = Array.from({ length: lanes }, (_, lane) => valid[lane] === 1 && !small(counts[0][lane]) && !(counts[0][lane] === 0n && (counts[1][lane] === 0n || small(counts[1][lane]))));
    const same = (wires: WireVector, bits: ArrayLike<number>) => expect(Buffer.from(backend.outputShare(wires)).equals(Buffer.from(Uint8Array.from(bits)))).toBe(true);
    same(disclosed.valid, released.map(Number));
    counts.forEach((values, index) => {
      const expected = values.map((value, lane) => (released[lane] && !small(value) ? value : 0n));
      same(disclosed.columns[index].value.wires, encodeIntegers(expected, width));
    });
  });

  describe("on share-wire rows, a chunk of lanes at a time", () => {
    // 500 lanes of 4 + 8 + 8 + 1 bits: chunks of 2,000 wires are 96 lanes, the last one short.
    const lanes = 500, threshold = 3;
    const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const next = random(11);
    const small = () => BigInt(Math.floor(next() * 2 * threshold));
    const valid = Array.from({ length: lanes }, () => (next() < 0.85 ? 1 : 0));
    const strata = Array.from({ length: lanes }, () => BigInt(Math.floor(next() * 16)));
    const patients = Array.from({ length: lanes }, () => (next() < 0.5 ? small() : BigInt(Math.floor(next() * 128))));
    const diabetic = Array.from({ length: lanes }, () => (next() < 0.5 ? small() : BigInt(Math.floor(next() * 128))));
    const diabeticNull = Array.from({ length: lanes }, () => (next() < 0.2 ? 1 : 0));
    const given = [Uint8Array.from(valid), encodeIntegers(strata, 4), encodeIntegers(patients, 8), encodeIntegers(diabetic, 8), Uint8Array.from(diabeticNull)];
    const nullable: BoundColumn[] = [columns[0], columns[1], { ...columns[2], nullable: true }];
    const disclose = (asShareWires: boolean) => async (backend: Backend, [validWires, stratum, patientCount, diabeticCount, isNull]: WireVector[]) => {
      const relation: Relation = {
        lanes, valid: validWires, ownsStorage: true,
        columns: [{ value: { wires: stratum, width: 4, lanes } }, { value: { wires: patientCount, width: 8, lanes } }, { value: { wires: diabeticCount, width: 8, lanes }, isNull }],
      };
      const disclosed = await discloseRows(backend, relation, nullable, threshold, { columnsAsShareWires: asShareWires, chunkWires: 2000 });
      return [disclosed.valid, ...disclosed.columns.flatMap((column) => [column.value.wires, ...(column.isNull ? [column.isNull] : [])])];
    };

    it("gives the rows the labels give, garbled and in the clear", async () => {
      const expected = await runPlaintext(disclose(false), given);
      // Some rows are released, some dropped, and some cells suppressed: the test sees every rule.
      expect(expected[0].filter((bit) => bit === 1).length).toBeGreaterThan(50);
      expect(expected[0].filter((bit, lane) => bit === 0 && valid[lane] === 1).length).toBeGreaterThan(50);
      expect(expected[6].some((bit) => bit === 1)).toBe(true);
      expect(await runPlaintext(disclose(true), given)).toEqual(expected);
      const shareWireInputs = new Set([1, 2, 3, 4]);
      expect((await runGarbledOverChannel(disclose(true), given, { shareWireInputs })).outputs).toEqual(expected);
    });

    it("takes each wire up once, with the gates of labels", async () => {
      const [labels, shareWires] = [await runCounting(disclose(false), given.map((bits) => bits.length)), await runCounting(disclose(true), given.map((bits) => bits.length))];
      expect(shareWires.and).toBe(labels.and);
      expect(labels.reinputOts).toBe(0);
      expect(shareWires.reinputOts).toBe(lanes * (4 + 8 + 8 + 1));
    });
  });
});
