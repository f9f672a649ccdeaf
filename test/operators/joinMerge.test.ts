/**
 * A join within sites whose uploads arrive sorted by the key merges two sorted runs instead of sorting: the
 * same rows as the full sort, for far fewer ANDs. Uploads are sorted as `catalyst share` sorts them.
 */
import { describe, expect, it } from "@jest/globals";
import { runInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import { rowComparator } from "../../src/share/rowOrder.js";
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
      part.sort(rowComparator(findTable(study, table), ["patid"]));
      rows[table].push(...part);
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
