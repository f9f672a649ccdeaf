/** Column types, table schemas and their fixed-width bit layout. */
import { InputError } from "./errors.js";

export type ColumnType =
  | { kind: "int32" }
  | { kind: "int64" }
  /** Output columns only: a signed integer of any width, e.g. a SUM widened so that it cannot overflow. */
  | { kind: "int"; bits: number }
  | { kind: "bool" }
  | { kind: "char"; length: number }
  | { kind: "varchar"; length: number };

export interface Column {
  name: string;
  type: ColumnType;
  /** Output columns only: the cell may be suppressed by the minimum cell count (one flag bit). */
  suppressible?: boolean;
  /** Output columns only: the cell may be NULL, e.g. from a LEFT JOIN (one flag bit). */
  nullable?: boolean;
  /** Output columns only: one half of an AVG, released as its SUM and then its COUNT (see averages.ts). */
  average?: "sum" | "count";
}

export interface TableSchema {
  name: string;
  columns: Column[];
}

/** Longest string type we accept; a row is kept in a few hundred bytes. */
export const MAX_STRING_LENGTH = 4096;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** Bits of the value itself, without flag bits. */
export function valueBits(type: ColumnType): number {
  switch (type.kind) {
    case "int32": return 32;
    case "int64": return 64;
    case "int": return type.bits;
    case "bool": return 1;
    case "char":
    case "varchar": return 8 * type.length;
  }
}

/** Bits a column takes in an encoded row: the value plus its flag bits. */
export function columnBits(column: Column): number {
  return valueBits(column.type) + (column.suppressible ? 1 : 0) + (column.nullable ? 1 : 0);
}

/** An encoded row is one `valid` bit, then each column in schema order. */
export function rowBits(columns: readonly Column[]): number {
  return 1 + columns.reduce((sum, column) => sum + columnBits(column), 0);
}

/** Rows are padded to whole bytes so that a file is an array of fixed-size records. */
export function rowBytes(columns: readonly Column[]): number {
  return Math.ceil(rowBits(columns) / 8);
}

export function typeName(type: ColumnType): string {
  switch (type.kind) {
    case "int32": return "INT32";
    case "int64": return "INT64";
    case "int": return `INT(${type.bits})`;
    case "bool": return "BOOL";
    case "char": return `CHAR(${type.length})`;
    case "varchar": return `VARCHAR(${type.length})`;
  }
}

/** Widest output integer, matching the query compiler's limit. */
export const MAX_OUTPUT_INT_BITS = 128;

/** Parses `INT32`, `int64`, `CHAR(5)`… as written in TABLES.sql and study files; `INT(n)` only where `outputs` allows. */
export function parseTypeName(text: string, outputs = false): ColumnType | undefined {
  const match = /^\s*(INT32|INT64|INT|BOOL|BOOLEAN|CHAR|VARCHAR)\s*(?:\(\s*(\d+)\s*\))?\s*$/i.exec(text);
  if (!match) return undefined;
  const base = match[1].toUpperCase();
  const length = match[2] === undefined ? undefined : Number(match[2]);
  if (base === "INT") return outputs && length !== undefined && length >= 1 && length <= MAX_OUTPUT_INT_BITS ? { kind: "int", bits: length } : undefined;
  if (base === "CHAR" || base === "VARCHAR") {
    if (length === undefined || length < 1 || length > MAX_STRING_LENGTH) return undefined;
    return { kind: base === "CHAR" ? "char" : "varchar", length };
  }
  if (length !== undefined) return undefined;
  if (base === "INT32") return { kind: "int32" };
  if (base === "INT64") return { kind: "int64" };
  return { kind: "bool" };
}

/** Checks names and duplicates in a schema that came from a file someone may have edited. */
export function checkSchema(schema: TableSchema, where = "schema"): void {
  if (!isIdentifier(schema.name)) throw new InputError(`${where}: "${schema.name}" is not a valid table name`);
  if (schema.columns.length === 0) throw new InputError(`${where}: table ${schema.name} has no columns`);
  const seen = new Set<string>();
  for (const column of schema.columns) {
    if (!isIdentifier(column.name)) throw new InputError(`${where}: "${column.name}" is not a valid column name in ${schema.name}`);
    const key = column.name.toLowerCase();
    if (seen.has(key)) throw new InputError(`${where}: column ${column.name} appears twice in ${schema.name}`);
    seen.add(key);
  }
}
