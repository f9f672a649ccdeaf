/** A revealed result as CSV text, the same in `catalyst reveal` and the portal: suppressed and NULL cells are empty. */
import { stringify } from "csv-stringify/sync";
import type { RevealedResult } from "./resultFile.js";
import { formatValue } from "./values.js";

export function resultToCsv(result: RevealedResult): string {
  const rows = result.rows.map((cells) => cells.map((cell) => (typeof cell === "object" ? "" : formatValue(cell))));
  return stringify([result.columns.map((column) => column.name), ...rows]);
}
