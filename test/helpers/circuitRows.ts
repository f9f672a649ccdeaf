/** Rows in and out of a compiled query for operator tests: encoded input bit-planes, and the valid rows of an output share. */
import { bitPlanesToRows, rowsToBitPlanes } from "../../src/share/bitPlaneLayout.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { rowBits, type Column } from "../../src/share/schema.js";

/** A table's rows as the plane-major input bits a share of them holds in the clear. */
export function inputBits(columns: readonly Column[], rows: Cell[][]): Uint8Array {
  const codec = new RowCodec(columns);
  const data = new Uint8Array(rows.length * codec.recordBytes);
  rows.forEach((row, index) => codec.encode(data, index, row));
  return rowsToBitPlanes(data, rows.length, codec.recordBytes, rowBits(columns));
}

/** The cells of the valid rows of a plane-major output of `rows` rows. */
export function releasedRows(columns: readonly Column[], rows: number, output: Uint8Array): Cell[][] {
  const codec = new RowCodec(columns);
  const packed = bitPlanesToRows(output, rows, codec.recordBytes, rowBits(columns));
  return Array.from({ length: rows }, (_, index) => codec.decode(packed, index)).filter((row) => row.valid).map((row) => row.cells);
}
