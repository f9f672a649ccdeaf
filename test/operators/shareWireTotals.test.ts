/**
 * A GROUP BY whose result only goes to the output keeps its keys and totals as share wires, taking each
 * aggregate's argument up alone for its scan; a UNION ALL under it hands it shares, and a table it reads
 * straight is share wires from the upload. The results are those of labels all the way, garbled and in the
 * clear, and the plan's ANDs are the run's.
 */
import { describe, expect, it } from "@jest/globals";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runGarbledOverChannel, runPlaintext } from "../../src/circuit/twoParty.js";
import { compileQuery, type CompiledQuery } from "../../src/operators/compile.js";
import { groupAggregate } from "../../src/operators/groupAggregate.js";
import { runQueryAsParty } from "../../src/operators/session.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { findTable } from "../../src/share/study.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";
import { seededRandom } from "../circuit/harness.js";
import { inputBits, releasedRows } from "../helpers/circuitRows.js";
import { inlineStudy } from "../helpers/inlineStudy.js";

describe("a GROUP BY with its totals as share wires", () => {
  const lanes = 40;
  const random = seededRandom(5);
  const keys = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 5)));
  const values = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 100)));
  const nulls = Array.from({ length: lanes }, () => (random() < 0.2 ? 1 : 0));
  const valid = Array.from({ length: lanes }, () => (random() < 0.9 ? 1 : 0));
  const inputs = [Uint8Array.from(valid), encodeIntegers(keys, 3), encodeIntegers(values, 7), Uint8Array.from(nulls)];
  const kinds: number[][] = [];
  const program = (asShareWires: boolean): CircuitProgram => async (backend, [validBits, key, value, isNull]) => {
    const relation = { lanes, valid: validBits, columns: [{ value: bitPlanes(key, 3) }, { value: bitPlanes(value, 7), isNull }] };
    const grouped = await groupAggregate(backend, relation, [{ column: relation.columns[0], type: { kind: "int", bits: 3 } }], [
      { function: "SUM", argument: relation.columns[1], argumentType: { kind: "int", bits: 7 }, resultType: { kind: "int", bits: 13 }, resultNullable: true },
      { function: "MAX", argument: relation.columns[1], argumentType: { kind: "int", bits: 7 }, resultType: { kind: "int", bits: 7 }, resultNullable: true },
      { function: "COUNT", resultType: { kind: "int", bits: 7 }, resultNullable: false },
    ], { method: "shuffle", totalsAsShareWires: asShareWires });
    if (backend.kind === "garbler" || backend.kind === "evaluator") kinds.push(grouped.columns.flatMap((column) => [column.value.wires, ...(column.isNull ? [column.isNull] : [])]).map((wires) => wires.bytesPerWire));
    return [grouped.valid, ...grouped.columns.flatMap((column) => [column.value.wires, ...(column.isNull ? [column.isNull] : [])])];
  };

  it("gives the groups of labels all the way, garbled and in the clear, with every key and total a share wire", async () => {
    const expected = await runPlaintext(program(false), inputs);
    expect(expected[0].reduce((sum, bit) => sum + bit, 0)).toBe(new Set(keys.filter((_, lane) => valid[lane] === 1)).size);
    expect(await runPlaintext(program(true), inputs)).toEqual(expected);
    kinds.length = 0;
    expect((await runGarbledOverChannel(program(true), inputs)).outputs).toEqual(expected);
    // Both parties: the key, SUM and its NULL flag, MAX and its NULL flag, COUNT.
    expect(kinds).toEqual([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]]);
    kinds.length = 0;
    await runGarbledOverChannel(program(false), inputs);
    expect(kinds.flat().every((bytes) => bytes === 16)).toBe(true);
  });
});

describe("the pilot's shape: a join's per-row counts and a rollup table, unioned and grouped", () => {
  const study = inlineStudy({
    name: "share-wire totals", minCellCount: 3,
    tablesSql: "CREATE TABLE patients (patid INT32, zip CHAR(5) CHECK (zip IN ('60601', '60614', '60640')), age INT32 CHECK (age BETWEEN 0 AND 3)); CREATE TABLE diagnoses (patid INT32, diabetes BOOL); CREATE TABLE rollup (zip CHAR(5) CHECK (zip IN ('60601', '60614', '60640')), age INT32 CHECK (age BETWEEN 0 AND 3), n INT32 CHECK (n >= 0) CHECK (SUM(n) <= 1000), diabetic INT32 CHECK (diabetic >= 0) CHECK (SUM(diabetic) <= 1000));",
    partners: [{ name: "siteA", tables: ["patients", "diagnoses"] }, { name: "siteB", tables: ["patients", "diagnoses"] }, { name: "siteC", tables: ["rollup"] }],
    queries: [
      {
        name: "strata",
        sql: "SELECT zip, age, SUM(n) AS n, SUM(diabetic) AS diabetic FROM (SELECT p.zip, p.age, COUNT(*) AS n, SUM(CAST(d.diabetes AS INT64)) AS diabetic FROM patients p LEFT JOIN diagnoses d ON p._site = d._site AND p.patid = d.patid GROUP BY p.zip, p.age UNION ALL SELECT zip, age, n, diabetic FROM rollup) u GROUP BY zip, age ORDER BY zip, age",
      },
    ],
  });
  const random = new SeededRandom(11);
  const zips = ["60601", "60614", "60640"];
  const rows: Record<string, Cell[][]> = {
    patients: Array.from({ length: 30 }, (_, index) => [index % 15, zips[random.below(2)], random.below(2)]),
    diagnoses: Array.from({ length: 16 }, (_, index) => [index % 8, random.below(2) === 1]),
    rollup: [["60601", 0, 4, 1], ["60614", 1, 2, 2], ["60640", 3, 12, 5], ["60601", 1, 1, 0]],
  };
  const sizes = { patients: [{ partner: 0, rows: 15 }, { partner: 1, rows: 15 }], diagnoses: [{ partner: 0, rows: 8 }, { partner: 1, rows: 8 }], rollup: [{ partner: 2, rows: 4 }] };
  const cellsText = (cells: Cell[]) => JSON.stringify(cells, (_, value) => (typeof value === "bigint" ? `${value}` : value));

  async function garbled(compiled: CompiledQuery) {
    const clear = compiled.tables.map((table) => inputBits(findTable(study, table).columns, rows[table]));
    const garblerBits = clear.map((bits) => Uint8Array.from(bits, () => random.below(2)));
    const evaluatorBits = clear.map((bits, table) => Uint8Array.from(bits, (bit, index) => bit ^ garblerBits[table][index]));
    const cost = await compiled.cost(clear.map((bits) => bits.length));
    const [garblerChannel, evaluatorChannel] = memoryChannelPair();
    const [garbler, evaluator] = await Promise.all([
      runQueryAsParty("garbler", compiled, garblerChannel, garblerBits, cost.andGates),
      runQueryAsParty("evaluator", compiled, evaluatorChannel, evaluatorBits, cost.andGates),
    ]);
    garblerChannel.close();
    evaluatorChannel.close();
    const codec = new RowCodec(compiled.outputColumns);
    const revealed = garbler.outputShare.map((byte, index) => byte ^ evaluator.outputShare[index]);
    const released = Array.from({ length: compiled.outputRows }, (_, row) => codec.decode(revealed, row)).filter((row) => row.valid).map((row) => cellsText(row.cells));
    return { released, andGates: garbler.andGates, cost };
  }

  it("unions shares, keeps the totals as share wires and gives the answer of the network-sorted plan", async () => {
    const shuffled = compileQuery(study, study.queries[0], sizes, { sortMethod: "shuffle" });
    const network = compileQuery(study, study.queries[0], sizes, { sortMethod: "network" });
    const plaintext = new PlaintextBackend();
    const clearInputs = network.tables.map((table) => plaintext.constant(inputBits(findTable(study, table).columns, rows[table])));
    const expected = releasedRows(network.outputColumns, network.outputRows, plaintext.outputShare(await network.circuit(plaintext, clearInputs))).map(cellsText);
    // Groups under 3 patients are dropped inside MPC: some are released, some are not.
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(8);
    const run = await garbled(shuffled);
    expect(run.released).toEqual(expected);
    expect(run.andGates).toBe(run.cost.andGates);
    expect(run.cost.operators.map((operator) => operator.operator)).toContain("union all of 2 as share wires (free: the GROUP BY's shuffle takes shares)");
    // The rollup table goes straight into the union: its uploads are share wires from the start (no input OT).
    expect(shuffled.inputLayouts.map((layout, index) => [shuffled.tables[index], layout.shareWires === true])).toEqual([["patients", false], ["diagnoses", false], ["rollup", true]]);
  });
});
