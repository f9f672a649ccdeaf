import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { planBuiltinQuery } from "../../src/operators/builtinQueries.js";
import { bitPlanesToRows, rowsToBitPlanes } from "../../src/share/bitPlaneLayout.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { rowBits } from "../../src/share/schema.js";
import { createStudy, type Study } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
function studyWith(sql: string, minCellCount = 3): Study {
  return createStudy({
    name: "t", minCellCount, tables: parseTablesSql("visits (patid INT32, cost INT64, smoker BOOL, zip CHAR(5), age INT32)"),
    partners: [{ name: "a", tables: ["visits"] }], garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() },
    investigator: { publicKey: key() }, queries: [{ name: "q", sql }],
  });
}

const rows: Cell[][] = [
  [1, 100n, true, "60614", 30],
  [2, -40n, false, "60601", 41],
  [3, 7n, true, "60614", -5],
  [4, 0n, true, "60660", 30],
  [5, 9000000000n, false, "60614", 30],
];

async function runPlain(study: Study): Promise<Cell[]> {
  const plan = planBuiltinQuery(study, study.queries[0]);
  const codec = new RowCodec(study.tables[0].columns);
  const data = new Uint8Array(rows.length * codec.recordBytes);
  rows.forEach((row, index) => codec.encode(data, index, row));
  const backend = new PlaintextBackend();
  const planes = rowsToBitPlanes(data, rows.length, codec.recordBytes, rowBits(study.tables[0].columns));
  const output = await plan.circuit(backend, backend.constant(planes), rows.length);
  const outputCodec = new RowCodec(plan.outputColumns);
  const packed = bitPlanesToRows(backend.outputShare(output), plan.outputRows, outputCodec.recordBytes, rowBits(plan.outputColumns));
  const decoded = outputCodec.decode(packed, 0);
  expect(decoded.valid).toBe(true);
  return decoded.cells;
}

describe("built-in queries in the clear", () => {
  it.each([
    ["SELECT COUNT(*) FROM visits", 3, [5n]],
    ["SELECT COUNT(*) FROM visits", 6, [{ suppressed: true }]],
    ["select count(*) as n from visits v where v.zip = '60614'", 3, [3n]],
    ["SELECT COUNT(*) FROM visits WHERE zip = '60614'", 4, [{ suppressed: true }]],
    ["SELECT COUNT(*) FROM visits WHERE smoker = TRUE", 1, [3n]],
    ["SELECT COUNT(*) FROM visits WHERE age = -5", 1, [1n]],
    ["SELECT COUNT(*) FROM visits WHERE age = 99", 3, [0n]],
    ["SELECT SUM(cost) FROM visits", 3, [9000000067n]],
    ["SELECT SUM(smoker) FROM visits", 3, [3n]],
    ["SELECT SUM(age) FROM visits", 200, [{ suppressed: true }]],
  ])("%s with minimum cell count %i", async (sql, minCellCount, expected) => {
    expect(await runPlain(studyWith(sql, minCellCount))).toEqual(expected);
  });

  it.each([
    ["SELECT COUNT(*) FROM visits GROUP BY zip", /not one this version can compute/],
    ["SELECT SUM(zip) FROM visits", /SUM needs an INT32, INT64 or BOOL column/],
    ["SELECT COUNT(*) FROM visits WHERE nope = 1", /has no column nope/],
    ["SELECT COUNT(*) FROM visits WHERE zip = 606", /cannot be compared/],
    ["SELECT COUNT(*) FROM visits WHERE zip = '606140'", /can never match/],
  ])("refuses %s", (sql, message) => {
    const study = studyWith(sql);
    expect(() => planBuiltinQuery(study, study.queries[0])).toThrow(message);
  });
});
