import { describe, expect, it } from "@jest/globals";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { rowBits, rowBytes, type Column } from "../../src/share/schema.js";

const columns: Column[] = [
  { name: "a", type: { kind: "int32" } },
  { name: "b", type: { kind: "int64" } },
  { name: "c", type: { kind: "bool" } },
  { name: "d", type: { kind: "char", length: 3 } },
  { name: "e", type: { kind: "varchar", length: 5 } },
  { name: "f", type: { kind: "int64" }, suppressible: true },
  { name: "g", type: { kind: "int32" }, nullable: true },
];

describe("row encoding", () => {
  it("packs a valid bit, flag bits and values into whole bytes", () => {
    expect(rowBits(columns)).toBe(1 + 32 + 64 + 1 + 24 + 40 + 65 + 33);
    expect(rowBytes(columns)).toBe(Math.ceil(260 / 8));
  });

  it.each<[Cell[]]>([
    [[0, 0n, false, "", "", 0n, 0]],
    [[-2147483648, -(1n << 63n), true, "abc", "héé", (1n << 63n) - 1n, 2147483647]],
    [[-1, -1n, true, "a", "xyz", { suppressed: true }, { null: true }]],
    [[123456, 9007199254740993n, false, "é", "12345", 10n, -7]],
  ])("round-trips %j", (cells) => {
    const codec = new RowCodec(columns);
    const buffer = new Uint8Array(codec.recordBytes * 3);
    codec.encode(buffer, 1, cells);
    codec.encode(buffer, 2, cells, false);
    expect(codec.decode(buffer, 1)).toEqual({ valid: true, cells });
    expect(codec.decode(buffer, 2)).toEqual({ valid: false, cells });
    expect(codec.decode(buffer, 0).valid).toBe(false);
  });

  it("lays CHAR(n) out as one integer whose first byte is most significant", () => {
    const codec = new RowCodec([{ name: "s", type: { kind: "char", length: 2 } }]);
    const buffer = new Uint8Array(codec.recordBytes);
    codec.encode(buffer, 0, ["ab"]);
    // valid bit, then 0x6162 least significant bit first: 'b' (0x62) then 'a' (0x61), shifted by one bit.
    expect(Array.from(buffer)).toEqual([(0x62 << 1 | 1) & 0xff, ((0x62 >> 7) | (0x61 << 1)) & 0xff, 0x61 >> 7]);
  });

  it("puts integers least significant bit first, right after the valid bit", () => {
    const codec = new RowCodec([{ name: "x", type: { kind: "int32" } }]);
    const buffer = new Uint8Array(codec.recordBytes);
    codec.encode(buffer, 0, [5]);
    expect(Array.from(buffer)).toEqual([0b1011, 0, 0, 0, 0]);
  });
});
