/**
 * A session over several worker pairs (`catalyst compute --workers`): each pair runs its scheduled queries over
 * its own channel, a join parked on one pair reaches the pairs that take it up, and every query's answer is the
 * one it gives alone.
 */
import { describe, expect, it } from "@jest/globals";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { compileQuery } from "../../src/operators/compile.js";
import type { ComputeTask, FinishedQuery, TableInput } from "../../src/operators/computeQueries.js";
import { computeQueriesOnPairs, planPairs, scheduledNames } from "../../src/operators/workerPairs.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { findTable, type Role } from "../../src/share/study.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { inputBits, releasedRows } from "../helpers/circuitRows.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { closeBoth, loopbackChannelPair } from "../transport/loopback.js";

const joined = "FROM patients p LEFT JOIN diagnoses d ON p._site = d._site AND p.patid = d.patid";
const study = inlineStudy({
  name: "worker pairs", minCellCount: 1,
  tablesSql: "CREATE TABLE patients (patid INT32, zip VARCHAR(5), age INT32 CHECK (age BETWEEN 0 AND 120)); CREATE TABLE diagnoses (patid INT32, diabetes BOOL); CREATE TABLE counts (zip VARCHAR(5), n INT32);",
  partners: [{ name: "siteA", tables: ["patients", "diagnoses"] }, { name: "siteB", tables: ["patients", "diagnoses", "counts"] }],
  queries: [
    { name: "counts_only", sql: "SELECT zip, SUM(n) AS n FROM counts GROUP BY zip" },
    { name: "by_zip", sql: `SELECT p.zip, COUNT(*) AS n, SUM(CAST(d.diabetes AS INT32)) AS diabetic ${joined} GROUP BY p.zip` },
    { name: "by_age", sql: `SELECT p.age, COUNT(d.diabetes) AS n ${joined} GROUP BY p.age` },
    { name: "with_counts", sql: `SELECT zip, SUM(n) AS n FROM (SELECT p.zip, COUNT(*) AS n ${joined} GROUP BY p.zip UNION ALL SELECT zip, n FROM counts) u GROUP BY zip` },
  ],
});
const random = new SeededRandom(11);
const zips = ["60601", "60614", "60640"];
// siteA's rows first, then siteB's; patid is unique within a site.
const rows: Record<string, Cell[][]> = {
  patients: Array.from({ length: 16 }, (_, index) => [index % 9, zips[random.below(3)], 20 + random.below(3)]),
  diagnoses: [...[0, 2, 5, 8].map((patid) => [patid, random.below(2) === 1]), ...[1, 3, 4, 5, 6].map((patid) => [patid, random.below(2) === 1])],
  counts: [["60601", 4], ["60614", 12], ["60640", 1]],
};
const partRows: Record<string, Array<{ partner: number; rows: number }>> = {
  patients: [{ partner: 0, rows: 9 }, { partner: 1, rows: 7 }], diagnoses: [{ partner: 0, rows: 4 }, { partner: 1, rows: 5 }], counts: [{ partner: 1, rows: 3 }],
};
const tablesOf: Record<string, string[]> = { counts_only: ["counts"], by_zip: ["patients", "diagnoses"], by_age: ["patients", "diagnoses"], with_counts: ["patients", "diagnoses", "counts"] };

/** Both parties' tasks: the same public sizes, XOR shares of the same rows. */
function tasks(): Record<Role, ComputeTask> {
  const inputs = (role: Role, masks: Record<string, Uint8Array>): TableInput[] => Object.entries(rows).map(([table, tableRows]) => {
    const clear = inputBits(findTable(study, table).columns, tableRows);
    return {
      table, rows: tableRows.length, missing: [], parts: partRows[table],
      sizes: Object.fromEntries(partRows[table].map(({ partner, rows: count }) => [`${study.partners[partner].name}/${table}`, count])),
      shareBits: role === "garbler" ? masks[table] : clear.map((bit, index) => bit ^ masks[table][index]),
    };
  });
  const masks = Object.fromEntries(Object.entries(rows).map(([table, tableRows]) => [table, Uint8Array.from(inputBits(findTable(study, table).columns, tableRows), () => random.below(2))]));
  const queries = study.queries.map((query) => ({ name: query.name, tables: tablesOf[query.name] }));
  return {
    garbler: { study, role: "garbler", queries, inputs: inputs("garbler", masks) },
    evaluator: { study, role: "evaluator", queries, inputs: inputs("evaluator", masks) },
  };
}

const cellsText = (cells: Cell[]) => JSON.stringify(cells, (_, value) => (typeof value === "bigint" ? `${value}` : value));

/** The released rows of both parties' shares of one query, as sorted text. */
function revealed(garbler: FinishedQuery, evaluator: FinishedQuery): string[] {
  const codec = new RowCodec(garbler.outputColumns);
  const records = garbler.share.map((byte, index) => byte ^ evaluator.share[index]);
  return Array.from({ length: garbler.rows }, (_, row) => codec.decode(records, row)).filter((row) => row.valid).map((row) => cellsText(row.cells)).sort();
}

/** Each query compiled and run alone on the plaintext backend. */
async function expectedRows(name: string): Promise<string[]> {
  const compiled = compileQuery(study, study.queries.find((query) => query.name === name)!, partRows);
  const plaintext = new PlaintextBackend();
  const inputs = compiled.tables.map((table) => plaintext.constant(inputBits(findTable(study, table).columns, rows[table])));
  const output = plaintext.outputShare(await compiled.circuit(plaintext, inputs));
  return releasedRows(compiled.outputColumns, compiled.outputRows, output).map(cellsText).sort();
}

async function runPairs(workers: number): Promise<{ garbler: FinishedQuery[]; evaluator: FinishedQuery[]; schedule: string[][] }> {
  const pairs = await Promise.all(Array.from({ length: workers }, () => loopbackChannelPair({ idleTimeoutMs: 0 })));
  const { garbler, evaluator } = tasks();
  // Each party schedules on its own, from its own task: the same public sizes give the same schedule.
  const [garblerPlan, evaluatorPlan] = await Promise.all([planPairs(garbler, workers), planPairs(evaluator, workers)]);
  expect(scheduledNames(evaluator, evaluatorPlan)).toEqual(scheduledNames(garbler, garblerPlan));
  const options = (role: Role) => ({ label: `${role}↔peer`, idleTimeoutMs: 30_000 });
  try {
    const [garbled, evaluated] = await Promise.all([
      computeQueriesOnPairs(garbler, pairs.map(([near]) => near), garblerPlan, options("garbler")),
      computeQueriesOnPairs(evaluator, pairs.map(([, far]) => far), evaluatorPlan, options("evaluator")),
    ]);
    return { garbler: garbled, evaluator: evaluated, schedule: scheduledNames(garbler, garblerPlan) };
  } finally {
    await Promise.all(pairs.map((pair) => closeBoth(...pair)));
  }
}

describe("a session over several worker pairs", () => {
  it("schedules the queries that take up a join beside the one that parks it", async () => {
    const plan = await planPairs(tasks().garbler, 3);
    // by_zip parks the join; by_age and with_counts take it up on other pairs once it is parked.
    expect(plan.loads[1].joinsParked.map((park) => park.afterAndGates)).toEqual([expect.any(Number)]);
    expect(plan.loads[2].joinsTakenUp).toEqual({ [plan.loads[1].joinsParked[0].text]: 1 });
    expect(plan.pairs.flat().sort()).toEqual([0, 1, 2, 3]);
    expect(plan.pairs.filter((queries) => queries.length > 0).length).toBe(3);
    // by_age scans nothing: its pair gets no share bits of the tables under the join it takes up.
    expect(plan.scans[2]).toEqual([]);
  });

  it.each([2, 3])("gives every query the answer it gives alone, in session order, over %i pairs", async (workers) => {
    const { garbler, evaluator, schedule } = await runPairs(workers);
    expect(garbler.map((query) => query.query)).toEqual(study.queries.map((query) => query.name));
    expect(evaluator.map((query) => query.query)).toEqual(study.queries.map((query) => query.name));
    // by_zip parks the join on one pair; by_age takes it up on another (each pair runs its queries in order).
    expect(schedule.slice(0, 2)).toEqual(workers === 2 ? [["counts_only", "by_age", "with_counts"], ["by_zip"]] : [["counts_only", "by_age"], ["by_zip"]]);
    for (const [index, finished] of garbler.entries()) {
      expect(finished.run).toBe(evaluator[index].run);
      const expected = await expectedRows(finished.query);
      expect(expected.length).toBeGreaterThan(1);
      expect(revealed(finished, evaluator[index])).toEqual(expected);
    }
    // The join is computed once, on the pair that parks it: the others take it up for no ANDs.
    const takenUp = garbler.flatMap((query) => query.operators).filter((operator) => operator.operator.includes("taken up from its shares"));
    expect(takenUp.length).toBe(2);
    expect(takenUp.every((operator) => operator.andGates === 0)).toBe(true);
  });
});
