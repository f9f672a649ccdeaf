/**
 * A join several queries of one session read is computed once: the first query parks its rows as shares and
 * the later ones take them up (one OT per wire), with the same results and the join's ANDs spent once.
 */
import { describe, expect, it } from "@jest/globals";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { compileQuery, type CompiledQuery } from "../../src/operators/compile.js";
import { compileSession } from "../../src/operators/compileSession.js";
import { liveColumns } from "../../src/operators/liveColumns.js";
import { eachNode } from "../../src/operators/planWalk.js";
import type { PlanNode } from "../../src/operators/sql/binder.js";
import { runQueryAsParty } from "../../src/operators/session.js";
import { ParkedJoins } from "../../src/operators/parkedJoins.js";
import { findTable } from "../../src/share/study.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";
import { inputBits, releasedRows } from "../helpers/circuitRows.js";
import { inlineStudy } from "../helpers/inlineStudy.js";

const TABLES_SQL = "CREATE TABLE patients (patid INT32, zip VARCHAR(5), age INT32 CHECK (age BETWEEN 0 AND 120)); CREATE TABLE diagnoses (patid INT32, diabetes BOOL); CREATE TABLE counts (zip VARCHAR(5), n INT32);";
const PARTNERS = [{ name: "siteA", tables: ["patients", "diagnoses"] }, { name: "siteB", tables: ["patients", "diagnoses", "counts"] }];
const joined = "FROM patients p LEFT JOIN diagnoses d ON p._site = d._site AND p.patid = d.patid";
const study = inlineStudy({
  name: "shared joins", minCellCount: 1,
  tablesSql: TABLES_SQL,
  partners: PARTNERS,
  queries: [
    { name: "by_zip", sql: `SELECT p.zip, COUNT(*) AS n, SUM(CAST(d.diabetes AS INT32)) AS diabetic ${joined} GROUP BY p.zip` },
    { name: "by_age", sql: `SELECT p.age, COUNT(d.diabetes) AS n ${joined} GROUP BY p.age` },
    { name: "inner_only", sql: "SELECT p.zip, COUNT(*) AS n FROM patients p JOIN diagnoses d ON p._site = d._site AND p.patid = d.patid GROUP BY p.zip" },
    { name: "with_counts", sql: `SELECT zip, SUM(n) AS n FROM (SELECT p.zip, COUNT(*) AS n ${joined} GROUP BY p.zip UNION ALL SELECT zip, n FROM counts) u GROUP BY zip` },
  ],
});
const sizes = { patients: [{ partner: 0, rows: 9 }, { partner: 1, rows: 7 }], diagnoses: [{ partner: 0, rows: 4 }, { partner: 1, rows: 5 }], counts: [{ partner: 1, rows: 3 }] };
const random = new SeededRandom(3);
const zips = ["60601", "60614", "60640"];
const rows: Record<string, Cell[][]> = {
  patients: Array.from({ length: 16 }, (_, index) => [index % 9, zips[random.below(3)], 20 + random.below(3)]),
  // Each site's diagnoses name some of its own patients (patid unique within a site).
  diagnoses: [...[0, 2, 5, 8].map((patid) => [patid, random.below(2) === 1]), ...[1, 3, 4, 5, 6].map((patid) => [patid, random.below(2) === 1])],
  counts: [["60601", 4], ["60614", 12], ["60640", 1]],
};

/** Runs the queries in order as one session of both parties, each with its own store of parked joins. */
async function runSession(queries: CompiledQuery[]) {
  const [garblerChannel, evaluatorChannel] = memoryChannelPair();
  const [garblerParked, evaluatorParked, countedParked] = [new ParkedJoins(), new ParkedJoins(), new ParkedJoins()];
  const results = [];
  for (const compiled of queries) {
    const clear = compiled.tables.map((table) => inputBits(findTable(study, table).columns, rows[table]));
    const garblerBits = clear.map((bits) => Uint8Array.from(bits, () => random.below(2)));
    const evaluatorBits = clear.map((bits, table) => Uint8Array.from(bits, (bit, index) => bit ^ garblerBits[table][index]));
    const cost = await compiled.cost(clear.map((bits) => bits.length), countedParked);
    const [garbled, evaluated] = await Promise.all([
      runQueryAsParty("garbler", compiled, garblerChannel, garblerBits, cost.andGates, undefined, garblerParked),
      runQueryAsParty("evaluator", compiled, evaluatorChannel, evaluatorBits, cost.andGates, undefined, evaluatorParked),
    ]);
    const revealed = garbled.outputShare.map((byte, index) => byte ^ evaluated.outputShare[index]);
    results.push({ cost, andGates: garbled.andGates, operators: garbled.operators, released: released(compiled, revealed) });
  }
  garblerChannel.close();
  evaluatorChannel.close();
  return results;
}

/** The released rows of row-major output records, as sorted text (an output without ORDER BY comes shuffled). */
function released(compiled: CompiledQuery, rowMajor: Uint8Array): string[] {
  const codec = new RowCodec(compiled.outputColumns);
  return Array.from({ length: compiled.outputRows }, (_, row) => codec.decode(rowMajor, row)).filter((row) => row.valid).map((row) => cellsText(row.cells)).sort();
}

const cellsText = (cells: Cell[]) => JSON.stringify(cells, (_, value) => (typeof value === "bigint" ? `${value}` : value));

/** Each query compiled and run alone on the plaintext backend: the released rows it should give. */
async function expectedRows(compiled: CompiledQuery): Promise<string[]> {
  const plaintext = new PlaintextBackend();
  const inputs = compiled.tables.map((table) => plaintext.constant(inputBits(findTable(study, table).columns, rows[table])));
  const output = plaintext.outputShare(await compiled.circuit(plaintext, inputs));
  return releasedRows(compiled.outputColumns, compiled.outputRows, output).map(cellsText).sort();
}

describe("the columns a join carries", () => {
  it("are those read above it, not its sides' keys or the columns no expression names", () => {
    const plan = compileQuery(study, study.queries[1], sizes).plan;
    let join: PlanNode | undefined;
    eachNode(plan, (node) => { if (node.kind === "join") join = node; });
    const live = liveColumns(plan).get(join!)!;
    expect(join!.columns.filter((_, index) => live[index]).map((column) => column.name)).toEqual(["age", "diabetes"]);
    // The sides still read their keys (patid and _site) for the join itself.
    const left = (join as Extract<PlanNode, { kind: "join" }>).left;
    expect(left.columns.filter((_, index) => liveColumns(plan).get(left)![index]).map((column) => column.name).sort()).toEqual(["_site", "age", "patid"]);
  });
});

describe("joins shared between the queries of a session", () => {
  it("computes a join once: the first query parks it for every later reader, the others take it up and scan nothing for it", () => {
    const session = compileSession(study, study.queries, sizes);
    const [byZip, byAge, innerOnly, withCounts] = session;
    expect(byZip.tables).toEqual(["patients", "diagnoses"]);
    // by_age reads only the join: no input table at all. with_counts still reads counts, outside the join.
    expect(byAge.tables).toEqual([]);
    expect(withCounts.tables).toEqual(["counts"]);
    // The inner join differs from the left one: computed on its own.
    expect(innerOnly.tables).toEqual(["patients", "diagnoses"]);
    for (const compiled of session) expect(compiled.plan).toEqual(compileQuery(study, study.queries[session.indexOf(compiled)], sizes).plan);
  });

  it("gives each query's answer, spends the join's ANDs once, and says so in the plan", async () => {
    const session = compileSession(study, study.queries, sizes);
    const alone = study.queries.map((query) => compileQuery(study, query, sizes));
    const results = await runSession(session);
    for (const [index, result] of results.entries()) {
      expect(result.andGates).toBe(result.cost.andGates);
      const expected = await expectedRows(alone[index]);
      expect(expected.length).toBeGreaterThan(1);
      expect(result.released).toEqual(expected);
    }
    const costAlone = (index: number) => alone[index].cost(alone[index].tables.map((table) => inputBits(findTable(study, table).columns, rows[table]).length));
    const joinOf = (operators: Array<{ operator: string; andGates: number }>) => operators.find((operator) => operator.operator.startsWith("left join"))!.andGates;
    for (const index of [1, 3]) {
      const aloneCost = await costAlone(index);
      // Alone, the query's join carries only the columns it reads itself (by_age: age and diabetes).
      expect(joinOf(aloneCost.operators)).toBeGreaterThan(0);
      expect(results[index].andGates).toBe(aloneCost.andGates - joinOf(aloneCost.operators));
      expect(results[index].cost.operators.map((operator) => operator.operator)).toContain("left join computed earlier in the session, taken up from its shares (one OT per wire)");
    }
    // The first query's join carries what every query sharing it reads: zip, age and diabetes.
    expect(joinOf(results[0].cost.operators)).toBeGreaterThan(joinOf((await costAlone(0)).operators));
    expect(results[0].cost.operators.some((operator) => operator.operator.endsWith("kept as shares to be taken up 2 times later"))).toBe(true);
  });

  it("shares only outermost joins, and a join read twice by one query is computed once there", async () => {
    const nested = `FROM (SELECT p.zip, p.age, p._site AS site, d.diabetes ${joined}) pd LEFT JOIN counts c ON pd.site = c._site AND pd.zip = c.zip`;
    const twice = inlineStudy({
      name: "joins read twice", minCellCount: 1, tablesSql: TABLES_SQL, partners: PARTNERS,
      queries: [
        { name: "nested_by_n", sql: `SELECT c.n, COUNT(*) AS k ${nested} GROUP BY c.n` },
        { name: "nested_by_age", sql: `SELECT pd.age, COUNT(pd.diabetes) AS k ${nested} GROUP BY pd.age` },
        { name: "twice", sql: `SELECT zip, COUNT(*) AS n FROM (SELECT p.zip ${joined} WHERE p.age > 20 UNION ALL SELECT p.zip ${joined} WHERE d.diabetes IS NOT NULL) u GROUP BY zip` },
        { name: "by_age", sql: `SELECT p.age, COUNT(d.diabetes) AS n ${joined} GROUP BY p.age` },
      ],
    });
    const session = compileSession(twice, twice.queries, sizes);
    // The nested queries share their outer join; the two-table join inside it is not matched with the others.
    expect(session.map((compiled) => compiled.tables)).toEqual([["patients", "diagnoses", "counts"], [], ["patients", "diagnoses"], []]);
    const results = await runSession(session);
    for (const [index, result] of results.entries()) {
      expect(result.andGates).toBe(result.cost.andGates);
      expect(result.released).toEqual(await expectedRows(compileQuery(twice, twice.queries[index], sizes)));
    }
    const operators = results[2].cost.operators.map((operator) => operator.operator);
    expect(operators.filter((operator) => operator.endsWith("kept as shares to be taken up 2 times later"))).toHaveLength(1);
    expect(operators).toContain("left join computed earlier in the session, taken up from its shares (one OT per wire)");
  });
});


