/** The types of query values. Integers carry their bit width, which grows so that sums cannot overflow. */
import type { ColumnType } from "../../share/schema.js";

export type SqlType =
  | { kind: "int"; bits: number }
  | { kind: "bool" }
  | { kind: "string"; length: number };

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

export function describeType(type: SqlType): string {
  switch (type.kind) {
    case "int": return type.bits <= 32 ? "INT32" : type.bits <= 64 ? "INT64" : `INT(${type.bits})`;
    case "bool": return "BOOL";
    case "string": return `CHAR(${type.length})`;
  }
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
  if (a.kind === "string" && b.kind === "string") return { kind: "string", length: Math.max(a.length, b.length) };
  if (a.kind === "bool" && b.kind === "bool") return a;
  return undefined;
}
