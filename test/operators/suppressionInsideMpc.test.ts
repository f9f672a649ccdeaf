/**
 * Invariant 4: two inputs of the same public sizes that release the same result but differ in their
 * suppressed groups give the investigator identical full output tables — row for row, dummy rows included —
 * both in the clear and as the XOR of the two parties' garbled-circuit output shares.
 */
import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runGarbled } from "../../src/circuit/twoParty.js";
import { compileQuery } from "../../src/operators/compile.js";
import { bitPlanesToRows, rowsToBitPlanes } from "../../src/share/bitPlaneLayout.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { rowBits } from "../../src/share/schema.js";
import { createStudy } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const study = createStudy({
  name: "suppression", minCellCount: 3, tables: parseTablesSql("visits (patid INT32, zip CHAR(5), cost INT32)"),
  partners: [{ name: "a", tables: ["visits"] }], garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() },
  investigator: { publicKey: key() }, queries: [],
});
const query = { name: "by_zip", sql: "SELECT zip, COUNT(*) AS n, SUM(cost) AS total FROM visits GROUP BY zip" };

function rowsOf(zips: Array<[string, number]>): Cell[][] {
  let patid = 0;
  return zips.flatMap(([zip, count]) => Array.from({ length: count }, () => [++patid, zip, 4] as Cell[]));
}

// Released in both: 60601 (5 patients) and 60640 (4). Suppressed groups differ in zips, sizes and count.
const first = rowsOf([["60601", 5], ["60614", 1], ["60622", 2], ["60640", 4]]);
const second = rowsOf([["60614", 2], ["60601", 5], ["60630", 1], ["60640", 4]]);

function inputBits(rows: Cell[][]): Uint8Array {
  const codec = new RowCodec(study.tables[0].columns);
  const data = new Uint8Array(rows.length * codec.recordBytes);
  rows.forEach((row, index) => codec.encode(data, index, row));
  return rowsToBitPlanes(data, rows.length, codec.recordBytes, rowBits(study.tables[0].columns));
}

async function fullOutput(sql: string, rows: Cell[][]): Promise<Uint8Array> {
  const compiled = compileQuery(study, { name: "q", sql }, { visits: [{ partner: 0, rows: rows.length }] });
  const backend = new PlaintextBackend();
  return backend.outputShare(await compiled.circuit(backend, [backend.constant(inputBits(rows))]));
}

describe("suppression inside MPC", () => {
  it.each([
    "SELECT zip, COUNT(*) AS n FROM visits GROUP BY zip ORDER BY n",
    "SELECT zip, COUNT(*) AS n FROM visits GROUP BY zip ORDER BY n LIMIT 1",
    "SELECT zip, COUNT(*) AS n, SUM(cost) AS total FROM visits GROUP BY zip ORDER BY total DESC",
  ])("keeps suppressed groups invisible for %s", async (sql) => {
    expect(Buffer.from(await fullOutput(sql, second)).equals(Buffer.from(await fullOutput(sql, first)))).toBe(true);
  });

  it.each(["SELECT zip, -COUNT(*) AS n FROM visits GROUP BY zip", "SELECT zip, COUNT(*) + 0 AS n FROM visits GROUP BY zip", "SELECT zip, CASE WHEN COUNT(*) > 1 THEN 1 ELSE 0 END AS big FROM visits GROUP BY zip"])(
    "refuses to compute with a count in the output: %s", (sql) => {
      expect(() => compileQuery(study, { name: "q", sql }, { visits: [{ partner: 0, rows: first.length }] })).toThrow(/not computed with/);
    });

  it("allows only conditions on counts that keep groups at or above the threshold", () => {
    const compile = (sql: string) => compileQuery(study, { name: "q", sql }, { visits: [{ partner: 0, rows: first.length }] });
    expect(() => compile("SELECT zip FROM visits GROUP BY zip HAVING COUNT(*) < 3")).toThrow(/may only be "count >= 3"/);
    expect(() => compile("SELECT zip FROM visits GROUP BY zip HAVING COUNT(*) = 1")).toThrow(/may only be "count >= 3"/);
    expect(() => compile("SELECT zip, n FROM (SELECT zip, COUNT(*) AS n FROM visits GROUP BY zip) g WHERE n >= 2")).toThrow(/may only be/);
    expect(() => compile("SELECT zip FROM visits GROUP BY zip HAVING COUNT(*) >= 3 AND SUM(cost) > 2")).not.toThrow();
  });

  it("leaves no trace of suppressed groups in the full output table", async () => {
    expect(first.length).toBe(second.length);
    const compiled = compileQuery(study, query, { visits: [{ partner: 0, rows: first.length }] });
    const program = async (backend: PlaintextBackend, inputs: ReturnType<PlaintextBackend["constant"]>[]) => [await compiled.circuit(backend, inputs)];

    const plain = async (rows: Cell[][]) => {
      const backend = new PlaintextBackend();
      const [output] = await program(backend, [backend.constant(inputBits(rows))]);
      return backend.outputShare(output);
    };
    const [clearFirst, clearSecond] = [await plain(first), await plain(second)];
    expect(Buffer.from(clearSecond).equals(Buffer.from(clearFirst))).toBe(true);

    // The same through garbling: the XOR of the two output shares is the investigator's whole table.
    const garbledFirst = await runGarbled(async (backend, inputs) => [await compiled.circuit(backend, inputs)], [inputBits(first)]);
    const garbledSecond = await runGarbled(async (backend, inputs) => [await compiled.circuit(backend, inputs)], [inputBits(second)]);
    expect(Buffer.from(garbledFirst.outputs[0]).equals(Buffer.from(clearFirst))).toBe(true);
    expect(Buffer.from(garbledSecond.outputs[0]).equals(Buffer.from(clearFirst))).toBe(true);
    expect(garbledSecond.streamBytes).toBe(garbledFirst.streamBytes);

    // And what is released: two rows, in group order, then all-zero dummies.
    const codec = new RowCodec(compiled.outputColumns);
    const packed = bitPlanesToRows(clearFirst, compiled.outputRows, codec.recordBytes, rowBits(compiled.outputColumns));
    const decoded = Array.from({ length: compiled.outputRows }, (_, index) => codec.decode(packed, index));
    expect(decoded.filter((row) => row.valid).map((row) => row.cells)).toEqual([["60601", 5, 20n], ["60640", 4, 16n]]);
    for (const row of decoded.slice(2)) expect(row).toEqual({ valid: false, cells: ["", 0, 0n] });
    expect(packed.subarray(2 * codec.recordBytes).every((byte) => byte === 0)).toBe(true);
  });
});
