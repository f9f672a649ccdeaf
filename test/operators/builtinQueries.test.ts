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

async function runPlain(study: Study, input: Cell[][] = rows): Promise<Cell[]> {
  const plan = planBuiltinQuery(study, study.queries[0]);
  const codec = new RowCodec(study.tables[0].columns);
  const data = new Uint8Array(input.length * codec.recordBytes);
  input.forEach((row, index) => codec.encode(data, index, row));
  const backend = new PlaintextBackend();
  const planes = rowsToBitPlanes(data, input.length, codec.recordBytes, rowBits(study.tables[0].columns));
  const output = await plan.circuit(backend, backend.constant(planes), input.length);
  const outputCodec = new RowCodec(plan.outputColumns(input.length));
  const packed = bitPlanesToRows(backend.outputShare(output), plan.outputRows, outputCodec.recordBytes, rowBits(plan.outputColumns(input.length)));
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
    ["SELECT SUM(cost) FROM visits", 6, [{ suppressed: true }]],
    ["SELECT COUNT(*) FROM visits WHERE zip = 'none'", 1, [0n]],
    ["SELECT SUM(smoker) FROM visits", 3, [3n]],
    ["SELECT SUM(age) FROM visits", 200, [{ suppressed: true }]],
  ])("%s with minimum cell count %i", async (sql, minCellCount, expected) => {
    expect(await runPlain(studyWith(sql, minCellCount))).toEqual(expected);
  });

  it("suppresses a large SUM over fewer than t rows, and never wraps a SUM beyond INT64", async () => {
    const big = (9223372036854775807n);
    const huge: Cell[][] = Array.from({ length: 12 }, (_, index) => [index, big, true, "60614", 1]);
    expect(await runPlain(studyWith("SELECT SUM(cost) FROM visits", 11), huge)).toEqual([12n * big]);
    expect(await runPlain(studyWith("SELECT SUM(cost) FROM visits", 13), huge)).toEqual([{ suppressed: true }]);
    expect(planBuiltinQuery(studyWith("SELECT SUM(cost) FROM visits"), studyWith("SELECT SUM(cost) FROM visits").queries[0]).outputColumns(12)[0].type).toEqual({ kind: "int", bits: 68 });
  });

  it("gives 0 (not an error) over an empty table", async () => {
    expect(await runPlain(studyWith("SELECT COUNT(*) FROM visits"), [])).toEqual([0n]);
    expect(await runPlain(studyWith("SELECT SUM(cost) FROM visits"), [])).toEqual([0n]);
  });

  it.each([
    ["SELECT COUNT(*) FROM visits WHERE age = 4294967297", /outside the range of age \(INT32\)/],
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
