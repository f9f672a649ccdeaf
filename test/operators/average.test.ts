/**
 * AVG: released as its SUM and COUNT (each under the minimum cell count) and divided for the investigator,
 * giving exactly DuckDB's AVG, with NULL where there is nothing to average and errors where it cannot run.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { queryInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery } from "../../src/operators/compile.js";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import { divideAverages } from "../../src/share/averages.js";
import type { InputError } from "../../src/share/errors.js";
import type { Cell } from "../../src/share/rowCodec.js";
import type { Study } from "../../src/share/study.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { removeFolder, temporaryFolder } from "../helpers/cli.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

const TABLES = `CREATE TABLE demo (patid INT32, age INT32, ward CHAR(1));
CREATE TABLE dx (patid INT32, cost INT64, flag BOOL);`;
const JOINED = "FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid";

let dir: string;
const csvOf = (partner: string, table: string) => join(dir, partner, `${table}.csv`);
const show = (rows: Cell[][]) => rowTexts(rows);

function study(minCellCount: number): Study {
  return inlineStudy({ name: "average", tablesSql: TABLES, minCellCount, partners: [{ name: "s1", tables: ["demo", "dx"] }, { name: "s2", tables: ["demo", "dx"] }] });
}

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-average-");
  const random = new SeededRandom(5);
  for (const site of ["s1", "s2"]) {
    const demo = ["patid,age,ward"];
    const dx = ["patid,cost,flag"];
    for (let patid = 1; patid <= 30; patid++) {
      // Ward Z has no diagnoses at all, so its AVG(cost) is NULL.
      const ward = ["A", "B", "C", "Z"][random.below(4)];
      demo.push(`${patid},${18 + random.below(70)},${ward}`);
      if (ward !== "Z" && random.next() < 0.6) dx.push(`${patid},${random.below(100_000) - 20_000},${random.next() < 0.5}`);
    }
    await mkdir(join(dir, site), { recursive: true });
    await writeFile(csvOf(site, "demo"), demo.join("\n") + "\n");
    await writeFile(csvOf(site, "dx"), dx.join("\n") + "\n");
  }
});
afterAll(async () => { await removeFolder(dir); });

async function bothWays(minCellCount: number, sql: string): Promise<string[]> {
  const query = { name: "q", sql };
  const target = study(minCellCount);
  const [ours, reference] = await Promise.all([queryInTheClear(target, query, csvOf), queryWithDuckDb(target, query, csvOf)]);
  expect(show(ours)).toEqual(show(reference));
  return show(ours);
}

describe("AVG", () => {
  it("equals DuckDB's AVG, fractions and NULLs included", async () => {
    const rows = await bothWays(1, `SELECT d.ward, AVG(d.age) AS mean_age, AVG(x.cost) AS mean_cost, COUNT(*) AS patients ${JOINED} GROUP BY d.ward ORDER BY d.ward`);
    expect(rows.map((row) => row.split("|")[0])).toEqual(["A", "B", "C", "Z"]);
    expect(rows.some((row) => /\.\d/.test(row))).toBe(true);
    expect(rows[3].split("|")[2]).toBe("NULL");
  });

  it("without GROUP BY, and with ORDER BY by name beside an AVG", async () => {
    await bothWays(1, "SELECT AVG(cost) AS mean FROM dx");
    const ordered = await bothWays(1, `SELECT d.ward, AVG(d.age) AS mean_age, COUNT(*) AS patients ${JOINED} GROUP BY d.ward ORDER BY patients DESC, ward`);
    const counts = ordered.map((row) => Number(row.split("|")[2]));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it("is suppressed when its COUNT or its SUM is under the minimum cell count", async () => {
    const rows = await bothWays(12, `SELECT d.ward, AVG(x.cost) AS mean_cost, COUNT(*) AS patients ${JOINED} GROUP BY d.ward`);
    expect(rows.some((row) => row.split("|")[1] === "∅")).toBe(true);
  });

  it("is released as a SUM column and a COUNT column, both suppressible", () => {
    const compiled = compileQuery(study(11), { name: "q", sql: "SELECT d.ward, AVG(d.age) AS mean_age FROM demo d GROUP BY d.ward" }, { demo: [{ partner: 0, rows: 10 }] });
    expect(compiled.outputColumns.map((column) => [column.name, column.average, column.suppressible])).toEqual([
      ["ward", undefined, false], ["mean_age", "sum", true], ["mean_age.count", "count", true],
    ]);
  });

  it("divides only whole pairs, keeps suppression and NULL, and leaves other columns alone", () => {
    const columns = [
      { name: "k", type: { kind: "char" as const, length: 1 } },
      { name: "m", type: { kind: "int64" as const }, suppressible: true, average: "sum" as const },
      { name: "m.count", type: { kind: "int64" as const }, suppressible: true, average: "count" as const },
    ];
    const { columns: shown, rows } = divideAverages(columns, [["a", 7n, 2n], ["b", { suppressed: true }, 20n], ["c", { null: true }, 0n], ["d", 30n, { suppressed: true }], ["e", 10, 4]]);
    expect(shown.map((column) => column.name)).toEqual(["k", "m"]);
    expect(rows).toEqual([["a", 3.5], ["b", { suppressed: true }], ["c", { null: true }], ["d", { suppressed: true }], ["e", 2.5]]);
  });

  it("is refused inside expressions and subqueries, in ORDER BY, and over a BOOL, pointing at it", () => {
    const sizes = { demo: [{ partner: 0, rows: 10 }], dx: [{ partner: 0, rows: 10 }] };
    const errorOf = (sql: string) => {
      try { compileQuery(study(11), { name: "q", sql }, sizes); } catch (error) { return error as InputError; }
      throw new Error("the query compiled");
    };
    expect(errorOf("SELECT ward, AVG(age) + 1 AS m FROM demo GROUP BY ward").message).toMatch(/AVG is supported only as a whole output column/);
    const nested = errorOf("SELECT ward, SUM(m) AS s FROM (SELECT ward, AVG(age) AS m FROM demo GROUP BY ward) t GROUP BY ward");
    expect(nested.message).toMatch(/not inside an expression or a subquery/);
    expect(nested.location).toMatchObject({ line: 1, column: 45 });
    expect(errorOf("SELECT ward, AVG(age) AS m FROM demo GROUP BY ward ORDER BY m").message).toMatch(/ORDER BY cannot use an AVG column/);
    expect(errorOf("SELECT AVG(flag) AS m FROM dx").message).toMatch(/AVG needs an integer, not BOOL/);
    // DuckDB counts an AVG's halves as two columns, so positions would mean different things there.
    expect(errorOf("SELECT ward, AVG(age) AS m, COUNT(*) AS n FROM demo GROUP BY ward ORDER BY 3").message).toMatch(/ORDER BY a position is not supported in a query with AVG/);
  });
});
