/** Cell values: parsing CSV text into a column's type and formatting it back. */
import { typeName, type ColumnType } from "./schema.js";

export type Value = number | bigint | boolean | string;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const INTEGER = /^[+-]?[0-9]+$/;

/** Parses one CSV field; returns the value, or a message saying what was expected. */
export function parseValue(type: ColumnType, text: string): { value: Value } | { expected: string } {
  switch (type.kind) {
    case "int32": {
      const trimmed = text.trim();
      if (!INTEGER.test(trimmed)) return { expected: `an INT32 (a whole number), got ${quote(text)}` };
      const value = Number(trimmed);
      if (value < INT32_MIN || value > INT32_MAX) return { expected: `an INT32 between ${INT32_MIN} and ${INT32_MAX}, got ${trimmed}` };
      return { value: value === 0 ? 0 : value };
    }
    case "int": {
      const trimmed = text.trim();
      if (!INTEGER.test(trimmed)) return { expected: `an ${typeName(type)} (a whole number), got ${quote(text)}` };
      const value = BigInt(trimmed);
      if (value !== BigInt.asIntN(type.bits, value)) return { expected: `an ${typeName(type)} in range, got ${trimmed}` };
      return { value };
    }
    case "int64": {
      const trimmed = text.trim();
      if (!INTEGER.test(trimmed)) return { expected: `an INT64 (a whole number), got ${quote(text)}` };
      const value = BigInt(trimmed);
      if (value < INT64_MIN || value > INT64_MAX) return { expected: `an INT64 between ${INT64_MIN} and ${INT64_MAX}, got ${trimmed}` };
      return { value };
    }
    case "bool": {
      const lowered = text.trim().toLowerCase();
      if (lowered === "true" || lowered === "1") return { value: true };
      if (lowered === "false" || lowered === "0") return { value: false };
      return { expected: `a BOOL (true, false, 1 or 0), got ${quote(text)}` };
    }
    case "char":
    case "varchar": {
      if (text.includes("\0")) return { expected: `${typeName(type)} text without NUL characters` };
      const bytes = utf8Length(text);
      if (bytes > type.length) return { expected: `${typeName(type)}: at most ${type.length} byte${type.length === 1 ? "" : "s"}, got ${bytes} (${quote(text)})` };
      return { value: text };
    }
  }
}

/** The CSV text of a value, as `catalyst reveal` writes it. */
export function formatValue(value: Value): string {
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

function quote(text: string): string {
  const shown = text.length > 40 ? text.slice(0, 40) + "…" : text;
  return text === "" ? "an empty value" : JSON.stringify(shown);
}

/** UTF-8 byte length without allocating: CSV cells are mostly ASCII, so this runs once per cell. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) { bytes += 4; i++; }
    else bytes += 3;
  }
  return bytes;
}
