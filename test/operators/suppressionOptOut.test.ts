/**
 * `WITHOUT SUPPRESSION`: the query opts an output count out of the minimum cell count. That column is released
 * as it is and its rows are kept, the other counts are still suppressed, DuckDB agrees, and the clause is
 * refused where it could let a small count escape (inside a subquery) or means nothing (a non-count column).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { queryInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery } from "../../src/operators/compile.js";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import { standardSql } from "../../src/operators/sql/parser.js";
import type { InputError } from "../../src/share/errors.js";
import type { Cell } from "../../src/share/rowCodec.js";
import type { Study } from "../../src/share/study.js";
import { removeFolder, temporaryFolder } from "../helpers/cli.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

const TABLES = "CREATE TABLE cohort (description VARCHAR(12), count INT32);";
/** Two sites; every total is under the threshold of 11 except "large". */
const SITES: Record<string, string[]> = {
  s1: ["description,count", "small,2", "tiny,1", "large,9", "zero,0"],
  s2: ["description,count", "small,3", "large,8", "zero,0"],
};

let dir: string;
let study: Study;
const csvOf = (partner: string, table: string) => join(dir, partner, `${table}.csv`);
const show = (rows: Cell[][]) => rowTexts(rows).sort();

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-opt-out-");
  for (const [site, lines] of Object.entries(SITES)) {
    await mkdir(join(dir, site), { recursive: true });
    await writeFile(csvOf(site, "cohort"), lines.join("\n") + "\n");
  }
  study = inlineStudy({ name: "opt-out", tablesSql: TABLES, minCellCount: 11, partners: [{ name: "s1", tables: ["cohort"] }, { name: "s2", tables: ["cohort"] }] });
});
afterAll(async () => { await removeFolder(dir); });

async function released(sql: string): Promise<string[]> {
  const query = { name: "q", sql };
  const [ours, reference] = await Promise.all([queryInTheClear(study, query, csvOf), queryWithDuckDb(study, query, csvOf)]);
  expect(show(ours)).toEqual(show(reference));
  return show(ours);
}

describe("WITHOUT SUPPRESSION", () => {
  it("by default every small total is suppressed and its row dropped", async () => {
    expect(await released("SELECT description, SUM(count) AS total FROM cohort GROUP BY description")).toEqual(["large|17"]);
  });

  it("an opted-out total is released as it is, small values and zeros included", async () => {
    expect(await released("SELECT description, SUM(count) AS total WITHOUT SUPPRESSION FROM cohort GROUP BY description"))
      .toEqual(["large|17", "small|5", "tiny|1", "zero|0"]);
  });

  it("only the opted-out column: other counts are still suppressed, and the rows stay", async () => {
    expect(await released("SELECT description, SUM(count) AS total WITHOUT SUPPRESSION, COUNT(count) AS reported FROM cohort GROUP BY description ORDER BY description"))
      .toEqual(["large|17|∅", "small|5|∅", "tiny|1|∅", "zero|0|∅"]);
  });

  it("an opted-out COUNT(*) releases small groups, but only with keys and other opted-out columns beside it", async () => {
    expect(await released("SELECT description, COUNT(*) AS sites WITHOUT SUPPRESSION FROM cohort GROUP BY description"))
      .toEqual(["large|2", "small|2", "tiny|1", "zero|2"]);
    expect(await released("SELECT description, COUNT(*) AS sites WITHOUT SUPPRESSION, SUM(count) AS total WITHOUT SUPPRESSION FROM cohort GROUP BY description"))
      .toEqual(["large|2|17", "small|2|5", "tiny|1|1", "zero|2|0"]);
    // A suppressed SUM beside it would describe a group of one: refused, not released.
    const sizes = { cohort: [{ partner: 0, rows: 7 }] };
    expect(() => compileQuery(study, { name: "q", sql: "SELECT description, COUNT(*) AS sites WITHOUT SUPPRESSION, SUM(count) AS total FROM cohort GROUP BY description" }, sizes))
      .toThrow(/WITHOUT SUPPRESSION on COUNT\(\*\) releases groups of any size, so every other output column must be a GROUP BY key or WITHOUT SUPPRESSION too \(total is neither\)/);
  });

  it("a UNION ALL part that keeps COUNT(*) suppressed keeps the small-group rule for the whole column", async () => {
    // "large" sums to 17 from a group of 2: without the rule its total would be released beside a suppressed count.
    const mixed = "SELECT description, COUNT(*) AS sites WITHOUT SUPPRESSION, SUM(count) AS total WITHOUT SUPPRESSION FROM cohort GROUP BY description"
      + " UNION ALL SELECT description, COUNT(*) AS sites, SUM(count) AS total FROM cohort GROUP BY description";
    expect(await released(mixed)).toEqual([]);
  });

  it("the output schema marks the opted-out column as not suppressible", () => {
    const compiled = compileQuery(study, { name: "q", sql: "SELECT description, SUM(count) AS total WITHOUT SUPPRESSION, COUNT(count) AS n FROM cohort GROUP BY description" }, { cohort: [{ partner: 0, rows: 7 }] });
    expect(compiled.outputColumns.map((column) => [column.name, column.suppressible])).toEqual([["description", false], ["total", false], ["n", true]]);
  });

  it("a UNION ALL column is released unsuppressed only when every part opts it out", async () => {
    const half = "SELECT description, SUM(count) AS total WITHOUT SUPPRESSION FROM cohort GROUP BY description UNION ALL SELECT description, SUM(count) AS total FROM cohort GROUP BY description";
    expect(await released(half)).toEqual(["large|17", "large|17"]);
    const both = "SELECT description, SUM(count) AS total WITHOUT SUPPRESSION FROM cohort GROUP BY description UNION ALL SELECT description, SUM(count) AS total WITHOUT SUPPRESSION FROM cohort GROUP BY description";
    expect((await released(both)).length).toBe(8);
  });

  it("is refused inside a subquery and on a column that is not a count, pointing at the item", () => {
    const sizes = { cohort: [{ partner: 0, rows: 7 }] };
    const inner = "SELECT description, SUM(total) AS total\nFROM (SELECT description, SUM(count) AS total WITHOUT SUPPRESSION FROM cohort GROUP BY description) t\nGROUP BY description";
    const errorOf = (sql: string) => {
      try { compileQuery(study, { name: "q", sql }, sizes); } catch (error) { return error as InputError; }
      throw new Error("the query compiled");
    };
    const nested = errorOf(inner);
    expect(nested.message).toMatch(/WITHOUT SUPPRESSION applies only to the query's output columns/);
    expect(nested.location).toMatchObject({ file: "q.sql", line: 2, column: 27 });
    const notCount = errorOf("SELECT description WITHOUT SUPPRESSION, SUM(count) AS total FROM cohort GROUP BY description");
    expect(notCount.message).toMatch(/description is not a count or a sum/);
    expect(notCount.location).toMatchObject({ line: 1, column: 8 });
    expect(errorOf("SELECT SUM(count) WITHOUT total FROM cohort").message).toMatch(/expected SUPPRESSION after WITHOUT/);
  });

  it("is removed from the SQL given to other engines, and nothing else is", () => {
    expect(standardSql("SELECT a, SUM(b) AS s without  Suppression, c FROM t -- WITHOUT SUPPRESSION stays in comments\n"))
      .toBe("SELECT a, SUM(b) AS s , c FROM t -- WITHOUT SUPPRESSION stays in comments\n");
  });
});
