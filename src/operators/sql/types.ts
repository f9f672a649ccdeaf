/** The types of query values. Integers carry their bit width, which grows so that sums cannot overflow. */
import { codeBits, type Column, type ColumnType } from "../../share/schema.js";

/**
 * A string with `values` is dictionary-coded: its value in the circuit is the index into `values` (listed in
 * the circuit's string order, so indices compare as the strings do), `codeBits` wide instead of 8 per byte.
 */
export type SqlType =
  | { kind: "int"; bits: number }
  | { kind: "bool" }
  | { kind: "string"; length: number; values?: readonly string[] };

/** Widest integer the engine computes with (and a result file holds); a wider sum is a compile error, not a silent overflow. */
export { MAX_OUTPUT_INT_BITS as MAX_INT_BITS } from "../../share/schema.js";

export function fromColumnType(type: ColumnType): SqlType {
  switch (type.kind) {
    case "int32": return { kind: "int", bits: 32 };
    case "int64": return { kind: "int", bits: 64 };
    case "int": return { kind: "int", bits: type.bits };
    case "bool": return { kind: "bool" };
    case "char":
    case "varchar": return { kind: "string", length: type.length };
  }
}

/** The type of a table's column, with the values its CHECK lists. */
export function fromColumn(column: Column): SqlType {
  const type = fromColumnType(column.type);
  return column.values && type.kind === "string" ? { ...type, values: column.values } : type;
}

export function describeType(type: SqlType): string {
  switch (type.kind) {
    case "int": return type.bits <= 32 ? "INT32" : type.bits <= 64 ? "INT64" : `INT(${type.bits})`;
    case "bool": return "BOOL";
    case "string": return type.values ? `CHAR(${type.length}) IN (${type.values.length} values)` : `CHAR(${type.length})`;
  }
}

/** Bits of a value of this type in the circuit. */
export function sqlTypeBits(type: SqlType): number {
  switch (type.kind) {
    case "int": return type.bits;
    case "bool": return 1;
    case "string": return type.values ? codeBits(type.values.length) : 8 * type.length;
  }
}

/** Whether two value lists are the same (a coded string meets only strings coded the same way). */
export function sameValues(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((value, index) => value === b[index]));
}

/** Two's-complement bits for a literal value. */
export function bitsForInteger(value: bigint): number {
  let bits = 1;
  while (value < -(1n << BigInt(bits - 1)) || value > (1n << BigInt(bits - 1)) - 1n) bits++;
  return bits;
}

/** The common type of two branches of a UNION ALL, a CASE or a comparison, or undefined if none. */
export function unify(a: SqlType, b: SqlType): SqlType | undefined {
  if (a.kind === "int" && b.kind === "int") return { kind: "int", bits: Math.max(a.bits, b.bits) };
  if (a.kind === "string" && b.kind === "string") {
    if (!sameValues(a.values, b.values)) return undefined;
    return { kind: "string", length: Math.max(a.length, b.length), ...(a.values ? { values: a.values } : {}) };
  }
  if (a.kind === "bool" && b.kind === "bool") return a;
  return undefined;
}
