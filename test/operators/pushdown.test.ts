/**
 * Pushdown: partners that compute their site-local GROUP BYs in the clear and upload partial aggregates give
 * exactly the all-in-MPC answer, for the pilot's queries and for filters, CASE, MIN, MAX and COUNT(col).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { queryInTheClear, runInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery, queryTables, type InputSizes } from "../../src/operators/compile.js";
import { studySortOrders } from "../../src/operators/joinKeys.js";
import { derivePushedTables } from "../../src/operators/pushdown.js";
import type { ClearValue } from "../../src/operators/rowEvaluator.js";
import { partnerPartials, toCells } from "../../src/operators/sitePartials.js";
import { readCsvRows, type Row } from "../../src/share/csvTable.js";
import { divideAverages } from "../../src/share/averages.js";
import type { Cell } from "../../src/share/rowCodec.js";
import { sortRows } from "../../src/share/rowOrder.js";
import { createStudy, findTable, pushdownOf, uploadedTables, type PushdownPartner, type Study, type StudyDefinition } from "../../src/share/study.js";
import { PHAME_TABLES_SQL } from "../../src/share/synthetic/phame.js";
import { writePhameFixtures, type WrittenSite } from "../../src/share/synthetic/writePhame.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";
import { removeFolder, repositoryRoot, temporaryFolder } from "../helpers/cli.js";
import { rowTexts } from "../helpers/rowText.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const queryFolder = join(repositoryRoot, "fixtures", "phame", "queries");
const phameQueries = readdirSync(queryFolder).map((file) => ({ name: file.replace(/\.sql$/, ""), sql: readFileSync(join(queryFolder, file), "utf8") }));

function withPushdown(definition: StudyDefinition, partners: PushdownPartner[]): Study {
  const plain = createStudy(definition);
  return createStudy({ ...definition, pushdown: { partners, tables: derivePushedTables(plain, partners) } });
}

/**
 * The released rows of the pushdown plan: partials computed per pushdown partner, rows of the others; every
 * sort by `sortMethod`, or the cheaper way.
 */
async function pushdownAnswer(study: Study, queryName: string, rowsOf: (partner: string, table: string) => Row[], sortMethod?: "network" | "shuffle"): Promise<Cell[][]> {
  const query = study.queries.find((candidate) => candidate.name === queryName)!;
  const sortOrders = studySortOrders(study);
  const partials = new Map<string, Map<string, ClearValue[][]>>();
  for (const [index, partner] of study.partners.entries()) {
    if (!pushdownOf(study, partner.name)) continue;
    const computed = partnerPartials(study, partner.name, (table) => rowsOf(partner.name, table).map((row) => [...row.map((value) => (typeof value === "number" ? BigInt(value) : value)), BigInt(index)]));
    partials.set(partner.name, new Map(computed.map(({ table, rows }) => [table.name, rows])));
  }
  const tables = queryTables(study, query);
  const sizes: InputSizes = {};
  const rowsByTable: Cell[][][] = [];
  for (const table of tables) {
    sizes[table] = [];
    const rows: Cell[][] = [];
    for (const [index, partner] of study.partners.entries()) {
      if (!uploadedTables(study, partner.name).includes(table)) continue;
      let part: Cell[][];
      if (pushdownOf(study, partner.name)) part = partials.get(partner.name)!.get(table)!.map(toCells);
      else part = sortOrders[table] ? sortRows(findTable(study, table), sortOrders[table], rowsOf(partner.name, table)) : rowsOf(partner.name, table);
      rows.push(...part);
      sizes[table].push({ partner: index, rows: part.length });
    }
    rowsByTable.push(rows);
  }
  const compiled = compileQuery(study, query, sizes, { sortedInputs: sortOrders, sortMethod });
  expect(compiled.tables.some((table) => study.pushdown!.tables.some((pushed) => pushed.name === table))).toBe(true);
  const released = await runInTheClear(study, compiled.tables, compiled.tables.map((table) => rowsByTable[tables.indexOf(table)]), compiled);
  return divideAverages(compiled.outputColumns, released).rows;
}

let dir: string;
beforeAll(async () => { dir = await temporaryFolder("catalyst-pushdown-"); });
afterAll(async () => { await removeFolder(dir); });

describe.each([
  { sites: 6, patients: 150, seed: 3, pushdown: ["site1", "site2"], minCellCount: 1 },
  { sites: 6, patients: 200, seed: 11, pushdown: ["site1", "site2", "site4", "site5"], minCellCount: 3 },
  { sites: 3, patients: 120, seed: 5, pushdown: ["site2"], minCellCount: 1 },
  // Aggregate-only sites too: they push the outer GROUP BY down over their rollups.
  { sites: 6, patients: 180, seed: 13, pushdown: ["site1", "site2", "site3", "site4", "site5", "site6"], minCellCount: 2 },
  { sites: 6, patients: 120, seed: 17, pushdown: ["site3", "site5"], minCellCount: 1 },
])("PHAME at $sites sites × $patients, pushdown by $pushdown", ({ sites, patients, seed, pushdown, minCellCount }) => {
  let study: Study;
  let written: WrittenSite[];
  let out: string;
  const cache = new Map<string, Row[]>();
  const rowsOf = (partner: string, table: string): Row[] => {
    const cached = cache.get(`${partner}/${table}`);
    if (!cached) throw new Error(`no rows for ${partner}/${table}`);
    return cached;
  };
  beforeAll(async () => {
    out = join(dir, `p${sites}-${patients}-${seed}`);
    written = await writePhameFixtures({ sites, patients, seed, out });
    study = withPushdown({
      name: "pushdown", minCellCount, tables: parseTablesSql(PHAME_TABLES_SQL),
      partners: written.map((site) => ({ name: site.name, tables: Object.keys(site.tables) })),
      garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: phameQueries,
    }, pushdown.map((name) => ({ name, maxRows: 4096 })));
    for (const site of written) {
      for (const [table, { file }] of Object.entries(site.tables)) {
        const rows: Row[] = [];
        for await (const batch of readCsvRows(createReadStream(join(out, file)), findTable(study, table), { file })) rows.push(...batch);
        cache.set(`${site.name}/${table}`, rows);
      }
    }
  });

  it("derives partial tables per pushed GROUP BY and uploads no rows of a pushdown partner", () => {
    // With an aggregate-only site pushing, the three rollups' outer GROUP BYs are pushed too (their first table).
    const aggregateOnly = written.filter((site) => site.tables.phame_diagnosis_rollup).some((site) => pushdown.includes(site.name));
    const names = phameQueries.flatMap((query) => (aggregateOnly && query.name !== "cohort_counts" ? [`${query.name}_partials1`, `${query.name}_partials2`] : [`${query.name}_partials`]));
    expect(study.pushdown!.tables.map((table) => table.name).sort()).toEqual(names.sort());
    for (const name of pushdown) {
      const uploads = uploadedTables(study, name);
      expect(uploads.length).toBeGreaterThan(0);
      expect(uploads.every((table) => /_partials\d*$/.test(table))).toBe(true);
    }
    const rollups = study.pushdown!.tables.filter((table) => table.query === "diagnosis_rollup");
    expect(rollups.map((table) => [table.keyColumns, table.reads.sort()])).toEqual([
      ...(aggregateOnly ? [[7, ["phame_diagnosis_rollup"]]] : []),
      [7, ["phame_demographic", "phame_diagnosis"]],
    ]);
  });

  it("computes a site-local join that several queries' partials read once per partner", () => {
    for (const name of pushdown.filter((partner) => written.find((site) => site.name === partner)!.tables.phame_demographic)) {
      const reads = new Map<string, number>();
      const partials = partnerPartials(study, name, (table) => {
        reads.set(table, (reads.get(table) ?? 0) + 1);
        return rowsOf(name, table).map((row) => [...row.map((value) => (typeof value === "number" ? BigInt(value) : value)), BigInt(study.partners.findIndex((partner) => partner.name === name))]);
      });
      // Three rollups join demographics with diagnoses: one join, so each table is read once for all of them.
      expect(partials.filter((entry) => entry.table.reads.includes("phame_demographic")).length).toBe(3);
      expect(reads.get("phame_demographic")).toBe(1);
      expect(reads.get("phame_diagnosis")).toBe(1);
    }
  });

  // Shuffle sorts too: a GROUP BY over partials alone then breaks ties by partner, not by lane index.
  it.each(phameQueries.map((query) => query.name))("%s equals the all-in-MPC answer, sorting either way", async (name) => {
    const query = study.queries.find((candidate) => candidate.name === name)!;
    const csvOf = (partner: string, table: string) => join(out, written.find((site) => site.name === partner)!.tables[table].file);
    const [pushed, shuffled, allInMpc] = await Promise.all([pushdownAnswer(study, name, rowsOf), pushdownAnswer(study, name, rowsOf, "shuffle"), queryInTheClear(study, query, csvOf)]);
    if (minCellCount === 1) expect(allInMpc.length).toBeGreaterThan(0);
    for (const answer of [pushed, shuffled]) {
      if (/ORDER BY/i.test(query.sql)) expect(rowTexts(answer)).toEqual(rowTexts(allInMpc));
      else expect(rowTexts(answer).sort()).toEqual(rowTexts(allInMpc).sort());
    }
  }, 120_000);
});

describe("pushdown semantics beyond the pilot", () => {
  const tables = parseTablesSql(`CREATE TABLE visits (patid INT32, age_cat CHAR(1), cost INT64, smoker BOOL, zip CHAR(5), note VARCHAR(12));
CREATE TABLE labs (patid INT32, value INT32);`);
  const queries = [
    { name: "filtered", sql: "SELECT age_cat, COUNT(*) AS n, SUM(cost) AS total, MIN(note) AS first_note, MAX(cost) AS most FROM visits WHERE cost > 0 AND NOT smoker GROUP BY age_cat" },
    { name: "joined", sql: "SELECT CASE WHEN l.value BETWEEN 10 AND 20 THEN 'mid' WHEN l.value IS NULL THEN 'none' ELSE 'other' END AS band, COUNT(*) AS n, COUNT(l.value) AS with_lab, SUM(l.value) AS total, MIN(l.value) AS low FROM visits v LEFT JOIN labs l ON v._site = l._site AND v.patid = l.patid GROUP BY CASE WHEN l.value BETWEEN 10 AND 20 THEN 'mid' WHEN l.value IS NULL THEN 'none' ELSE 'other' END" },
    { name: "nested", sql: "SELECT zip, SUM(n) AS n FROM (SELECT zip, age_cat, COUNT(*) AS n FROM visits WHERE zip IN ('60601', '60614') OR cost * 2 < 100 GROUP BY zip, age_cat) t GROUP BY zip ORDER BY zip" },
    { name: "total", sql: "SELECT COUNT(*) AS n, SUM(cost) AS total FROM visits WHERE age_cat <> '3'" },
  ];
  const rows = new Map<string, Row[]>();
  const random = (seed: number) => () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const next = random(42);
  for (const partner of ["a", "b", "c"]) {
    const visits: Row[] = [];
    const labs: Row[] = [];
    for (let patid = 1; patid <= 60; patid++) {
      visits.push([patid, String(Math.floor(next() * 5)), BigInt(Math.floor(next() * 200) - 40), next() < 0.3, ["60601", "60614", "60660"][Math.floor(next() * 3)], ["", "x", "ab", "zz", "é"][Math.floor(next() * 5)]]);
      if (next() < 0.6) labs.push([patid, Math.floor(next() * 40) - 5]);
    }
    rows.set(`${partner}/visits`, visits);
    rows.set(`${partner}/labs`, labs);
  }
  const study = withPushdown({
    name: "semantics", minCellCount: 1, tables,
    partners: [{ name: "a", tables: ["visits", "labs"] }, { name: "b", tables: ["visits", "labs"] }, { name: "c", tables: ["visits"] }],
    garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries,
  }, [{ name: "a", maxRows: 100 }, { name: "c", maxRows: 100 }]);

  it.each(queries.map((query) => query.name))("%s equals the all-in-MPC answer", async (name) => {
    const rowsOf = (partner: string, table: string) => rows.get(`${partner}/${table}`) ?? [];
    const pushed = await pushdownAnswer(study, name, rowsOf);
    // The all-in-MPC plan over the same rows, through CSV-free inputs.
    const query = study.queries.find((candidate) => candidate.name === name)!;
    const plainTables = queryTables(study, query, { pushdown: false });
    const sizes: InputSizes = {};
    const inputs = plainTables.map((table) => {
      sizes[table] = [];
      const all: Cell[][] = [];
      for (const [index, partner] of study.partners.entries()) {
        if (!partner.tables.includes(table)) continue;
        const part = rowsOf(partner.name, table);
        all.push(...part);
        sizes[table].push({ partner: index, rows: part.length });
      }
      return all;
    });
    const compiled = compileQuery(study, query, sizes, { pushdown: false });
    const expected = divideAverages(compiled.outputColumns, await runInTheClear(study, compiled.tables, compiled.tables.map((table) => inputs[plainTables.indexOf(table)]), compiled)).rows;
    expect(expected.length).toBeGreaterThan(0);
    expect(rowTexts(pushed).sort()).toEqual(rowTexts(expected).sort());
  }, 60_000);

  it("refuses a pushdown partner whose rows a query needs outside a site-local GROUP BY", () => {
    const definition = {
      name: "cross", minCellCount: 1, tables,
      partners: [{ name: "a", tables: ["visits", "labs"] }, { name: "b", tables: ["visits", "labs"] }],
      garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() },
      queries: [{ name: "cross_site", sql: "SELECT v.age_cat, COUNT(*) AS n FROM visits v JOIN (SELECT patid, COUNT(*) AS tests FROM labs GROUP BY patid) l ON v.patid = l.patid GROUP BY v.age_cat" }],
    };
    expect(() => withPushdown(definition, [{ name: "a", maxRows: 10 }])).toThrow(/partner a cannot push down: query cross_site reads visits outside a GROUP BY/);
    // An aggregate-only site's rollup is read by the outer GROUP BY beside the row-level sites' inner one: its
    // branch of the outer GROUP BY's input is site-local, so it pushes that down.
    const rollupOnly = withPushdown({ ...definition, tables: parseTablesSql(PHAME_TABLES_SQL), partners: [{ name: "s1", tables: ["phame_demographic", "phame_diagnosis"] }, { name: "s3", tables: ["phame_diagnosis_rollup"] }], queries: phameQueries }, [{ name: "s3", maxRows: 10 }]);
    expect(uploadedTables(rollupOnly, "s3").sort()).toEqual(["diagnosis_rollup_partials", "rollup_by_age_gender_partials", "rollup_by_zip_partials"]);
    // A join across sites has no site-local branch: no GROUP BY over it can be pushed.
    const crossJoin = { name: "cross_union", sql: "SELECT zip, SUM(n) AS n FROM (SELECT v.zip, COUNT(*) AS n FROM visits v JOIN (SELECT patid, COUNT(*) AS tests FROM labs GROUP BY patid) l ON v.patid = l.patid GROUP BY v.zip UNION ALL SELECT zip, 1 AS n FROM visits) t GROUP BY zip" };
    expect(() => withPushdown({ ...definition, queries: [crossJoin] }, [{ name: "a", maxRows: 10 }])).toThrow(/partner a cannot push down: query cross_union reads visits outside a GROUP BY/);
  });
});
