/**
 * ORDER BY exactly a GROUP BY's keys needs no sort: the rows arrive in order and compaction moves the dummies
 * out. The released rows equal DuckDB's row for row (NULL keys, DESC, HAVING and LIMIT included), the plan
 * says so and costs less, and orders that do not match keep the full sort.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { queryInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import type { Cell } from "../../src/share/rowCodec.js";
import { rowBits } from "../../src/share/schema.js";
import { findTable, type Study } from "../../src/share/study.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { removeFolder, temporaryFolder } from "../helpers/cli.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

const TABLES = `CREATE TABLE demo (patid INT32, age INT32, ward CHAR(1));
CREATE TABLE dx (patid INT32, code CHAR(2), cost INT32);`;
const JOINED = "FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid";
const SIZES: InputSizes = { demo: [{ partner: 0, rows: 40 }, { partner: 1, rows: 40 }], dx: [{ partner: 0, rows: 20 }, { partner: 1, rows: 20 }] };

let dir: string;
let study: Study;
const csvOf = (partner: string, table: string) => join(dir, partner, `${table}.csv`);
const show = (rows: Cell[][]) => rowTexts(rows);

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-order-arrival-");
  const random = new SeededRandom(23);
  for (const site of ["s1", "s2"]) {
    const demo = ["patid,age,ward"];
    const dx = ["patid,code,cost"];
    for (let patid = 1; patid <= 40; patid++) {
      demo.push(`${patid},${[-3, 20, 35, 50][random.below(4)]},${["A", "B", "C"][random.below(3)]}`);
      if (patid % 2 === 0) dx.push(`${patid},${["A1", "B2", "C3"][random.below(3)]},${random.below(500) - 100}`);
    }
    await mkdir(join(dir, site), { recursive: true });
    await writeFile(csvOf(site, "demo"), demo.join("\n") + "\n");
    await writeFile(csvOf(site, "dx"), dx.join("\n") + "\n");
  }
  study = inlineStudy({ name: "order-arrival", tablesSql: TABLES, minCellCount: 2, partners: [{ name: "s1", tables: ["demo", "dx"] }, { name: "s2", tables: ["demo", "dx"] }] });
});
afterAll(async () => { await removeFolder(dir); });

async function outputStep(sql: string) {
  const compiled = compileQuery(study, { name: "q", sql }, SIZES);
  const cost = await compiled.cost(compiled.tables.map((table) => SIZES[table].reduce((sum, part) => sum + part.rows, 0) * rowBits(findTable(study, table).columns)));
  return cost.operators.find((operator) => operator.operator.startsWith("output"))!;
}

describe("ORDER BY the GROUP BY keys", () => {
  it.each([
    ["ascending", `SELECT d.ward, d.age, COUNT(*) AS n ${JOINED} GROUP BY d.ward, d.age ORDER BY d.ward, d.age`],
    ["with NULL keys", `SELECT x.code, COUNT(*) AS n ${JOINED} GROUP BY x.code ORDER BY x.code`],
    ["descending", `SELECT d.ward, d.age, COUNT(*) AS n ${JOINED} GROUP BY d.ward, d.age ORDER BY d.ward DESC, d.age DESC`],
    ["after HAVING, with LIMIT", `SELECT d.age, d.ward, COUNT(*) AS n ${JOINED} GROUP BY d.age, d.ward HAVING COUNT(*) >= 3 ORDER BY d.age, d.ward LIMIT 4`],
  ])("%s: no sort, and DuckDB's rows in DuckDB's order", async (_name, sql) => {
    const query = { name: "q", sql };
    const [ours, reference] = await Promise.all([queryInTheClear(study, query, csvOf), queryWithDuckDb(study, query, csvOf)]);
    expect(reference.length).toBeGreaterThan(1);
    expect(show(ours)).toEqual(show(reference));
    expect((await outputStep(sql)).operator).toMatch(/rows arrive in order from the GROUP BY/);
  });

  it.each([
    ["keys in another order", `SELECT d.ward, d.age, COUNT(*) AS n ${JOINED} GROUP BY d.ward, d.age ORDER BY d.age, d.ward`],
    ["a prefix of the keys", `SELECT d.ward, d.age, COUNT(*) AS n ${JOINED} GROUP BY d.ward, d.age ORDER BY d.ward`],
    ["mixed directions", `SELECT d.ward, d.age, COUNT(*) AS n ${JOINED} GROUP BY d.ward, d.age ORDER BY d.ward, d.age DESC`],
    ["a count", `SELECT d.ward, COUNT(*) AS n ${JOINED} GROUP BY d.ward ORDER BY n`],
    ["descending over NULL keys", `SELECT x.code, COUNT(*) AS n ${JOINED} GROUP BY x.code ORDER BY x.code DESC`],
  ])("%s: the full sort stays, and the answer is DuckDB's", async (_name, sql) => {
    const query = { name: "q", sql };
    const [ours, reference] = await Promise.all([queryInTheClear(study, query, csvOf), queryWithDuckDb(study, query, csvOf)]);
    expect(show(ours)).toEqual(show(reference));
    expect((await outputStep(sql)).operator).not.toMatch(/arrive in order/);
  });

  it("costs less than sorting", async () => {
    const inOrder = await outputStep(`SELECT d.ward, d.age, COUNT(*) AS n ${JOINED} GROUP BY d.ward, d.age ORDER BY d.ward, d.age`);
    const sorted = await outputStep(`SELECT d.ward, d.age, COUNT(*) AS n ${JOINED} GROUP BY d.ward, d.age ORDER BY d.age, d.ward`);
    expect(inOrder.andGates).toBeLessThan(sorted.andGates / 2);
  });
});
