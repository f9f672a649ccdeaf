/**
 * A join within sites whose uploads arrive sorted by the key merges two sorted runs instead of sorting: the
 * same rows as the full sort, for far fewer ANDs. Uploads are sorted as `catalyst share` sorts them.
 */
import { describe, expect, it } from "@jest/globals";
import { runInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import { sortRows } from "../../src/share/rowOrder.js";
import { rowBits } from "../../src/share/schema.js";
import { findTable } from "../../src/share/study.js";
import { seededRandom } from "../circuit/harness.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

const TABLES = `CREATE TABLE demo (patid INT32, age INT32, zip CHAR(3));
CREATE TABLE dx (patid INT32, code CHAR(2), cost INT64);`;
const QUERIES = {
  left: "SELECT d.age, COUNT(*) AS n, SUM(x.cost) AS cost FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age",
  inner: "SELECT d.zip, x.code, COUNT(*) AS n FROM demo d JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.zip, x.code",
  // The key's columns in another order than the tables are sorted by: no merge, still the right answer.
  mixed: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN dx x ON d._site = x._site AND d.patid = x.patid AND d.age = x.cost GROUP BY d.age",
};

const study = inlineStudy({
  name: "merge", tablesSql: TABLES, minCellCount: 1,
  partners: [{ name: "s1", tables: ["demo", "dx"] }, { name: "s2", tables: ["demo"] }, { name: "s3", tables: ["demo", "dx"] }],
  queries: Object.entries(QUERIES).map(([name, sql]) => ({ name, sql })),
});

/** Each partner's rows, sorted by patid as `catalyst share` would, concatenated in partner order. */
function uploads(seed: number): { rows: Record<string, Array<Array<number | bigint | string>>>; sizes: InputSizes } {
  const random = seededRandom(seed);
  const rows: Record<string, Array<Array<number | bigint | string>>> = { demo: [], dx: [] };
  const sizes: InputSizes = { demo: [], dx: [] };
  study.partners.forEach((partner, index) => {
    for (const table of partner.tables) {
      const count = 5 + Math.floor(random() * 40);
      const part: Array<Array<number | bigint | string>> = [];
      // dx keys are unique within a partner (share checks that); demo's may repeat.
      const patids = table === "dx" ? [...new Set(Array.from({ length: count }, () => Math.floor(random() * 60) - 10))] : Array.from({ length: count }, () => Math.floor(random() * 60) - 10);
      for (const patid of patids) {
        part.push(table === "demo" ? [patid, Math.floor(random() * 4), ["606", "601", "zzz"][Math.floor(random() * 3)]] : [patid, ["E1", "I1"][Math.floor(random() * 2)], BigInt(Math.floor(random() * 4))]);
      }
      rows[table].push(...sortRows(findTable(study, table), ["patid"], part));
      sizes[table].push({ partner: index, rows: part.length });
    }
  });
  return { rows, sizes };
}

describe("joins over uploads sorted by the within-site key", () => {
  it.each([1, 2, 3])("give the full sort's rows for fewer ANDs (seed %i)", async (seed) => {
    const { rows, sizes } = uploads(seed);
    for (const query of study.queries) {
      const sorting = compileQuery(study, query, sizes);
      const merging = compileQuery(study, query, sizes, { sortedInputs: { demo: ["patid"], dx: ["patid"] } });
      const tableRows = (compiled: typeof sorting) => compiled.tables.map((table) => rows[table]);
      const expected = rowTexts(await runInTheClear(study, sorting.tables, tableRows(sorting), sorting));
      expect(rowTexts(await runInTheClear(study, merging.tables, tableRows(merging), merging))).toEqual(expected);
      const bits = (compiled: typeof sorting) => compiled.tables.map((table) => rows[table].length * rowBits(findTable(study, table).columns));
      const [sortCost, mergeCost] = [await sorting.cost(bits(sorting)), await merging.cost(bits(merging))];
      if (query.name === "mixed") expect(mergeCost.andGates).toBe(sortCost.andGates);
      else expect(mergeCost.andGates).toBeLessThan(sortCost.andGates);
    }
  });

  it("give the same rows when the join sorts by shuffling, as the plan names it", async () => {
    const { rows, sizes } = uploads(5);
    for (const query of study.queries) {
      const network = compileQuery(study, query, sizes, { sortMethod: "network" });
      const shuffled = compileQuery(study, query, sizes, { sortMethod: "shuffle" });
      const tableRows = (compiled: typeof network) => compiled.tables.map((table) => rows[table]);
      // The same rows; an output that asks no order is shuffled, so in any order.
      const released = async (compiled: typeof network) => rowTexts(await runInTheClear(study, compiled.tables, tableRows(compiled), compiled)).sort();
      expect(await released(shuffled)).toEqual(await released(network));
      const cost = await shuffled.cost(shuffled.tables.map((table) => rows[table].length * rowBits(findTable(study, table).columns)));
      expect(cost.operators.some((operator) => /join on \d keys? \(shuffle sort,/.test(operator.operator))).toBe(true);
    }
  });

  it("merges only when both sides' uploads are sorted by the key", async () => {
    const { rows, sizes } = uploads(4);
    const query = study.queries[0];
    const costOf = async (compiled: ReturnType<typeof compileQuery>) => (await compiled.cost(compiled.tables.map((table) => rows[table].length * rowBits(findTable(study, table).columns)))).andGates;
    const full = await costOf(compileQuery(study, query, sizes));
    const cost = (sortedInputs: Record<string, string[]>) => costOf(compileQuery(study, query, sizes, { sortedInputs }));
    expect(await cost({ demo: ["patid"] })).toBe(full);
    expect(await cost({ demo: ["patid"], dx: ["code"] })).toBe(full);
    expect(await cost({ demo: ["patid"], dx: ["patid"] })).toBeLessThan(full);
  });
});

describe("merging on string keys of different types, with empty uploads", () => {
  const strings = inlineStudy({
    name: "strings", minCellCount: 1,
    tablesSql: "CREATE TABLE a (code VARCHAR(6), v INT32);\nCREATE TABLE b (code CHAR(4), w INT64);",
    partners: [{ name: "s1", tables: ["a", "b"] }, { name: "s2", tables: ["a", "b"] }, { name: "s3", tables: ["a", "b"] }],
    queries: [{ name: "q", sql: "SELECT a.v, COUNT(*) AS n, SUM(b.w) AS w FROM a LEFT JOIN b ON a._site = b._site AND a.code = b.code GROUP BY a.v" }],
  });
  const codes = ["", "a", "ab", "é", "ÿ", "Ā", "zz", "a\u00e9", "b"];

  it.each([[11, [3, 0, 4]], [12, [0, 0, 0]], [13, [5, 6, 0]]])("gives the full sort's rows (seed %i, upload sizes %j)", async (seed, counts) => {
    const random = seededRandom(seed);
    const rows: Record<string, Array<Array<number | bigint | string>>> = { a: [], b: [] };
    const sizes: InputSizes = { a: [], b: [] };
    counts.forEach((count, partner) => {
      const a = Array.from({ length: count }, () => [codes[Math.floor(random() * codes.length)], Math.floor(random() * 3)]);
      const b = [...new Set(Array.from({ length: count }, () => codes[Math.floor(random() * codes.length)]))].map((code) => [code, BigInt(Math.floor(random() * 9))]);
      rows.a.push(...sortRows(findTable(strings, "a"), ["code"], a));
      rows.b.push(...sortRows(findTable(strings, "b"), ["code"], b));
      sizes.a.push({ partner, rows: a.length });
      sizes.b.push({ partner, rows: b.length });
    });
    const query = strings.queries[0];
    const sorting = compileQuery(strings, query, sizes);
    const merging = compileQuery(strings, query, sizes, { sortedInputs: { a: ["code"], b: ["code"] } });
    const released = async (compiled: typeof sorting) => rowTexts(await runInTheClear(strings, compiled.tables, compiled.tables.map((table) => rows[table]), compiled));
    expect(await released(merging)).toEqual(await released(sorting));
  });
});
