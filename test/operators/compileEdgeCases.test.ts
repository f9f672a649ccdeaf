/** The query shapes `catalyst compute` first ran, and their edge cases, through the compiler in the clear. */
import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { compileQuery } from "../../src/operators/compile.js";
import { runInTheClear } from "../../src/operators/clearRun.js";
import type { Cell } from "../../src/share/rowCodec.js";
import { createStudy, type Study } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
function studyWith(minCellCount = 3): Study {
  return createStudy({
    name: "t", minCellCount, tables: parseTablesSql("visits (patid INT32, cost INT64, smoker BOOL, zip CHAR(5), age INT32)"),
    partners: [{ name: "a", tables: ["visits"] }], garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() },
    investigator: { publicKey: key() }, queries: [],
  });
}

const rows: Cell[][] = [
  [1, 100n, true, "60614", 30],
  [2, -40n, false, "60601", 41],
  [3, 7n, true, "60614", -5],
  [4, 0n, true, "60660", 30],
  [5, 9000000000n, false, "60614", 30],
];

async function run(sql: string, minCellCount: number, input: Cell[][] = rows): Promise<Cell[][]> {
  const study = studyWith(minCellCount);
  const compiled = compileQuery(study, { name: "q", sql }, { visits: [{ partner: 0, rows: input.length }] });
  return runInTheClear(study, compiled.tables, [input], compiled);
}

describe("simple aggregates through the compiler", () => {
  it.each([
    ["SELECT COUNT(*) FROM visits", 3, [[5]]],
    ["SELECT COUNT(*) FROM visits", 6, []],
    ["select count(*) as n from visits v where v.zip = '60614'", 3, [[3]]],
    ["SELECT COUNT(*) FROM visits WHERE zip = '60614'", 4, []],
    ["SELECT COUNT(*) FROM visits WHERE smoker = TRUE", 1, [[3]]],
    ["SELECT COUNT(*) FROM visits WHERE age = -5", 1, [[1]]],
    ["SELECT SUM(cost) FROM visits", 3, [[9000000067n]]],
    ["SELECT SUM(smoker) FROM visits", 3, [[3]]],
    ["SELECT SUM(age) FROM visits", 200, []],
    ["SELECT COUNT(*) FROM visits WHERE age = 4294967297", 1, []],
    ["SELECT COUNT(*) FROM visits WHERE zip = '606140'", 1, []],
  ])("%s with minimum cell count %i", async (sql, minCellCount, expected) => {
    // A row whose only count cell is suppressed or zero is dropped: an empty result.
    expect(await run(sql, minCellCount)).toEqual(expected);
  });

  it("never wraps a SUM beyond INT64: the output column is as wide as it needs to be", async () => {
    const big = 9223372036854775807n;
    const huge: Cell[][] = Array.from({ length: 12 }, (_, index) => [index, big, true, "60614", 1]);
    expect(await run("SELECT SUM(cost) FROM visits", 11, huge)).toEqual([[12n * big]]);
    const compiled = compileQuery(studyWith(), { name: "q", sql: "SELECT SUM(cost) FROM visits" }, { visits: [{ partner: 0, rows: 12 }] });
    expect(compiled.outputColumns[0].type).toEqual({ kind: "int", bits: 68 });
  });

  it("rejects AVG inside an expression and narrowing string casts when the query is compiled", () => {
    const compile = (sql: string) => compileQuery(studyWith(), { name: "q", sql }, { visits: [{ partner: 0, rows: 1 }] });
    expect(() => compile("SELECT AVG(cost) * 2 FROM visits")).toThrow(/AVG is supported only as a whole output column/);
    expect(() => compile("SELECT CAST(zip AS CHAR(2)) FROM visits")).toThrow(/would cut a CHAR\(5\)/);
  });

  it("groups over an empty table without failing", async () => {
    expect(await run("SELECT zip, COUNT(*) FROM visits GROUP BY zip", 1, [])).toEqual([]);
  });

  it("gives a released zero count and a NULL sum over an empty table", async () => {
    expect(await run("SELECT COUNT(*) AS n, SUM(cost) AS total FROM visits", 3, [])).toEqual([]);
    expect(await run("SELECT COUNT(*) FROM visits", 3, [])).toEqual([]);
    expect(await run("SELECT MAX(age) FROM visits", 3, [])).toEqual([[{ null: true }]]);
  });
});
