/** The result file's row layout inside the circuit: per row a `valid` bit, then each column's flags and value. */
import type { Backend } from "../circuit/backend.js";
import type { BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import type { WireVector } from "../circuit/wireVector.js";
import { valueBits, type Column } from "../share/schema.js";

export interface TableColumn {
  column: Column;
  value: BitPlanes;
  /** Set in lanes whose cell is suppressed (output columns marked suppressible). */
  suppressed?: WireVector;
  /** Set in lanes whose cell is NULL. */
  isNull?: WireVector;
}

export interface CircuitTable {
  rows: number;
  valid: WireVector;
  columns: TableColumn[];
}

/** A table as plane-major wires in the result file's row layout, ready for `outputShare`. */
export function tableToOutputWires(backend: Backend, table: CircuitTable): WireVector {
  const parts: WireVector[] = [table.valid];
  const zeros = backend.constant(new Uint8Array(table.rows));
  for (const { column, value, suppressed, isNull } of table.columns) {
    if (column.suppressible) parts.push(suppressed ?? zeros);
    if (column.nullable) parts.push(isNull ?? zeros);
    if (value.width !== valueBits(column.type) || value.lanes !== table.rows) {
      throw new RangeError(`column ${column.name} holds ${value.width}×${value.lanes} bits, its type needs ${valueBits(column.type)}×${table.rows}`);
    }
    parts.push(value.wires);
  }
  return backend.concat(parts);
}
