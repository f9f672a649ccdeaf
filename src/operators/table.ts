/**
 * A table inside the circuit: `rows` lanes, a secret `valid` bit per row, and each column as bit-planes.
 * Filters clear `valid`; rows are never removed, so sizes stay public (threat model, invariant 1).
 */
import type { Backend } from "../circuit/backend.js";
import { planeRange, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import type { WireVector } from "../circuit/wireVector.js";
import { columnBits, rowBits, valueBits, type Column } from "../share/schema.js";

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

/** Splits a table's input wires (the file's row layout, as bit-planes: see share/bitPlaneLayout) into columns. */
export function tableFromInputWires(backend: Backend, wires: WireVector, columns: readonly Column[], rows: number): CircuitTable {
  const all = { wires, width: rowBits(columns), lanes: rows };
  if (wires.length !== all.width * rows) throw new RangeError(`expected ${all.width * rows} input wires, got ${wires.length}`);
  let offset = 1;
  const tableColumns = columns.map((column): TableColumn => {
    const start = offset + columnBits(column) - valueBits(column.type);
    offset += columnBits(column);
    return { column, value: planeRange(backend, all, start, start + valueBits(column.type)) };
  });
  return { rows, valid: backend.slice(wires, 0, rows), columns: tableColumns };
}

/** The inverse: a table as plane-major wires in the file's row layout, ready for `outputShare`. */
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
