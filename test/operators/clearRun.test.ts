/**
 * Queries in the clear (what `catalyst verify` runs) over tables the size of the pilot's larger sites: a
 * partner's 150,000 rows once overflowed the call stack while being gathered, at S = 0.1 of the pilot.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { queryInTheClear } from "../../src/operators/clearRun.js";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import type { Study } from "../../src/share/study.js";
import { removeFolder, temporaryFolder } from "../helpers/cli.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

const ROWS = { s1: 150_000, s2: 7 };

let dir: string;
let study: Study;
const csvOf = (partner: string, table: string) => join(dir, partner, `${table}.csv`);

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-clear-run-");
  for (const [site, rows] of Object.entries(ROWS)) {
    await mkdir(join(dir, site), { recursive: true });
    const lines = ["x"];
    for (let row = 0; row < rows; row++) lines.push(String(row % 3));
    await writeFile(csvOf(site, "t"), lines.join("\n") + "\n");
  }
  study = inlineStudy({ name: "clear-run", tablesSql: "CREATE TABLE t (x INT32);", minCellCount: 11, partners: [{ name: "s1", tables: ["t"] }, { name: "s2", tables: ["t"] }] });
});
afterAll(async () => { await removeFolder(dir); });

describe("queries in the clear", () => {
  it("read a partner's table of 150,000 rows, and agree with DuckDB", async () => {
    const query = { name: "q", sql: "SELECT x, COUNT(*) AS n FROM t GROUP BY x ORDER BY x" };
    const [ours, reference] = await Promise.all([queryInTheClear(study, query, csvOf), queryWithDuckDb(study, query, csvOf)]);
    // s1 has 50,000 of each of 0, 1, 2; s2 adds 3, 2 and 2.
    expect(rowTexts(ours)).toEqual(["0|50003", "1|50002", "2|50002"]);
    expect(rowTexts(reference)).toEqual(rowTexts(ours));
  }, 120_000);
});
