/**
 * Sums sized by public bounds rather than by type × rows: a TABLES.sql CHECK narrows a column and bounds
 * what each partner's values add up to, and a COUNT's groups add up to at most its rows. The narrower
 * circuit must still give exact answers at the very edge of each bound, in the clear and garbled.
 */
import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runGarbled } from "../../src/circuit/twoParty.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import type { Cell } from "../../src/share/rowCodec.js";
import { inputBits, releasedRows } from "../helpers/circuitRows.js";
import { createStudy } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const study = createStudy({
  name: "bounds", minCellCount: 1,
  tables: parseTablesSql(`counts (zip CHAR(5), n INT32 CHECK (n >= 0) CHECK (SUM(n) <= 1000), delta INT32 CHECK (delta BETWEEN -8 AND 7), free INT32);
    people (patid INT32, zip CHAR(5))`),
  partners: [{ name: "a", tables: ["counts", "people"] }, { name: "b", tables: ["counts"] }, { name: "c", tables: ["counts"] }],
  garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: [],
});
const table = study.tables[0];

// Each partner's n adds up to exactly its bound of 1000, in one zip: the merged sum is the largest the circuit allows.
const partners: Cell[][][] = [
  [["60601", 600, -8, 5], ["60601", 400, 7, -5], ["60614", 0, -8, 1]],
  [["60601", 1000, -8, 2], ["60622", 0, 3, 0]],
  [["60601", 1, -1, 9], ["60601", 999, -8, 9], ["60614", 0, 0, 0], ["60614", 0, 0, 0]],
];
const sizes: InputSizes = { counts: partners.map((rows, partner) => ({ partner, rows: rows.length })) };

async function released(sql: string): Promise<{ plain: Cell[][]; garbled: Cell[][] }> {
  const compiled = compileQuery(study, { name: "q", sql }, sizes);
  const input = inputBits(table.columns, partners.flat());
  const decode = (share: Uint8Array) => releasedRows(compiled.outputColumns, compiled.outputRows, share);
  const backend = new PlaintextBackend();
  const plain = decode(backend.outputShare(await compiled.circuit(backend, [backend.constant(input)])));
  const garbled = await runGarbled(async (garbling, inputs) => [await compiled.circuit(garbling, inputs)], [input]);
  return { plain, garbled: decode(garbled.outputs[0]) };
}

/** The types the circuit computes with (the result file then widens integers to INT32 or INT64). */
const widthsOf = (sql: string) => compileQuery(study, { name: "q", sql }, sizes).plan.columns.map((column) => column.type);

describe("sums sized by declared and derived bounds", () => {
  it("narrows a CHECKed column and sizes its SUM by the partners' declared totals", () => {
    // 3 partners × 1000 = 3000 needs 13 signed bits, where INT32 over 9 rows needs 36.
    expect(widthsOf("SELECT zip, SUM(n) AS n FROM counts GROUP BY zip")).toEqual([{ kind: "string", length: 5 }, { kind: "int", bits: 13 }]);
    expect(widthsOf("SELECT SUM(free) AS f FROM counts")).toEqual([{ kind: "int", bits: 36 }]);
    // BETWEEN -8 AND 7 is a 4-bit column; its sum has no total to go by, only 9 rows of it.
    expect(widthsOf("SELECT delta FROM counts")).toEqual([{ kind: "int", bits: 4 }]);
    expect(widthsOf("SELECT SUM(delta) AS d FROM counts")).toEqual([{ kind: "int", bits: 8 }]);
    // The groups of a COUNT add up to the rows counted: a sum of counts is no wider than a count.
    expect(widthsOf("SELECT SUM(c) AS c FROM (SELECT zip, COUNT(*) AS c FROM counts GROUP BY zip) g")).toEqual([{ kind: "int", bits: 5 }]);
    // A CASE of bounded branches, and the cap on each value by the total.
    expect(widthsOf("SELECT SUM(CASE WHEN zip = '60601' THEN n ELSE 0 END) AS s FROM counts")).toEqual([{ kind: "int", bits: 13 }]);
  });

  it("gives exact sums at the edge of the bounds, in the clear and garbled", async () => {
    const expected = [["60601", 3000, 5, -18], ["60614", 0, 3, -8], ["60622", 0, 1, 3]];
    const { plain, garbled } = await released("SELECT zip, SUM(n) AS n, COUNT(*) AS rows, SUM(delta) AS d FROM counts GROUP BY zip ORDER BY zip");
    const asNumbers = (rows: Cell[][]) => rows.map((row) => row.map((cell) => (typeof cell === "bigint" ? Number(cell) : cell)));
    expect(asNumbers(plain)).toEqual(expected);
    expect(asNumbers(garbled)).toEqual(expected);
  });

  it("keeps a sum of sums of counts exact", async () => {
    const sql = "SELECT SUM(c) AS total FROM (SELECT zip, COUNT(*) AS c FROM counts GROUP BY zip UNION ALL SELECT zip, n AS c FROM counts) g";
    const { plain, garbled } = await released(sql);
    expect(plain.map((row) => row.map(Number))).toEqual([[9 + 3000]]);
    expect(garbled).toEqual(plain);
  });
});
