/**
 * Fixed-width bit encoding of rows: a `valid` bit, then per column its flag bits and value bits, least
 * significant first. Integers are two's complement; CHAR(n) is one 8n-bit integer whose first byte is most
 * significant (zero-padded), the circuit's string layout; a column whose CHECK lists its values is the index of
 * its value instead (schema.ts `codeBits`).
 */
import { InputError, IntegrityError } from "./errors.js";
import { codeBits, columnValueBits, rowBytes, type Column } from "./schema.js";
import type { Value } from "./values.js";

/** A decoded cell: its value, or a marker that the cell is empty for a reason. */
export type Cell = Value | { suppressed: true } | { null: true };

export interface DecodedRow {
  valid: boolean;
  cells: Cell[];
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/** Writes bits into a zeroed byte array at increasing bit offsets. */
class BitWriter {
  constructor(private readonly bytes: Uint8Array, public offset: number) {}

  bit(value: boolean): void {
    if (value) this.bytes[this.offset >>> 3] |= 1 << (this.offset & 7);
    this.offset++;
  }

  /** The low `count` (≤ 32) bits of `value`, least significant first. */
  uint(value: number, count: number): void {
    for (let i = 0; i < count; i++) {
      if ((value >>> i) & 1) this.bytes[(this.offset + i) >>> 3] |= 1 << ((this.offset + i) & 7);
    }
    this.offset += count;
  }

}

class BitReader {
  constructor(private readonly bytes: Uint8Array, public offset: number) {}

  bit(): boolean {
    const value = (this.bytes[this.offset >>> 3] >>> (this.offset & 7)) & 1;
    this.offset++;
    return value === 1;
  }

  uint(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      value |= ((this.bytes[(this.offset + i) >>> 3] >>> ((this.offset + i) & 7)) & 1) << i;
    }
    this.offset += count;
    return value >>> 0;
  }
}

/** Encodes and decodes rows of one schema into records of `recordBytes` bytes. */
export class RowCodec {
  readonly recordBytes: number;
  /** Per column, the index of each value its CHECK lists (undefined for other columns). */
  private readonly codes: ReadonlyArray<Map<string, number> | undefined>;

  constructor(readonly columns: readonly Column[]) {
    this.recordBytes = rowBytes(columns);
    this.codes = columns.map((column) => (column.values ? new Map(column.values.map((value, index) => [value, index])) : undefined));
  }

  /** Writes one row at record `index` of a zero-filled buffer. Input rows have no flags set. */
  encode(target: Uint8Array, index: number, cells: readonly Cell[], valid = true): void {
    const writer = new BitWriter(target, index * this.recordBytes * 8);
    writer.bit(valid);
    this.columns.forEach((column, position) => {
      const cell = cells[position];
      const suppressed = typeof cell === "object" && "suppressed" in cell;
      const isNull = typeof cell === "object" && "null" in cell;
      if (column.suppressible) writer.bit(suppressed);
      else if (suppressed) throw new InputError(`column ${column.name} cannot be suppressed`);
      if (column.nullable) writer.bit(isNull);
      else if (isNull) throw new InputError(`column ${column.name} cannot be NULL`);
      if (suppressed || isNull) {
        writer.offset += columnValueBits(column);
        return;
      }
      const codes = this.codes[position];
      if (codes) {
        const code = codes.get(String(cell));
        if (code === undefined) throw new InputError(`column ${column.name}: '${String(cell)}' is not one of the values its CHECK lists`);
        writer.uint(code, codeBits(codes.size));
        return;
      }
      writeValue(writer, column, cell as Value);
    });
  }

  decode(source: Uint8Array, index: number): DecodedRow {
    const reader = new BitReader(source, index * this.recordBytes * 8);
    const valid = reader.bit();
    const cells = this.columns.map((column): Cell => {
      const suppressed = column.suppressible ? reader.bit() : false;
      const isNull = column.nullable ? reader.bit() : false;
      const value = column.values ? decodeCode(reader, column, column.values) : readValue(reader, column);
      if (suppressed) return { suppressed: true };
      if (isNull) return { null: true };
      return value;
    });
    return { valid, cells };
  }
}

function decodeCode(reader: BitReader, column: Column, values: readonly string[]): Value {
  const code = reader.uint(codeBits(values.length));
  // Zeroed cells (dummy rows, suppressed or NULL cells) read as the first value; any other index is tampering.
  if (code >= values.length) throw new IntegrityError(`column ${column.name} holds code ${code}, but its CHECK lists ${values.length} values`);
  return values[code];
}

function writeValue(writer: BitWriter, column: Column, value: Value): void {
  switch (column.type.kind) {
    case "int32":
      writer.uint(Number(value) | 0, 32);
      return;
    case "int64":
    case "int": {
      const bits = column.type.kind === "int" ? column.type.bits : 64;
      let twosComplement = BigInt.asUintN(bits, BigInt(value));
      for (let done = 0; done < bits; done += 32) {
        writer.uint(Number(twosComplement & 0xffffffffn), Math.min(32, bits - done));
        twosComplement >>= 32n;
      }
      return;
    }
    case "bool":
      writer.bit(Boolean(value));
      return;
    case "char":
    case "varchar": {
      // The first byte is the most significant, so byte-wise lexicographic order is unsigned integer order
      // inside the circuit; written least significant bit first, that is the last byte first.
      const text = String(value);
      const length = column.type.length;
      // ASCII needs no encoder call, which dominates sharing time otherwise.
      if (/^[\x00-\x7f]*$/.test(text)) {
        for (let i = length - 1; i >= 0; i--) writer.uint(i < text.length ? text.charCodeAt(i) : 0, 8);
      } else {
        const bytes = utf8Encoder.encode(text);
        for (let i = length - 1; i >= 0; i--) writer.uint(i < bytes.length ? bytes[i] : 0, 8);
      }
      return;
    }
  }
}

function readValue(reader: BitReader, column: Column): Value {
  switch (column.type.kind) {
    case "int32":
      return reader.uint(32) | 0;
    case "int64":
    case "int": {
      const bits = column.type.kind === "int" ? column.type.bits : 64;
      let value = 0n;
      for (let done = 0; done < bits; done += 32) value |= BigInt(reader.uint(Math.min(32, bits - done))) << BigInt(done);
      return BigInt.asIntN(bits, value);
    }
    case "bool":
      return reader.bit();
    case "char":
    case "varchar": {
      const bytes = new Uint8Array(column.type.length);
      for (let i = bytes.length - 1; i >= 0; i--) bytes[i] = reader.uint(8);
      let end = bytes.length;
      while (end > 0 && bytes[end - 1] === 0) end--;
      return utf8Decoder.decode(bytes.subarray(0, end));
    }
  }
}
