/**
 * The pilot's queries, compiled and run on the plaintext backend, give exactly what DuckDB gives for the same
 * SQL over the same synthetic CSVs, at several sizes and seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { queryInTheClear } from "../../src/operators/clearRun.js";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import type { Cell } from "../../src/share/rowCodec.js";
import { createStudy, type Study } from "../../src/share/study.js";
import { writePhameFixtures, type WrittenSite } from "../../src/share/synthetic/writePhame.js";
import { PHAME_TABLES_SQL } from "../../src/share/synthetic/phame.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";
import { removeFolder, repositoryRoot, temporaryFolder } from "../helpers/cli.js";
import { rowTexts } from "../helpers/rowText.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const queryFolder = join(repositoryRoot, "fixtures", "phame", "queries");
const queries = [
  ...readdirSync(queryFolder).map((file) => ({ name: file.replace(/\.sql$/, ""), sql: readFileSync(join(queryFolder, file), "utf8") })),
  // A join across sites: its right side is made unique on the key by a GROUP BY, as the compiler requires.
  {
    name: "cross_site_grouped_join",
    sql: `SELECT d.zip, COUNT(*) AS patients, SUM(x.rows_) AS diagnosis_rows, COUNT(x.rows_) AS matched
      FROM phame_demographic d LEFT JOIN (SELECT patid, COUNT(*) AS rows_ FROM phame_diagnosis GROUP BY patid) x ON d.patid = x.patid
      GROUP BY d.zip`,
  },
];

let dir: string;
beforeAll(async () => { dir = await temporaryFolder("catalyst-duckdb-"); });
afterAll(async () => { await removeFolder(dir); });

const normalise = (rows: Cell[][]) => rowTexts(rows).sort();

describe.each([
  { sites: 3, patients: 60, seed: 1, minCellCount: 1 },
  { sites: 6, patients: 120, seed: 8, minCellCount: 3 },
])("pilot queries vs DuckDB at $sites sites × $patients patients (seed $seed)", ({ sites, patients, seed, minCellCount }) => {
  let study: Study;
  let written: WrittenSite[];
  beforeAll(async () => {
    const out = join(dir, `s${sites}-p${patients}-${seed}`);
    written = await writePhameFixtures({ sites, patients, seed, out });
    study = createStudy({
      name: "agreement", minCellCount, tables: parseTablesSql(PHAME_TABLES_SQL),
      partners: written.map((site) => ({ name: site.name, tables: Object.keys(site.tables) })),
      garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries,
    });
    (study as Study & { out: string }).out = out;
  });

  it.each(queries)("$name", async (query) => {
    const out = (study as Study & { out: string }).out;
    const csvOf = (partner: string, table: string) => join(out, written.find((site) => site.name === partner)!.tables[table].file);
    const [ours, reference] = await Promise.all([queryInTheClear(study, query, csvOf), queryWithDuckDb(study, query, csvOf)]);
    // With no threshold every stratum is released, so the comparison is never vacuous.
    if (minCellCount === 1) expect(reference.length).toBeGreaterThan(0);
    if (/ORDER BY/i.test(query.sql)) expect(ours.map((row) => normalise([row])[0])).toEqual(reference.map((row) => normalise([row])[0]));
    else expect(normalise(ours)).toEqual(normalise(reference));
  }, 120_000);
});
