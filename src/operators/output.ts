/**
 * The result file's columns and layout: the last step inside MPC, after the disclosure rules (disclosure.ts)
 * and the compiler's order-preserving compaction, so that released rows come first and their positions say
 * nothing about group sizes or suppressed cells (threat model, invariant 4).
 */
import type { Backend } from "../circuit/backend.js";
import type { WireVector } from "../circuit/wireVector.js";
import type { Column, ColumnType } from "../share/schema.js";
import type { BoundColumn } from "./sql/binder.js";
import type { Relation } from "./relation.js";
import { tableToOutputParts, type CircuitTable } from "./outputLayout.js";

/** The file type of an output column: the narrowest standard integer that holds it, else INT(n). */
export function outputColumnType(column: BoundColumn): ColumnType {
  switch (column.type.kind) {
    case "bool": return { kind: "bool" };
    case "string": return { kind: "char", length: column.type.length };
    case "int": return column.type.bits <= 32 ? { kind: "int32" } : column.type.bits <= 64 ? { kind: "int64" } : { kind: "int", bits: column.type.bits };
  }
}

export function outputColumns(columns: BoundColumn[]): Column[] {
  return columns.map((column) => ({
    name: column.name, type: outputColumnType(column), suppressible: column.countLike, nullable: column.nullable, ...(column.average ? { average: column.average } : {}),
    ...(column.type.kind === "string" && column.type.values ? { values: column.type.values } : {}),
  }));
}

/** Lays out disclosed rows as the result file's rows; the compiler has compacted them already. */
export function layoutOutput(backend: Backend, ordered: Relation, columns: BoundColumn[]): WireVector[] {
  const fileColumns = outputColumns(columns);
  const table: CircuitTable = { rows: ordered.lanes, valid: ordered.valid, columns: [] };
  let flag = columns.length;
  for (let index = 0; index < columns.length; index++) {
    const value = ordered.columns[index];
    const suppressed = columns[index].countLike ? ordered.columns[flag++].value.wires : undefined;
    // The layout widens an integer to its file type (INT32 or INT64).
    table.columns.push({ column: fileColumns[index], value: value.value, suppressed, isNull: value.isNull });
  }
  return tableToOutputParts(backend, table);
}
