/** The result file's row layout inside the circuit: per row a `valid` bit, then each column's flags and value. */
import type { Backend } from "../circuit/backend.js";
import type { BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { zerosLike } from "../circuit/shareWires.js";
import type { WireVector } from "../circuit/wireVector.js";
import { columnValueBits, type Column } from "../share/schema.js";

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

const isInteger = (type: Column["type"]) => type.kind === "int32" || type.kind === "int64" || type.kind === "int";

/**
 * A table in the result file's row layout (plane-major), as parts that together make it, in order, without
 * copying a label: each part's shares can be read off on its own (`outputShare`). An integer narrower than
 * its file type is sign-extended by repeating its top plane, so a count widened to INT64 costs no labels at
 * all (a copy would be the largest vector of a query).
 */
export function tableToOutputParts(backend: Backend, table: CircuitTable): WireVector[] {
  const parts: WireVector[] = [table.valid];
  // Zeros of the rows' own kind: after an output-only shuffle the rows are share wires (outputWiresOfShares).
  const zeros = zerosLike(backend, table.valid, table.rows);
  for (const { column, value, suppressed, isNull } of table.columns) {
    if (column.suppressible) parts.push(suppressed ?? zeros);
    if (column.nullable) parts.push(isNull ?? zeros);
    const width = columnValueBits(column);
    if (value.lanes !== table.rows || value.width > width || (value.width < width && (!isInteger(column.type) || value.width === 0))) {
      throw new RangeError(`column ${column.name} holds ${value.width}×${value.lanes} bits, its type needs ${width}×${table.rows}`);
    }
    parts.push(value.wires);
    if (value.width < width) parts.push(...new Array<WireVector>(width - value.width).fill(backend.slice(value.wires, (value.width - 1) * value.lanes, value.width * value.lanes)));
  }
  return parts;
}
