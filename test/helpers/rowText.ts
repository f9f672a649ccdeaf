/** Released rows as text for comparisons: `∅` for a suppressed cell, `NULL` for a NULL, cells joined by `|`. */
import type { Cell } from "../../src/share/rowCodec.js";

export function rowTexts(rows: Cell[][]): string[] {
  return rows.map((row) => row.map((cell) => (typeof cell === "object" ? ("suppressed" in cell ? "∅" : "NULL") : String(cell))).join("|"));
}
