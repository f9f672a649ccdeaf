/**
 * Fusing an inner GROUP BY into the outer one: the pilot's rollups keep one group-by, and handwritten and random
 * nested queries release exactly the same rows fused and unfused (plaintext backend) as DuckDB does, NULLs from
 * LEFT JOIN included; the shapes that must not fuse keep the plan as bound.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { writeFile, mkdir } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { queryInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import { fuseAggregates, narrowRowValue } from "../../src/operators/fuseAggregates.js";
import type { BoundExpression, PlanNode } from "../../src/operators/sql/binder.js";
import type { Cell } from "../../src/share/rowCodec.js";
import { createStudy, type Study } from "../../src/share/study.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { PHAME_TABLES_SQL } from "../../src/share/synthetic/phame.js";
import { writePhameFixtures, type WrittenSite } from "../../src/share/synthetic/writePhame.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";
import { removeFolder, repositoryRoot, temporaryFolder } from "../helpers/cli.js";
import { rowTexts } from "../helpers/rowText.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());

function aggregatesIn(plan: PlanNode): number {
  const own = plan.kind === "aggregate" ? 1 : 0;
  const children = plan.kind === "union" ? plan.inputs : plan.kind === "join" ? [plan.left, plan.right] : "input" in plan ? [plan.input] : [];
  return own + children.reduce((sum, child) => sum + aggregatesIn(child), 0);
}

/** Every node's output columns and public rows, which fusion must leave as the binder made them. */
function shapes(plan: PlanNode): unknown[] {
  const children = plan.kind === "union" ? plan.inputs : plan.kind === "join" ? [plan.left, plan.right] : "input" in plan ? [plan.input] : [];
  return [{ columns: plan.columns, rows: plan.rows }, ...children.map(shapes)];
}

const normalise = (rows: Cell[][]) => rowTexts(rows).sort();

let dir: string;
beforeAll(async () => { dir = await temporaryFolder("catalyst-fuse-"); });
afterAll(async () => { await removeFolder(dir); });

describe("the pilot's rollups", () => {
  const rollups = ["diagnosis_rollup", "rollup_by_age_gender", "rollup_by_zip"].map((name) => ({
    name, sql: readFileSync(join(repositoryRoot, "fixtures", "phame", "queries", `${name}.sql`), "utf8"),
  }));
  let study: Study;
  let written: WrittenSite[];
  let out: string;
  beforeAll(async () => {
    out = join(dir, "phame");
    written = await writePhameFixtures({ sites: 6, patients: 40, seed: 3, out });
    study = createStudy({
      name: "fuse", minCellCount: 1, tables: parseTablesSql(PHAME_TABLES_SQL),
      partners: written.map((site) => ({ name: site.name, tables: Object.keys(site.tables) })),
      garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: rollups,
    });
  });

  it.each(rollups)("$name has one group-by after fusion, with every node's columns and rows as bound", ({ name, sql }) => {
    const sizes: InputSizes = Object.fromEntries(study.tables.map((table) => [table.name, [{ partner: 0, rows: 1000 }]]));
    const fused = compileQuery(study, { name, sql }, sizes);
    const bound = compileQuery(study, { name, sql }, sizes, { fuseAggregates: false });
    expect(aggregatesIn(bound.plan)).toBe(2);
    expect(aggregatesIn(fused.plan)).toBe(1);
    expect(shapes(fused.plan)).toEqual(shapes(bound.plan));
    expect(fused.outputColumns).toEqual(bound.outputColumns);
    expect(fused.outputRows).toBe(bound.outputRows);
  });

  it("fusion is pure: the bound plan is not changed", () => {
    const sizes: InputSizes = Object.fromEntries(study.tables.map((table) => [table.name, [{ partner: 0, rows: 100 }]]));
    const bound = compileQuery(study, rollups[0], sizes, { fuseAggregates: false }).plan;
    const before = JSON.stringify(bound, (_, value) => (typeof value === "bigint" ? `${value}n` : value));
    fuseAggregates(bound);
    expect(JSON.stringify(bound, (_, value) => (typeof value === "bigint" ? `${value}n` : value))).toBe(before);
  });

  it.each(rollups)("$name releases the same rows fused, unfused and in DuckDB", async (query) => {
    const csvOf = (partner: string, table: string) => join(out, written.find((site) => site.name === partner)!.tables[table].file);
    const [fused, unfused, reference] = await Promise.all([
      queryInTheClear(study, query, csvOf), queryInTheClear(study, query, csvOf, { fuseAggregates: false }), queryWithDuckDb(study, query, csvOf),
    ]);
    expect(reference.length).toBeGreaterThan(0);
    expect(normalise(fused)).toEqual(normalise(unfused));
    expect(normalise(fused)).toEqual(normalise(reference));
  }, 120_000);
});

/** Two row-level sites (the same patient ids at both, so only `_site` keeps joins apart) and one rollup site. */
const TABLES = `demo (patid INT32, age_cat CHAR(1), gender CHAR(1), zip CHAR(5), score INT32);
  dx (patid INT32, flag BOOL, cost INT64, code CHAR(2));
  rollup (age_cat CHAR(1), gender CHAR(1), zip CHAR(5), patient_cnt INT64, flag_cnt INT64, cost_sum INT64, costed_cnt INT64)`;
const JOINED = "demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid";

async function writeSites(folder: string, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const pick = <T>(values: readonly T[]) => values[random.below(values.length)];
  for (const site of ["s1", "s2"]) {
    const patients = 25 + random.below(10);
    const demo = ["patid,age_cat,gender,zip,score"];
    const dx = ["patid,flag,cost,code"];
    for (let patid = 1; patid <= patients; patid++) {
      demo.push([patid, pick(["0", "1", "2"]), pick(["F", "M"]), pick(["60601", "60614", "60622"]), random.below(41) - 20].join(","));
      // About half the patients have a diagnosis row: the rest get NULLs from the LEFT JOIN.
      if (random.next() < 0.5) dx.push([patid, random.next() < 0.5, random.below(2001) - 1000, pick(["A1", "B2", "C3"])].join(","));
    }
    await mkdir(join(folder, site), { recursive: true });
    await writeFile(join(folder, site, "demo.csv"), demo.join("\n") + "\n");
    await writeFile(join(folder, site, "dx.csv"), dx.join("\n") + "\n");
  }
  const rollup = ["age_cat,gender,zip,patient_cnt,flag_cnt,cost_sum,costed_cnt"];
  for (let row = 0; row < 6; row++) {
    const patients = 1 + random.below(9);
    const costed = random.below(patients + 1);
    rollup.push([pick(["0", "1", "2"]), pick(["F", "M"]), pick(["60601", "60614", "60622"]), patients, random.below(costed + 1), random.below(4001) - 2000, costed].join(","));
  }
  await mkdir(join(folder, "s3"), { recursive: true });
  await writeFile(join(folder, "s3", "rollup.csv"), rollup.join("\n") + "\n");
}

function nestedStudy(minCellCount: number): Study {
  return createStudy({
    name: "nested", minCellCount, tables: parseTablesSql(TABLES),
    partners: [{ name: "s1", tables: ["demo", "dx"] }, { name: "s2", tables: ["demo", "dx"] }, { name: "s3", tables: ["rollup"] }],
    garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: [],
  });
}

const LOCAL_SIZES: InputSizes = {
  demo: [{ partner: 0, rows: 30 }, { partner: 1, rows: 30 }], dx: [{ partner: 0, rows: 15 }, { partner: 1, rows: 15 }], rollup: [{ partner: 2, rows: 6 }],
};

/** Compiles both ways; returns how many aggregates fusion removed, after checking it kept every node's shape. */
function aggregatesRemoved(study: Study, sql: string): number {
  const fused = compileQuery(study, { name: "q", sql }, LOCAL_SIZES);
  const bound = compileQuery(study, { name: "q", sql }, LOCAL_SIZES, { fuseAggregates: false });
  expect(shapes(fused.plan)).toEqual(shapes(bound.plan));
  const removed = aggregatesIn(bound.plan) - aggregatesIn(fused.plan);
  if (removed === 0) expect(fused.plan).toEqual(bound.plan);
  return removed;
}

async function expectSameEverywhere(study: Study, folder: string, sql: string): Promise<Cell[][]> {
  const csvOf = (partner: string, table: string) => join(folder, partner, `${table}.csv`);
  const query = { name: "q", sql };
  const [fused, unfused, reference] = await Promise.all([
    queryInTheClear(study, query, csvOf), queryInTheClear(study, query, csvOf, { fuseAggregates: false }), queryWithDuckDb(study, query, csvOf),
  ]);
  expect(normalise(fused)).toEqual(normalise(unfused));
  expect(normalise(fused)).toEqual(normalise(reference));
  return reference;
}

const FUSED: Array<[string, string, number]> = [
  ["a coarser stratification with the rollup site, NULL sums and COUNT(col) from the LEFT JOIN",
    `SELECT age_cat, gender, SUM(n) AS n, SUM(f) AS f, SUM(c) AS c, SUM(k) AS k FROM (
       SELECT d.age_cat, d.gender, d.zip, COUNT(*) AS n, SUM(CAST(x.flag AS INT64)) AS f, SUM(x.cost) AS c, COUNT(x.cost) AS k FROM ${JOINED}
       GROUP BY d.age_cat, d.gender, d.zip
       UNION ALL SELECT age_cat, gender, zip, patient_cnt, flag_cnt, cost_sum, costed_cnt FROM rollup) s
     GROUP BY age_cat, gender`, 1],
  ["MIN of MINs, MAX of MAXes and a SUM over a nullable INT64",
    `SELECT age_cat, SUM(n) AS n, MIN(lo) AS lo, MAX(hi) AS hi, SUM(c) AS c FROM (
       SELECT d.age_cat, d.zip, COUNT(*) AS n, MIN(x.cost) AS lo, MAX(x.cost) AS hi, SUM(x.cost) AS c FROM ${JOINED} GROUP BY d.age_cat, d.zip) t
     GROUP BY age_cat`, 1],
  ["a nullable group key from the LEFT JOIN",
    `SELECT code, SUM(n) AS n, SUM(k) AS k FROM (SELECT x.code, d.gender, COUNT(*) AS n, COUNT(x.flag) AS k FROM ${JOINED} GROUP BY x.code, d.gender) t GROUP BY code`, 1],
  ["an outer aggregate without GROUP BY",
    `SELECT SUM(n) AS n, SUM(c) AS c, MIN(lo) AS lo FROM (SELECT d.zip, COUNT(*) AS n, SUM(x.cost) AS c, MIN(d.score) AS lo FROM ${JOINED} GROUP BY d.zip) t`, 1],
  ["MIN and MAX of an inner group key",
    "SELECT gender, MIN(zip) AS first_zip, MAX(zip) AS last_zip, SUM(n) AS n FROM (SELECT gender, zip, COUNT(*) AS n FROM demo GROUP BY gender, zip) t GROUP BY gender", 1],
  ["grouping by _site",
    "SELECT site, SUM(n) AS n FROM (SELECT d._site AS site, d.age_cat, COUNT(*) AS n FROM demo d GROUP BY d._site, d.age_cat) t GROUP BY site", 1],
  ["a WHERE under the inner GROUP BY, keys in another order, a widening cast in the outer SUM",
    `SELECT gender, age_cat, SUM(CAST(n AS INT64)) AS n FROM (SELECT age_cat, gender, zip, COUNT(*) AS n FROM demo WHERE score > 0 GROUP BY age_cat, gender, zip) t
     GROUP BY gender, age_cat`, 1],
  ["three levels: all the way down",
    `SELECT SUM(n) AS n, SUM(f) AS f FROM (SELECT age_cat, SUM(n) AS n, SUM(f) AS f FROM (
       SELECT d.age_cat, d.gender, COUNT(*) AS n, SUM(CAST(x.flag AS INT32)) AS f FROM ${JOINED} GROUP BY d.age_cat, d.gender) a GROUP BY age_cat) b`, 2],
  ["an inner group key that is an expression",
    `SELECT sign, SUM(n) AS n FROM (SELECT CASE WHEN score > 0 THEN 'p' ELSE 'n' END AS sign, gender, COUNT(*) AS n FROM demo
       GROUP BY CASE WHEN score > 0 THEN 'p' ELSE 'n' END, gender) t GROUP BY sign`, 1],
  ["both branches of a UNION ALL aggregate",
    `SELECT age_cat, SUM(n) AS n FROM (SELECT age_cat, zip, COUNT(*) AS n FROM demo GROUP BY age_cat, zip
       UNION ALL SELECT age_cat, zip, SUM(patient_cnt) AS n FROM rollup GROUP BY age_cat, zip) t GROUP BY age_cat`, 2],
  ["only the branch that qualifies (the other is a MIN under a SUM)",
    `SELECT age_cat, SUM(n) AS n FROM (SELECT age_cat, COUNT(*) AS n FROM demo GROUP BY age_cat
       UNION ALL SELECT age_cat, MIN(patient_cnt) AS n FROM rollup GROUP BY age_cat) t GROUP BY age_cat`, 1],
  ["an inner HAVING under a third level: only the top two fuse",
    `SELECT SUM(n) AS n FROM (SELECT age_cat, SUM(n) AS n FROM (SELECT age_cat, gender, COUNT(*) AS n FROM demo GROUP BY age_cat, gender HAVING COUNT(*) >= 3) a
       GROUP BY age_cat) b`, 1],
];

const REFUSED: Array<[string, string]> = [
  ["an outer COUNT(*), which counts inner groups",
    "SELECT age_cat, COUNT(*) AS groups FROM (SELECT age_cat, gender, COUNT(*) AS n FROM demo GROUP BY age_cat, gender) t GROUP BY age_cat"],
  ["an outer COUNT(col)",
    "SELECT age_cat, COUNT(n) AS groups FROM (SELECT age_cat, gender, COUNT(*) AS n FROM demo GROUP BY age_cat, gender) t GROUP BY age_cat"],
  ["a HAVING between them",
    "SELECT age_cat, SUM(n) AS n FROM (SELECT age_cat, gender, COUNT(*) AS n FROM demo GROUP BY age_cat, gender HAVING COUNT(*) >= 3) t GROUP BY age_cat"],
  ["an outer WHERE between them",
    "SELECT age_cat, SUM(n) AS n FROM (SELECT age_cat, gender, COUNT(*) AS n FROM demo GROUP BY age_cat, gender) t WHERE gender = 'F' GROUP BY age_cat"],
  ["an outer key that is an inner aggregate",
    "SELECT n, MIN(age_cat) AS first_age FROM (SELECT age_cat, COUNT(*) AS n FROM demo GROUP BY age_cat) t GROUP BY n"],
  ["an outer key that is an expression", `SELECT CASE WHEN age_cat = '0' THEN 'young' ELSE 'older' END AS band, SUM(n) AS n
     FROM (SELECT age_cat, COUNT(*) AS n FROM demo GROUP BY age_cat) t GROUP BY CASE WHEN age_cat = '0' THEN 'young' ELSE 'older' END`],
  ["a SUM of MINs", "SELECT gender, SUM(lo) AS lo FROM (SELECT gender, zip, MIN(score) AS lo FROM demo GROUP BY gender, zip) t GROUP BY gender"],
  ["a MAX of SUMs", "SELECT gender, MAX(c) AS c FROM (SELECT gender, zip, SUM(score) AS c FROM demo GROUP BY gender, zip) t GROUP BY gender"],
  ["a MIN of COUNTs", "SELECT gender, MIN(n) AS n FROM (SELECT gender, zip, COUNT(*) AS n FROM demo GROUP BY gender, zip) t GROUP BY gender"],
  ["a SUM of an inner group key", "SELECT gender, SUM(score) AS s FROM (SELECT gender, score, COUNT(*) AS n FROM demo GROUP BY gender, score) t GROUP BY gender"],
  ["an inner aggregate without GROUP BY (one row even for no input)",
    "SELECT SUM(n) AS n FROM (SELECT COUNT(*) AS n FROM demo WHERE age_cat = '9' UNION ALL SELECT COUNT(*) AS n FROM demo) t"],
  ["an inner ORDER BY and LIMIT", "SELECT SUM(n) AS n FROM (SELECT gender, COUNT(*) AS n FROM demo GROUP BY gender ORDER BY gender LIMIT 1) t"],
  ["an outer argument computed from an inner MAX",
    "SELECT gender, MAX(CASE WHEN hi > 0 THEN hi ELSE 0 END) AS hi FROM (SELECT gender, zip, MAX(score) AS hi FROM demo GROUP BY gender, zip) t GROUP BY gender"],
];

describe.each([1, 3])("nested queries, minimum cell count %i", (minCellCount) => {
  const study = nestedStudy(minCellCount);
  let folder: string;
  beforeAll(async () => {
    folder = join(dir, `nested-${minCellCount}`);
    await writeSites(folder, 40 + minCellCount);
  });

  it.each(FUSED)("fuses %s", async (_, sql, removed) => {
    expect(aggregatesRemoved(study, sql)).toBe(removed);
    const reference = await expectSameEverywhere(study, folder, sql);
    if (minCellCount === 1) expect(reference.length).toBeGreaterThan(0);
  }, 60_000);

  it.each(REFUSED)("refuses %s", async (_, sql) => {
    expect(aggregatesRemoved(study, sql)).toBe(0);
    await expectSameEverywhere(study, folder, sql);
  }, 60_000);
});

describe("random nested queries", () => {
  const KEYS = [
    { expression: "d.age_cat", name: "age_cat" }, { expression: "d.gender", name: "gender" }, { expression: "d.zip", name: "zip" },
    { expression: "x.code", name: "code" }, { expression: "x.flag", name: "flag" }, { expression: "d._site", name: "site" },
  ];
  /**
   * Inner aggregates, with the outer function that fuses over each and others the binder accepts. No MIN or MAX
   * over a nullable SUM: a NULL count cell there is released where DuckDB's rule drops it (fused or not).
   */
  const AGGREGATES = [
    { expression: "COUNT(*)", fusing: "SUM", others: ["MIN", "MAX", "COUNT"] },
    { expression: "COUNT(x.cost)", fusing: "SUM", others: ["MAX"] },
    { expression: "SUM(x.cost)", fusing: "SUM", others: ["COUNT"] },
    { expression: "SUM(CAST(x.flag AS INT32))", fusing: "SUM", others: ["COUNT"] },
    { expression: "MIN(x.cost)", fusing: "MIN", others: ["SUM", "MAX"] },
    { expression: "MAX(d.score)", fusing: "MAX", others: ["MIN", "SUM"] },
    { expression: "MAX(x.code)", fusing: "MAX", others: ["MIN"] },
    { expression: "MIN(x.flag)", fusing: "MIN", others: ["MAX"] },
  ];
  const random = new SeededRandom(2024);
  const subset = <T>(items: readonly T[], least: number) => {
    let chosen: T[] = [];
    while (chosen.length < least) chosen = items.filter(() => random.next() < 0.4);
    return chosen;
  };
  const pick = <T>(items: readonly T[]) => items[random.below(items.length)];
  const cases = Array.from({ length: 30 }, (_, index) => {
    const keys = subset(KEYS, 1);
    const aggregates = subset(AGGREGATES, 1);
    const outerKeys = keys.filter(() => random.next() < 0.5);
    const where = random.next() < 0.3 ? " WHERE d.score > -5" : "";
    const inner = (filter: string) => `SELECT ${[...keys.map((k) => `${k.expression} AS ${k.name}`), ...aggregates.map((a, i) => `${a.expression} AS a${i}`)].join(", ")}
      FROM ${JOINED}${filter} GROUP BY ${keys.map((k) => k.expression).join(", ")}`;
    // Sometimes a second branch, as the rollup's UNION ALL: the same shape over other rows.
    const source = random.next() < 0.3 ? `${inner(where)} UNION ALL ${inner(" WHERE d.score < 3")}` : inner(where);
    const outer = aggregates.map((a, i) => `${random.next() < 0.85 ? a.fusing : pick(a.others)}(a${i}) AS o${i}`);
    if (random.next() < 0.1) outer.push("COUNT(*) AS groups");
    const sql = `SELECT ${[...outerKeys.map((k) => k.name), ...outer].join(", ")} FROM (${source}) t${outerKeys.length > 0 ? ` GROUP BY ${outerKeys.map((k) => k.name).join(", ")}` : ""}`;
    return { index, sql };
  });
  const study = nestedStudy(1);
  let folder: string;
  let fusedCount = 0;
  beforeAll(async () => {
    folder = join(dir, "random");
    await writeSites(folder, 7);
  });

  it.each(cases)("query $index", async ({ sql }) => {
    if (aggregatesRemoved(study, sql) > 0) fusedCount++;
    await expectSameEverywhere(study, folder, sql);
  }, 60_000);

  it("fused a fair share of them, not only refused", () => {
    expect(fusedCount).toBeGreaterThan(cases.length / 4);
  });
});

describe("a per-row value under a UNION ALL", () => {
  const at = { line: 1, column: 1 } as BoundExpression["at"];
  const flag: BoundExpression = { kind: "column", index: 0, type: { kind: "bool" }, nullable: true, at } as BoundExpression;
  const literal = (value: bigint, bits: number) => ({ kind: "literal", value, type: { kind: "int", bits }, nullable: false, at }) as BoundExpression;

  it("is made only as wide as its sign extension needs: a BOOL cast to an integer in two bits, a literal in its own width", () => {
    expect(narrowRowValue({ kind: "cast", operand: flag, type: { kind: "int", bits: 64 }, nullable: true, at } as BoundExpression)?.type).toEqual({ kind: "int", bits: 2 });
    expect(narrowRowValue(literal(1n, 23))?.type).toEqual({ kind: "int", bits: 2 });
    expect(narrowRowValue(literal(0n, 23))?.type).toEqual({ kind: "int", bits: 2 });
    expect(narrowRowValue(literal(-1n, 23))?.type).toEqual({ kind: "int", bits: 2 });
    expect(narrowRowValue(literal(5n, 23))?.type).toEqual({ kind: "int", bits: 4 });
    expect(narrowRowValue(literal(-6n, 23))?.type).toEqual({ kind: "int", bits: 4 });
    // Nothing to save: already as narrow, or not a row value it knows.
    expect(narrowRowValue(literal(5n, 4))).toBeUndefined();
    expect(narrowRowValue(flag)).toBeUndefined();
  });
});
