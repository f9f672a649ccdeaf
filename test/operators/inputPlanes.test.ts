/**
 * Input labels made run by run (the valid plane, each column's NULL flag and value): the layout skips only
 * what no scan reads, and a query run by two parties over real OT, its tables handed over as runs and owned by
 * their last scan, releases exactly what the plaintext run over one vector per table does, and reports each
 * operator as it ran.
 */
import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { compileQuery, type CompiledQuery } from "../../src/operators/compile.js";
import { inputLayoutOf, planesOf, splitShareIntoRuns } from "../../src/operators/inputPlanes.js";
import { runQueryAsParty } from "../../src/operators/session.js";
import { bitPlanesToRows, rowsToBitPlanes } from "../../src/share/bitPlaneLayout.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { rowBits, type Column } from "../../src/share/schema.js";
import { createStudy, type Study } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";

describe("inputLayoutOf", () => {
  it("gives the valid plane, each NULL flag and each value its own run, and skips the suppressible flag", () => {
    const columns: Column[] = [
      { name: "a", type: { kind: "int32" } },
      { name: "b", type: { kind: "bool" }, nullable: true },
      { name: "c", type: { kind: "int64" }, suppressible: true, nullable: true },
    ];
    // Layout: valid | a: 32 | b: null, 1 | c: suppressible, null, 64.
    expect(inputLayoutOf(columns)).toEqual({
      planes: 1 + 32 + 2 + 66,
      runs: [{ first: 0, end: 1 }, { first: 1, end: 33 }, { first: 33, end: 34 }, { first: 34, end: 35 }, { first: 36, end: 37 }, { first: 37, end: 101 }],
    });
  });

  it("cuts a share into views of its runs, and refuses one that is not whole rows", () => {
    const layout = { planes: 3, runs: [{ first: 0, end: 1 }, { first: 2, end: 3 }] };
    const share = Uint8Array.from([1, 1, 0, 0, 1, 0]);
    const runs = splitShareIntoRuns(share, layout);
    expect(runs.map((run) => [...run])).toEqual([[1, 1], [1, 0]]);
    expect(runs[1].buffer).toBe(share.buffer);
    expect(() => splitShareIntoRuns(share.subarray(0, 5), layout)).toThrow(/not whole rows of 3 bits/);
  });

  it("reads planes across runs, whole runs as themselves, and names a plane that has no labels", () => {
    const backend = new PlaintextBackend();
    const input = [{ firstPlane: 0, wires: backend.constant([1, 0]) }, { firstPlane: 1, wires: backend.constant([0, 1, 1, 1]) }, { firstPlane: 4, wires: backend.constant([1, 1]) }];
    expect(planesOf(backend, input, 2, 1, 3)).toBe(input[1].wires);
    expect([...backend.outputShare(planesOf(backend, input, 2, 0, 2))]).toEqual([1, 0, 0, 1]);
    expect([...backend.outputShare(planesOf(backend, input, 2, 2, 3))]).toEqual([1, 1]);
    expect(() => planesOf(backend, input, 2, 2, 4)).toThrow(/plane 3 of the input has no labels/);
  });
});

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const tables = parseTablesSql("visits (patid INT32, zip CHAR(5) CHECK (zip IN ('60601', '60614', '60640')), age INT32 CHECK (age BETWEEN 0 AND 120), cost INT32); partial (zip CHAR(5) CHECK (zip IN ('60601', '60614', '60640')), total INT64)");
// A pushed partial may be NULL (a SUM over none): such columns carry a flag plane of their own.
tables[1].columns[1] = { ...tables[1].columns[1], nullable: true };
const study: Study = createStudy({
  name: "runs", minCellCount: 2, tables,
  partners: [{ name: "a", tables: ["visits", "partial"] }, { name: "b", tables: ["visits"] }],
  garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: [],
});

function shareOf(table: number, rows: Cell[][]): Uint8Array {
  const columns = study.tables[table].columns;
  const codec = new RowCodec(columns);
  const data = new Uint8Array(rows.length * codec.recordBytes);
  rows.forEach((row, index) => codec.encode(data, index, row));
  return rowsToBitPlanes(data, rows.length, codec.recordBytes, rowBits(columns));
}

/**
 * `compiled` over `visits` and `partial` run by both parties over real OT and a memory channel, from XOR shares
 * (the garbler's random bits), and in the clear: the revealed and the expected output records, and the runs.
 */
async function runByBothParties(compiled: CompiledQuery, visits: Cell[][], partial: Cell[][], random: SeededRandom) {
  const shares = compiled.tables.map((table) => (table === "visits" ? shareOf(0, visits) : shareOf(1, partial)));
  const plaintext = new PlaintextBackend();
  const clear = plaintext.outputShare(await compiled.circuit(plaintext, shares.map((bits) => plaintext.constant(bits))));
  const garblerBits = shares.map((bits) => Uint8Array.from(bits, () => random.below(2)));
  const evaluatorBits = shares.map((bits, table) => Uint8Array.from(bits, (bit, index) => bit ^ garblerBits[table][index]));
  const [garblerChannel, evaluatorChannel] = memoryChannelPair();
  const cost = await compiled.cost(shares.map((bits) => bits.length));
  const [garbled, evaluated] = await Promise.all([
    runQueryAsParty("garbler", compiled, garblerChannel, garblerBits, cost.andGates),
    runQueryAsParty("evaluator", compiled, evaluatorChannel, evaluatorBits, cost.andGates),
  ]);
  garblerChannel.close();
  evaluatorChannel.close();
  const revealed = garbled.outputShare.map((byte, index) => byte ^ evaluated.outputShare[index]);
  const expected = bitPlanesToRows(clear, compiled.outputRows, new RowCodec(compiled.outputColumns).recordBytes, rowBits(compiled.outputColumns));
  return { revealed, expected, garbled, evaluated, cost };
}

describe("a query over input runs, run by two parties", () => {
  const random = new SeededRandom(7);
  const zips = ["60601", "60614", "60640"];
  const visits: Cell[][] = Array.from({ length: 40 }, (_, index) => [index, zips[random.below(3)], random.below(121), random.below(1000)]);
  const partial: Cell[][] = [["60601", 500], ["60640", { null: true }], ["60614", 7]];

  it.each([
    // The same table scanned twice: a GROUP BY sorts its first scan in place, so that scan must copy the runs,
    // and only the last may take them.
    "SELECT zip, COUNT(*) AS c, SUM(n) AS total FROM (SELECT zip, COUNT(*) AS n FROM visits GROUP BY zip UNION ALL SELECT zip, age FROM visits) u GROUP BY zip",
    // A NULL flag plane, read beside its value.
    "SELECT v.zip, COUNT(*) AS n, SUM(p.total) AS total FROM visits v LEFT JOIN partial p ON v.zip = p.zip GROUP BY v.zip",
  ])("releases what the plaintext run does: %s", async (sql) => {
    const compiled = compileQuery(study, { name: "q", sql }, { visits: [{ partner: 0, rows: 25 }, { partner: 1, rows: 15 }], partial: [{ partner: 0, rows: 3 }] });
    const { revealed, expected, garbled, evaluated, cost } = await runByBothParties(compiled, visits, partial, random);
    expect(Buffer.from(revealed).equals(Buffer.from(expected))).toBe(true);
    expect(garbled.andGates).toBe(cost.andGates);
    // Each party's operator trace: the plan's operators with their own ANDs, adding up to the whole run.
    for (const party of [garbled, evaluated]) {
      expect(party.operators.map((entry) => [entry.operator, entry.andGates])).toEqual(cost.operators.map((entry) => [entry.operator, entry.andGates]).reverse());
      expect(party.operators.every((entry, index) => entry.seconds >= 0 && entry.peakRssBytes > 0 && (index === 0 || entry.peakRssBytes >= party.operators[index - 1].peakRssBytes))).toBe(true);
    }
  });
});

describe("share-wire inputs (no input OT)", () => {
  const random = new SeededRandom(11);
  const zips = ["60601", "60614", "60640"];
  const visits: Cell[][] = Array.from({ length: 40 }, (_, index) => [index, zips[random.below(3)], random.below(121), random.below(1000)]);
  const partial: Cell[][] = [["60601", 500], ["60640", { null: true }], ["60614", 7]];
  const sizes = { visits: [{ partner: 0, rows: 25 }, { partner: 1, rows: 15 }], partial: [{ partner: 0, rows: 3 }] };
  const compile = (sql: string) => compileQuery(study, { name: "q", sql }, sizes, { sortMethod: "shuffle" });
  const shareWireTables = (sql: string) => { const compiled = compile(sql); return compiled.tables.filter((_, index) => compiled.inputLayouts[index].shareWires); };

  it.each([
    "SELECT zip, SUM(cost) AS total, COUNT(*) AS n FROM visits GROUP BY zip",
    // UNION ALL widens age to the partial's INT64 and gives the visits a NULL flag of zeros, all share by share.
    "SELECT zip, SUM(x) AS total, COUNT(*) AS n FROM (SELECT zip, age AS x FROM visits UNION ALL SELECT zip, total AS x FROM partial) u GROUP BY zip",
    // The public _site beside a stored column in one UNION ALL position: _site is made of the share wires' kind.
    "SELECT k, SUM(x) AS total, COUNT(*) AS n FROM (SELECT _site AS k, cost AS x FROM visits UNION ALL SELECT age AS k, cost AS x FROM visits) u GROUP BY k",
    // A NULL-able key (a share's NULLs have zero value bits already, so no clearing gate), the table scanned twice.
    "SELECT total, COUNT(*) AS n FROM (SELECT total FROM partial UNION ALL SELECT total FROM partial) u GROUP BY total",
  ])("go straight into the GROUP BY's shuffle and release what the plaintext run does: %s", async (sql) => {
    const compiled = compile(sql);
    expect(compiled.inputLayouts.every((layout) => layout.shareWires)).toBe(true);
    const { revealed, expected, garbled, cost } = await runByBothParties(compiled, visits, partial, random);
    // The output is shuffled (no order asked for): the same records, in any order.
    const recordBytes = new RowCodec(compiled.outputColumns).recordBytes;
    const records = (bytes: Uint8Array) => Array.from({ length: compiled.outputRows }, (_, row) => Buffer.from(bytes.subarray(row * recordBytes, (row + 1) * recordBytes)).toString("hex")).sort();
    expect(records(revealed)).toEqual(records(expected));
    expect(records(revealed).some((record) => /[^0]/.test(record))).toBe(true);
    expect(garbled.andGates).toBe(cost.andGates);
    expect(garbled.operators.filter((entry) => entry.operator.startsWith("scan")).every((entry) => entry.operator.endsWith("as share wires (no input OT)"))).toBe(true);
  });

  it("are labels wherever a gate reads the rows before the shuffle, or another scan of the table is not shuffled first", () => {
    // A filter, a computed argument, a computed key: gates before the sort.
    expect(shareWireTables("SELECT zip, SUM(cost) AS total FROM visits WHERE age > 3 GROUP BY zip")).toEqual([]);
    expect(shareWireTables("SELECT zip, SUM(cost + 1) AS total FROM visits GROUP BY zip")).toEqual([]);
    expect(shareWireTables("SELECT age + 1 AS older, COUNT(*) AS n FROM visits GROUP BY age + 1")).toEqual([]);
    // The outer GROUP BY reads an inner one's result, so only one of the two scans of visits is shuffled first.
    expect(shareWireTables("SELECT zip, COUNT(*) AS c, SUM(n) AS total FROM (SELECT zip, COUNT(*) AS n FROM visits GROUP BY zip UNION ALL SELECT zip, age FROM visits) u GROUP BY zip")).toEqual([]);
    // A sorting network reads the rows with gates.
    expect(compileQuery(study, { name: "q", sql: "SELECT zip, SUM(cost) AS total FROM visits GROUP BY zip" }, sizes, { sortMethod: "network" }).inputLayouts[0].shareWires).toBeUndefined();
  });
});
