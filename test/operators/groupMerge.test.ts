/**
 * A GROUP BY over uploads that `catalyst share` sorted by its key (the pilot's rollup tables) merges the
 * partners' runs instead of sorting them: the same rows as the full sort, for fewer ANDs.
 */
import { describe, expect, it } from "@jest/globals";
import { runInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import { studySortOrders } from "../../src/operators/joinKeys.js";
import { sortRows } from "../../src/share/rowOrder.js";
import { rowBits } from "../../src/share/schema.js";
import { findTable } from "../../src/share/study.js";
import { seededRandom } from "../circuit/harness.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

type Row = Array<number | bigint | string>;

const study = inlineStudy({
  name: "groups", minCellCount: 1,
  tablesSql: "CREATE TABLE rollup (age INT32, sex CHAR(1), zip CHAR(3), n INT32, cost INT64);",
  partners: [{ name: "s1", tables: ["rollup"] }, { name: "s2", tables: ["rollup"] }, { name: "s3", tables: ["rollup"] }],
  queries: [
    { name: "strata", sql: "SELECT age, sex, zip, SUM(n) AS n, MIN(cost) AS low, MAX(cost) AS high FROM rollup GROUP BY age, sex, zip" },
    { name: "prefix", sql: "SELECT age, sex, SUM(n) AS n, COUNT(*) AS rows_in FROM (SELECT age, sex, n FROM rollup UNION ALL SELECT age, sex, n FROM rollup) r GROUP BY age, sex" },
    // Sorted by (age, sex, zip), the rows are not sorted by zip: a full sort, still the right answer.
    { name: "other", sql: "SELECT zip, SUM(n) AS n FROM rollup GROUP BY zip" },
  ],
});

/** Each partner's rows, sorted as `catalyst share` sorts them, in partner order; ages may be negative and zips non-ASCII. */
function uploads(seed: number, order: string[]): { rows: Row[]; sizes: InputSizes } {
  const random = seededRandom(seed);
  const rows: Row[] = [];
  const sizes: InputSizes = { rollup: [] };
  study.partners.forEach((_, partner) => {
    const count = 1 + Math.floor(random() * 30);
    const part: Row[] = Array.from({ length: count }, () => [
      Math.floor(random() * 5) - 2, ["F", "M"][Math.floor(random() * 2)], ["606", "6é", "zz", ""][Math.floor(random() * 4)], 1 + Math.floor(random() * 20), BigInt(Math.floor(random() * 2000) - 1000),
    ]);
    rows.push(...sortRows(findTable(study, "rollup"), order, part));
    sizes.rollup.push({ partner, rows: count });
  });
  return { rows, sizes };
}

describe("GROUP BYs over uploads sorted by the group key", () => {
  it("share sorts the table by the key that serves the most GROUP BYs", () => {
    expect(studySortOrders(study)).toEqual({ rollup: ["age", "sex", "zip"] });
  });

  it.each([1, 2, 3])("give the full sort's rows, for fewer ANDs where the key is a prefix of the order (seed %i)", async (seed) => {
    const order = studySortOrders(study).rollup;
    const { rows, sizes } = uploads(seed, order);
    const bits = [rows.length * rowBits(findTable(study, "rollup").columns)];
    for (const query of study.queries) {
      const sorting = compileQuery(study, query, sizes);
      const merging = compileQuery(study, query, sizes, { sortedInputs: { rollup: order } });
      const expected = rowTexts(await runInTheClear(study, sorting.tables, [rows], sorting));
      expect(rowTexts(await runInTheClear(study, merging.tables, [rows], merging))).toEqual(expected);
      const [sortCost, mergeCost] = [(await sorting.cost(bits)).andGates, (await merging.cost(bits)).andGates];
      if (query.name === "other") expect(mergeCost).toBe(sortCost);
      else expect(mergeCost).toBeLessThan(sortCost);
    }
  });
});
