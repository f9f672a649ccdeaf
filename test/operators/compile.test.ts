/**
 * Compiled queries on the plaintext backend against an independent JavaScript evaluation of the same SQL
 * on the same rows, with the minimum cell count applied the same way.
 */
import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import { runInTheClear } from "../../src/operators/clearRun.js";
import type { Cell } from "../../src/share/rowCodec.js";
import { createStudy, type Study } from "../../src/share/study.js";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const MIN_CELL = 3;
const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const study: Study = createStudy({
  name: "compile", minCellCount: MIN_CELL,
  tables: parseTablesSql(`demo (patid INT32, age_cat CHAR(1), gender CHAR(1), zip CHAR(5));
    dx (patid INT32, dx_diabetes BOOL, dx_hyper BOOL);
    rollup (age_cat CHAR(1), gender CHAR(1), zip CHAR(5), patient_cnt INT64, diabetes_cnt INT64)`),
  partners: [{ name: "s1", tables: ["demo", "dx"] }, { name: "s2", tables: ["demo", "dx"] }, { name: "s3", tables: ["rollup"] }],
  garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: [],
});

interface Patient { site: number; patid: number; age: string; gender: string; zip: string; diabetes?: boolean; hyper?: boolean }
const random = new SeededRandom(99);
const ZIPS = ["60601", "60614", "60622", "60640"];
const patients: Patient[] = [];
for (const [site, count] of [[0, 40], [1, 30]] as const) {
  // The same patient ids at both sites: only _site keeps the join within a site.
  for (let patid = 1; patid <= count; patid++) {
    const patient: Patient = { site, patid, age: String(random.below(3)), gender: random.next() < 0.5 ? "F" : "M", zip: ZIPS[random.below(ZIPS.length)] };
    if (random.next() < 0.5) { patient.diabetes = random.next() < 0.6; patient.hyper = random.next() < 0.5; }
    patients.push(patient);
  }
}
const rollup = [["0", "F", "60601", 5n, 2n], ["1", "M", "60614", 7n, 1n], ["2", "F", "60622", 1n, 0n], ["0", "M", "60640", 12n, 12n]] as const;

const tableRows: Record<string, Cell[][]> = {
  demo: patients.map((p) => [p.patid, p.age, p.gender, p.zip]),
  dx: patients.filter((p) => p.diabetes !== undefined).map((p) => [p.patid, p.diabetes!, p.hyper!]),
  rollup: rollup.map((row) => [...row]),
};
const sizes: InputSizes = {
  demo: [{ partner: 0, rows: 40 }, { partner: 1, rows: 30 }],
  dx: [0, 1].map((site) => ({ partner: site, rows: patients.filter((p) => p.site === site && p.diabetes !== undefined).length })),
  rollup: [{ partner: 2, rows: rollup.length }],
};

async function run(sql: string): Promise<string[][]> {
  const compiled = compileQuery(study, { name: "q", sql }, sizes);
  const released = await runInTheClear(study, compiled.tables, compiled.tables.map((table) => tableRows[table]), compiled);
  return released.map((row) => row.map(text));
}

function text(cell: Cell): string {
  if (typeof cell === "object") return "suppressed" in cell ? "∅" : "NULL";
  return String(cell);
}

/** The minimum cell count as the issue states it, in plain JavaScript. */
function suppress(rows: Array<Array<string | bigint | number>>, countColumns: number[]): string[][] {
  const result: string[][] = [];
  for (const row of rows) {
    const cells = row.map((cell, index) => (countColumns.includes(index) && BigInt(cell) >= 1n && BigInt(cell) < BigInt(MIN_CELL) ? "∅" : String(cell)));
    if (countColumns.length > 0 && countColumns.every((index) => cells[index] === "∅" || cells[index] === "0")) continue;
    result.push(cells);
  }
  return result;
}

const sorted = (rows: string[][]) => [...rows].sort((a, b) => (a.join("|") < b.join("|") ? -1 : 1));

function groupCount<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

describe("compiled queries in the clear", () => {
  it("GROUP BY with COUNT and ORDER BY", async () => {
    const expected = suppress([...groupCount(patients, (p) => p.gender).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([gender, group]) => [gender, group.length]), [1]);
    expect(await run("SELECT gender, COUNT(*) AS n FROM demo GROUP BY gender ORDER BY gender")).toEqual(expected);
  });

  it("WHERE with IN, BETWEEN and AND, as a global COUNT", async () => {
    const count = patients.filter((p) => ["1", "2"].includes(p.age) && p.zip >= "60601" && p.zip <= "60620").length;
    expect(await run("SELECT COUNT(*) FROM demo WHERE age_cat IN ('1', '2') AND zip BETWEEN '60601' AND '60620'")).toEqual(suppress([[count]], [0]));
  });

  it("an INNER JOIN within each site", async () => {
    const count = patients.filter((p) => p.diabetes === true).length;
    expect(await run("SELECT COUNT(*) AS n FROM demo d JOIN dx x ON d._site = x._site AND d.patid = x.patid WHERE x.dx_diabetes")).toEqual(suppress([[count]], [0]));
  });

  it("the pilot's shape: LEFT JOIN, GROUP BY, UNION ALL with a rollup, then SUM per stratum", async () => {
    const sql = `SELECT age_cat, gender, SUM(patient_cnt) AS patient_cnt, SUM(diabetes_cnt) AS diabetes_cnt FROM (
        SELECT d.age_cat, d.gender, COUNT(*) AS patient_cnt, SUM(CAST(x.dx_diabetes AS INT64)) AS diabetes_cnt
        FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age_cat, d.gender
        UNION ALL SELECT age_cat, gender, patient_cnt, diabetes_cnt FROM rollup) strata
      GROUP BY age_cat, gender`;
    const strata = new Map<string, [bigint, bigint]>();
    for (const p of patients) {
      const key = `${p.age}|${p.gender}`;
      const [n, d] = strata.get(key) ?? [0n, 0n];
      strata.set(key, [n + 1n, d + (p.diabetes ? 1n : 0n)]);
    }
    for (const [age, gender, , n, d] of rollup) {
      const key = `${age}|${gender}`;
      const [pn, pd] = strata.get(key) ?? [0n, 0n];
      strata.set(key, [pn + n, pd + d]);
    }
    const expected = suppress([...strata.entries()].map(([key, [n, d]]) => [...key.split("|"), n, d]), [2, 3]);
    expect(sorted(await run(sql))).toEqual(sorted(expected));
  });

  it("CASE inside SUM, HAVING, ORDER BY … DESC and LIMIT", async () => {
    const groups = [...groupCount(patients, (p) => p.zip).entries()].filter(([, group]) => group.length >= 3)
      .map(([zip, group]) => [zip, group.filter((p) => p.gender === "F").length] as [string, number]);
    const released = suppress(groups, [1]).sort((a, b) => Number(b[1]) - Number(a[1]) || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    const actual = await run("SELECT zip, SUM(CASE WHEN gender = 'F' THEN 1 ELSE 0 END) AS women FROM demo GROUP BY zip HAVING COUNT(*) >= 3 ORDER BY women DESC, zip LIMIT 3");
    // LIMIT applies before suppression drops rows, so compare the released rows that survive.
    expect(actual.every((row) => released.some((candidate) => candidate.join() === row.join()) || row[1] === "∅")).toBe(true);
    expect(actual.length).toBeLessThanOrEqual(3);
    const sortedByQuery = [...actual].sort((a, b) => (a[1] === "∅" || b[1] === "∅" ? 0 : Number(b[1]) - Number(a[1]) || (a[0] < b[0] ? -1 : 1)));
    expect(actual).toEqual(sortedByQuery);
  });
});
