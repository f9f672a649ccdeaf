/** Rows sorted before sharing must be in the circuit's order: signed integers, false < true, zero-padded UTF-8. */
import { describe, expect, it } from "@jest/globals";
import { sortRows } from "../../src/share/rowOrder.js";
import type { TableSchema } from "../../src/share/schema.js";
import type { Value } from "../../src/share/values.js";
import { seededRandom } from "../circuit/harness.js";

const schema: TableSchema = {
  name: "t",
  columns: [
    { name: "small", type: { kind: "int32" } },
    { name: "big", type: { kind: "int64" } },
    { name: "flag", type: { kind: "bool" } },
    { name: "code", type: { kind: "varchar", length: 6 } },
  ],
};

/** The order as the circuit sees it, written independently of rowOrder.ts. */
function circuitCompare(type: string, a: Value, b: Value): number {
  if (type === "code") return Buffer.compare(Buffer.concat([Buffer.from(String(a)), Buffer.alloc(6)]).subarray(0, 6), Buffer.concat([Buffer.from(String(b)), Buffer.alloc(6)]).subarray(0, 6));
  if (type === "flag") return Number(a) - Number(b);
  return BigInt(a as number) < BigInt(b as number) ? -1 : BigInt(a as number) > BigInt(b as number) ? 1 : 0;
}

describe("sortRows", () => {
  const random = seededRandom(7);
  const strings = ["", "a", "ab", "b", "é", "ÿ", "Ā", "😀", "z", "\u{E000}", "aé"];
  const rows: Value[][] = Array.from({ length: 3000 }, () => [
    [-(2 ** 31), -1, 0, 1, 2 ** 31 - 1, 17][Math.floor(random() * 6)],
    [-(1n << 63n), -5n, 0n, 5n, (1n << 63n) - 1n][Math.floor(random() * 5)],
    random() < 0.5,
    strings[Math.floor(random() * strings.length)],
  ]);

  it.each([["small"], ["big"], ["flag"], ["code"], ["code", "small"], ["flag", "big", "code"]])("orders by %s as the circuit does", (...columns) => {
    const sorted = sortRows(schema, columns, rows);
    expect(sorted).toHaveLength(rows.length);
    const indices = columns.map((name) => schema.columns.findIndex((column) => column.name === name));
    for (let position = 1; position < sorted.length; position++) {
      let order = 0;
      for (const index of indices) {
        order = circuitCompare(schema.columns[index].name, sorted[position - 1][index], sorted[position][index]);
        if (order !== 0) break;
      }
      expect(order).toBeLessThanOrEqual(0);
    }
    // A permutation: every row once.
    expect(new Set(sorted).size).toBe(rows.length);
  });

  it("names a column the table does not have", () => {
    expect(() => sortRows(schema, ["nope"], rows)).toThrow(/table t has no column nope/);
  });
});
