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
  /** Input integer columns only: the values a TABLES.sql CHECK allows. `catalyst share` enforces it; it narrows the circuit. */
  range?: IntegerRange;
  /** Input integer columns with a range from 0 only: one partner's values add up to at most this (`CHECK (SUM(x) <= n)`). */
  sumAtMost?: bigint;
  /**
   * CHAR and VARCHAR columns only: the values a TABLES.sql `CHECK (x IN (…))` allows, in the circuit's string
   * order (`compareStrings`). The column is then encoded as its value's index, in `codeBits` bits instead of
   * 8 per character: `catalyst share` refuses any other value, and the circuit compares and moves the index.
   */
  values?: readonly string[];
}

export interface IntegerRange {
  min: bigint;
  max: bigint;
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

/** Bits of an index into `count` values: a dictionary-coded column's width. */
export function codeBits(count: number): number {
  return Math.max(1, Math.ceil(Math.log2(count)));
}

/** Bits of a column's value without flag bits: its type's, or its code's when CHECK lists its values. */
export function columnValueBits(column: Column): number {
  return column.values ? codeBits(column.values.length) : valueBits(column.type);
}

/** Bits a column takes in an encoded row: the value plus its flag bits. */
export function columnBits(column: Column): number {
  return columnValueBits(column) + (column.suppressible ? 1 : 0) + (column.nullable ? 1 : 0);
}

const utf8 = new TextEncoder();

/** The circuit's string order: UTF-8 bytes compared one by one, a prefix first (CHAR values are zero-padded). */
export function compareStrings(a: string, b: string): number {
  const x = utf8.encode(a), y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
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

/** The values an integer type holds, or undefined for other types. */
export function typeRange(type: ColumnType): IntegerRange | undefined {
  switch (type.kind) {
    case "int32": return { min: -(1n << 31n), max: (1n << 31n) - 1n };
    case "int64": return { min: -(1n << 63n), max: (1n << 63n) - 1n };
    case "int": return { min: -(1n << BigInt(type.bits - 1)), max: (1n << BigInt(type.bits - 1)) - 1n };
    default: return undefined;
  }
}

/** What is wrong with a column's declared bounds, or undefined when they are usable. */
export function boundsProblem(column: Column): string | undefined {
  if (column.values) return valuesProblem(column, column.values);
  if (column.range === undefined && column.sumAtMost === undefined) return undefined;
  const full = typeRange(column.type);
  if (!full || column.type.kind === "int") return `a CHECK on ${column.name} needs an INT32 or INT64 column, not ${typeName(column.type)}`;
  const range = column.range ?? full;
  if (range.min > range.max) return `the CHECK on ${column.name} allows no value (${range.min} is more than ${range.max})`;
  if (range.min < full.min || range.max > full.max) return `the CHECK on ${column.name} goes beyond ${typeName(column.type)} (${full.min} to ${full.max})`;
  if (column.sumAtMost !== undefined) {
    if (range.min < 0n) return `CHECK (SUM(${column.name}) <= …) needs values that are never negative: add CHECK (${column.name} >= 0)`;
    if (column.sumAtMost < 0n) return `CHECK (SUM(${column.name}) <= ${column.sumAtMost}) allows no value`;
  }
  return undefined;
}

function valuesProblem(column: Column, values: readonly string[]): string | undefined {
  if (column.type.kind !== "char" && column.type.kind !== "varchar") return `CHECK (${column.name} IN (…)) needs a CHAR or VARCHAR column, not ${typeName(column.type)}`;
  if (column.range !== undefined || column.sumAtMost !== undefined) return `a CHECK on ${column.name} cannot both list values and bound numbers`;
  if (values.length === 0) return `CHECK (${column.name} IN (…)) lists no value`;
  for (let index = 0; index < values.length; index++) {
    const bytes = utf8.encode(values[index]).length;
    if (bytes > column.type.length) return `'${values[index]}' in the CHECK on ${column.name} is longer than ${typeName(column.type)} (${bytes} bytes)`;
    if (index > 0 && compareStrings(values[index - 1], values[index]) >= 0) {
      return compareStrings(values[index - 1], values[index]) === 0 ? `'${values[index]}' appears twice in the CHECK on ${column.name}` : `the values of ${column.name} are not in order`;
    }
  }
  return undefined;
}

/** A CHECK's values for a message: the first few quoted, and how many more. */
export function describeValues(values: readonly string[]): string {
  const shown = values.slice(0, 8).map((value) => `'${value}'`).join(", ");
  return values.length > 8 ? `${shown} and ${values.length - 8} more` : shown;
}

/** A string as a TABLES.sql or SQL literal: in single quotes, a quote doubled. */
export function quoteString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The TABLES.sql text of a column's CHECKs, e.g. `CHECK (n BETWEEN 0 AND 9) CHECK (SUM(n) <= 99)`. */
export function checksText(column: Column): string {
  const parts: string[] = [];
  if (column.values) parts.push(`CHECK (${column.name} IN (${column.values.map(quoteString).join(", ")}))`);
  if (column.range) parts.push(`CHECK (${column.name} BETWEEN ${column.range.min} AND ${column.range.max})`);
  if (column.sumAtMost !== undefined) parts.push(`CHECK (SUM(${column.name}) <= ${column.sumAtMost})`);
  return parts.join(" ");
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
    const problem = boundsProblem(column);
    if (problem) throw new InputError(`${where}: table ${schema.name}: ${problem}`);
  }
}
