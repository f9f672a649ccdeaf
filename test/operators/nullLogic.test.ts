/**
 * Conditions over a LEFT JOIN's NULLs follow SQL's three-valued logic, exactly as DuckDB does: NOT, AND, OR,
 * IN, NOT IN, BETWEEN, NOT BETWEEN and CASE, both released as values (TRUE, FALSE or NULL) and used in WHERE.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { queryInTheClear } from "../../src/operators/clearRun.js";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import type { Cell } from "../../src/share/rowCodec.js";
import type { Study } from "../../src/share/study.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { removeFolder, temporaryFolder } from "../helpers/cli.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

const TABLES = `CREATE TABLE demo (patid INT32, age INT32, smoker BOOL);
CREATE TABLE dx (patid INT32, flag BOOL, cost INT32, code CHAR(2));`;
const JOINED = "FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid";

/** Each condition grouped on, so its TRUE, FALSE and NULL lanes are counted separately. */
const CONDITIONS = [
  "NOT x.flag",
  "x.cost > 100",
  "NOT (x.cost > 100)",
  "x.flag AND d.age > 40",
  "x.flag OR d.age > 40",
  "NOT (x.flag OR d.smoker)",
  "NOT x.flag AND NOT d.smoker",
  "x.code IN ('A1', 'B2')",
  "x.code NOT IN ('A1', 'B2')",
  "d.age NOT IN (20, 30, x.cost)",
  "d.age IN (20, 30, x.cost)",
  "x.cost BETWEEN 0 AND 500",
  "d.age NOT BETWEEN x.cost AND 60",
  "d.age BETWEEN 30 AND x.cost",
  "(x.cost > 100) = d.smoker",
  "(x.cost > 100) IS NULL",
  // NULL literals beside strings, BOOLs and integers.
  "x.code IN ('A1', NULL)",
  "x.code NOT IN ('A1', NULL)",
  "x.flag = NULL OR d.smoker",
  "d.age BETWEEN 30 AND NULL",
  "d.age NOT BETWEEN NULL AND 30",
];

let dir: string;
let study: Study;
const csvOf = (partner: string, table: string) => join(dir, partner, `${table}.csv`);
const normalise = (rows: Cell[][]) => rowTexts(rows).sort();

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-null-logic-");
  const random = new SeededRandom(11);
  for (const site of ["s1", "s2"]) {
    const demo = ["patid,age,smoker"];
    const dx = ["patid,flag,cost,code"];
    for (let patid = 1; patid <= 40; patid++) {
      demo.push(`${patid},${[20, 30, 35, 45, 50, 70][random.below(6)]},${random.next() < 0.4}`);
      // About half the patients have no diagnosis row, so the LEFT JOIN gives them NULLs.
      if (random.next() < 0.5) dx.push(`${patid},${random.next() < 0.5},${[-5, 20, 30, 45, 150, 600][random.below(6)]},${["A1", "B2", "C3"][random.below(3)]}`);
    }
    await mkdir(join(dir, site), { recursive: true });
    await writeFile(csvOf(site, "demo"), demo.join("\n") + "\n");
    await writeFile(csvOf(site, "dx"), dx.join("\n") + "\n");
  }
  study = inlineStudy({ name: "null-logic", tablesSql: TABLES, minCellCount: 1, partners: [{ name: "s1", tables: ["demo", "dx"] }, { name: "s2", tables: ["demo", "dx"] }] });
});
afterAll(async () => { await removeFolder(dir); });

async function bothWays(sql: string): Promise<{ ours: string[]; reference: string[] }> {
  const query = { name: "q", sql };
  const [ours, reference] = await Promise.all([queryInTheClear(study, query, csvOf), queryWithDuckDb(study, query, csvOf)]);
  return { ours: normalise(ours), reference: normalise(reference) };
}

describe("three-valued logic against DuckDB", () => {
  it.each(CONDITIONS)("SELECT %s, grouped and counted", async (condition) => {
    const { ours, reference } = await bothWays(`SELECT ${condition} AS c, COUNT(*) AS n ${JOINED} GROUP BY ${condition}`);
    expect(ours).toEqual(reference);
    // Not vacuous: the condition is NULL somewhere, and also TRUE or FALSE somewhere.
    if (!/IS NULL/.test(condition)) expect(reference.some((row) => row.startsWith("NULL|"))).toBe(true);
    expect(reference.some((row) => !row.startsWith("NULL|"))).toBe(true);
  }, 60_000);

  it.each(CONDITIONS)("WHERE %s keeps only the rows where it is TRUE", async (condition) => {
    const { ours, reference } = await bothWays(`SELECT d.age, COUNT(*) AS n ${JOINED} WHERE ${condition} GROUP BY d.age`);
    expect(ours).toEqual(reference);
  }, 60_000);

  it("CASE takes no branch on a NULL condition", async () => {
    const { ours, reference } = await bothWays(
      `SELECT CASE WHEN NOT x.flag THEN 1 WHEN x.cost NOT IN (20, 30) THEN 2 ELSE 3 END AS kind, COUNT(*) AS n ${JOINED} GROUP BY CASE WHEN NOT x.flag THEN 1 WHEN x.cost NOT IN (20, 30) THEN 2 ELSE 3 END`);
    expect(ours).toEqual(reference);
    expect(reference.length).toBe(3);
  }, 60_000);
});
