/**
 * Queries whose sorts and compaction run as shuffle sorts (and whose unordered output is shuffled) give the
 * network's rows, in the clear and garbled between two parties over a channel, and the plan chooses the
 * shuffle where it is cheaper.
 */
import { describe, expect, it } from "@jest/globals";
import { runGarbledOverChannel } from "../../src/circuit/twoParty.js";
import { runInTheClear } from "../../src/operators/clearRun.js";
import { compileQuery, type CompiledQuery, type InputSizes } from "../../src/operators/compile.js";
import { studySortOrders } from "../../src/operators/joinKeys.js";
import { bitPlanesToRows, rowsToBitPlanes } from "../../src/share/bitPlaneLayout.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { sortRows } from "../../src/share/rowOrder.js";
import { rowBits } from "../../src/share/schema.js";
import { findTable, type Study } from "../../src/share/study.js";
import { seededRandom } from "../circuit/harness.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { rowTexts } from "../helpers/rowText.js";

const study = inlineStudy({
  name: "shuffled", minCellCount: 3,
  tablesSql: "CREATE TABLE visits (age INT32 CHECK (age BETWEEN 0 AND 9), sex CHAR(1) CHECK (sex IN ('F', 'M')), zip CHAR(3), n INT32 CHECK (n BETWEEN 0 AND 50));",
  partners: [{ name: "s1", tables: ["visits"] }, { name: "s2", tables: ["visits"] }, { name: "s3", tables: ["visits"] }],
  queries: [
    { name: "strata", sql: "SELECT age, sex, zip, SUM(n) AS n, COUNT(*) AS rows_in FROM visits GROUP BY age, sex, zip" },
    { name: "ordered", sql: "SELECT zip, SUM(n) AS n FROM visits WHERE age > 2 GROUP BY zip ORDER BY n DESC, zip LIMIT 4" },
    { name: "by_age", sql: "SELECT age, COUNT(*) AS c FROM visits GROUP BY age ORDER BY age DESC" },
    // A nullable argument: the sorted record carries NULL flags beside the key.
    { name: "nullable", sql: "SELECT sex, zip, MAX(CASE WHEN n > 45 THEN n END) AS top, COUNT(*) AS c FROM visits GROUP BY sex, zip" },
  ],
});

type Row = Array<number | string>;

function uploads(seed: number): { rows: Row[]; sizes: InputSizes } {
  const random = seededRandom(seed);
  const rows: Row[] = [];
  const sizes: InputSizes = { visits: [] };
  const order = studySortOrders(study).visits;
  study.partners.forEach((_, partner) => {
    const count = 20 + Math.floor(random() * 40);
    const part: Row[] = Array.from({ length: count }, () => [Math.floor(random() * 10), ["F", "M"][Math.floor(random() * 2)], ["606", "607", "zz"][Math.floor(random() * 3)], Math.floor(random() * 51)]);
    rows.push(...(order ? sortRows(findTable(study, "visits"), order, part) : part));
    sizes.visits.push({ partner, rows: count });
  });
  return { rows, sizes };
}

/** The compiled query garbled and evaluated over an in-memory channel: the released rows, and the run's traffic. */
async function runGarbledQuery(compiled: CompiledQuery, rows: Row[]) {
  const codec = new RowCodec(findTable(study, "visits").columns);
  const data = new Uint8Array(rows.length * codec.recordBytes);
  rows.forEach((row, lane) => codec.encode(data, lane, row));
  const input = rowsToBitPlanes(data, rows.length, codec.recordBytes, rowBits(findTable(study, "visits").columns));
  const run = await runGarbledOverChannel(async (backend, inputs) => [await compiled.circuit(backend, inputs)], [input]);
  const output = new RowCodec(compiled.outputColumns);
  const packed = bitPlanesToRows(run.outputs[0], compiled.outputRows, output.recordBytes, rowBits(compiled.outputColumns));
  const released: Cell[][] = [];
  for (let index = 0; index < compiled.outputRows; index++) {
    const row = output.decode(packed, index);
    if (row.valid) released.push(row.cells);
  }
  return { released, run };
}

const compiled = (sizes: InputSizes, sortMethod: "network" | "shuffle", name: string, target: Study = study) =>
  compileQuery(target, target.queries.find((query) => query.name === name)!, sizes, { sortedInputs: studySortOrders(target), sortMethod });

describe("queries sorted by shuffling", () => {
  it.each(study.queries.map((query) => query.name))("%s: the shuffle sort releases the network's rows, garbled and in the clear", async (name) => {
    const { rows, sizes } = uploads(name.length);
    const network = compiled(sizes, "network", name);
    const shuffle = compiled(sizes, "shuffle", name);
    // Without ORDER BY the shuffled output's rows come in no particular order: compared as sets.
    const ordered = /ORDER BY/.test(study.queries.find((query) => query.name === name)!.sql);
    const texts = (released: Cell[][]) => (ordered ? rowTexts(released) : rowTexts(released).sort());
    const expected = texts(await runInTheClear(study, network.tables, [rows], network));
    expect(expected.length).toBeGreaterThan(0);
    expect(texts(await runInTheClear(study, shuffle.tables, [rows], shuffle))).toEqual(expected);
    const garbled = await runGarbledQuery(shuffle, rows);
    expect(texts(garbled.released)).toEqual(expected);
    // The plan counts exactly what the parties garbled, and names the shuffle.
    const cost = await shuffle.cost([rows.length * rowBits(findTable(study, "visits").columns)]);
    expect(garbled.run.andGates).toBe(cost.andGates);
    expect(cost.operators.some((operator) => /shuffle sort/.test(operator.operator))).toBe(true);
    if (!ordered) expect(cost.operators[0].operator).toMatch(/rows shuffled/);
  });

  it("sends the same traffic for other rows of the same shape", async () => {
    const first = uploads(1);
    const second = uploads(1);
    // Same sizes, other values.
    const random = seededRandom(99);
    const rows = second.rows.map((row) => [Math.floor(random() * 10), ["F", "M"][Math.floor(random() * 2)], "607", Math.floor(random() * 51)]);
    const shapes = [];
    for (const data of [first.rows, rows]) {
      const { run } = await runGarbledQuery(compiled(first.sizes, "shuffle", "strata"), data);
      shapes.push([run.andGates, run.streamBytes, run.garblerBytesSent, run.evaluatorBytesSent]);
    }
    expect(shapes[1]).toEqual(shapes[0]);
  });

  it("is what the plan chooses for many rows in several runs, and not for a few", async () => {
    const few = compiled({ visits: [{ partner: 0, rows: 30 }, { partner: 1, rows: 30 }, { partner: 2, rows: 30 }] }, undefined as never, "strata");
    const many = compiled({ visits: [{ partner: 0, rows: 40_000 }, { partner: 1, rows: 50_000 }, { partner: 2, rows: 60_000 }] }, undefined as never, "strata");
    const describe = async (query: CompiledQuery, rows: number) => (await query.cost([rows * rowBits(findTable(study, "visits").columns)])).operators.map((operator) => operator.operator).join("; ");
    expect(await describe(few, 90)).not.toMatch(/shuffle/);
    // The output needs no order: a shuffle hides its dummies for less than compaction.
    expect(await describe(many, 150_000)).toMatch(/rows shuffled/);
  });
});
