/** Sorting a partner's rows by a key before sharing, in exactly the order the circuit compares encoded values. */
import { compareByteRanges } from "./byteOrder.js";
import { UsageError } from "./errors.js";
import type { ColumnType, TableSchema } from "./schema.js";
import type { Value } from "./values.js";

const utf8 = new TextEncoder();

/** Bytes of one key column whose unsigned byte order is the circuit's order: big-endian, sign bit flipped. */
function keyBytesOf(type: ColumnType, value: Value, into: Uint8Array, offset: number): number {
  switch (type.kind) {
    case "bool":
      into[offset] = value ? 1 : 0;
      return offset + 1;
    case "char":
    case "varchar": {
      // As rowCodec encodes it: UTF-8, zero-padded to the declared length, first byte most significant.
      const text = String(value);
      if (/^[\x00-\x7f]*$/.test(text)) for (let i = 0; i < text.length; i++) into[offset + i] = text.charCodeAt(i);
      else into.set(utf8.encode(text), offset);
      return offset + type.length;
    }
    default: {
      const bits = type.kind === "int32" ? 32 : type.kind === "int64" ? 64 : type.bits;
      const bytes = Math.ceil(bits / 8);
      // Two's complement with the sign flipped is offset binary: unsigned order equals signed order.
      let unsigned = BigInt.asUintN(bits, BigInt(value as number | bigint)) ^ (1n << BigInt(bits - 1));
      for (let i = bytes - 1; i >= 0; i--) { into[offset + i] = Number(unsigned & 0xffn); unsigned >>= 8n; }
      return offset + bytes;
    }
  }
}

function keyWidth(type: ColumnType): number {
  if (type.kind === "bool") return 1;
  if (type.kind === "char" || type.kind === "varchar") return type.length;
  return Math.ceil((type.kind === "int32" ? 32 : type.kind === "int64" ? 64 : type.bits) / 8);
}

/**
 * Sorts rows by `columns` of `schema`, first column most significant, ascending in the circuit's order.
 * Each row's key is encoded once, so sorting a million rows costs one byte compare per comparison.
 */
export function sortRows<Row extends Value[]>(schema: TableSchema, columns: readonly string[], rows: Row[]): Row[] {
  const keys = columns.map((name) => {
    const index = schema.columns.findIndex((column) => column.name === name);
    if (index < 0) throw new UsageError(`table ${schema.name} has no column ${name} to sort by`);
    return { index, type: schema.columns[index].type };
  });
  const width = keys.reduce((sum, key) => sum + keyWidth(key.type), 0);
  const encoded = new Uint8Array(width * rows.length);
  rows.forEach((row, position) => {
    let offset = position * width;
    for (const { index, type } of keys) offset = keyBytesOf(type, row[index], encoded, offset);
  });
  const order = Array.from({ length: rows.length }, (_, position) => position);
  order.sort((a, b) => compareByteRanges(encoded, a * width, b * width, width));
  return order.map((position) => rows[position]);
}
