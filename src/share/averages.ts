/**
 * AVG is not divided inside MPC: the query releases each AVG as its SUM and its COUNT (two adjacent output
 * columns, each under the minimum cell count), and the investigator's side divides them here.
 */
import type { Cell } from "./rowCodec.js";
import type { Column } from "./schema.js";

/**
 * The columns and rows as the investigator sees them: each SUM/COUNT pair becomes one AVG column holding
 * SUM / COUNT as a double (as SQL engines give AVG of integers). It is suppressed if either half is, and
 * NULL when there is nothing to average.
 */
export function divideAverages(columns: Column[], rows: Cell[][]): { columns: Column[]; rows: Cell[][] } {
  if (!columns.some((column) => column.average)) return { columns, rows };
  const shown: Column[] = [];
  const sources: Array<{ sum: number; count?: number }> = [];
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index];
    if (column.average === "sum" && columns[index + 1]?.average === "count") {
      shown.push({ name: column.name, type: { kind: "varchar", length: 32 }, suppressible: true, nullable: true });
      sources.push({ sum: index, count: index + 1 });
      index++;
    } else {
      shown.push(column);
      sources.push({ sum: index });
    }
  }
  const divided = rows.map((row) => sources.map(({ sum, count }) => (count === undefined ? row[sum] : average(row[sum], row[count]))));
  return { columns: shown, rows: divided };
}

function average(sum: Cell, count: Cell): Cell {
  const suppressed = (cell: Cell) => typeof cell === "object" && "suppressed" in cell;
  if (suppressed(sum) || suppressed(count)) return { suppressed: true };
  const isNumber = (cell: Cell): cell is number | bigint => typeof cell === "number" || typeof cell === "bigint";
  if (!isNumber(sum) || !isNumber(count) || Number(count) === 0) return { null: true };
  // Both rounded to the nearest double first, then divided: what DuckDB does for AVG of integers.
  return Number(sum) / Number(count);
}
