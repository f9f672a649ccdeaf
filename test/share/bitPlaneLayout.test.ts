import { describe, expect, it } from "@jest/globals";
import { bitPlanePartsToRows, bitPlanesToRows, rowsToBitPlanes } from "../../src/share/bitPlaneLayout.js";
import { RowCodec } from "../../src/share/rowCodec.js";
import { rowBits, type Column } from "../../src/share/schema.js";

describe("bit-plane layout", () => {
  it("puts bit j of row r at j × rows + r and back again", () => {
    const columns: Column[] = [{ name: "a", type: { kind: "int32" } }, { name: "b", type: { kind: "bool" } }];
    const codec = new RowCodec(columns);
    const rows = 3;
    const data = new Uint8Array(rows * codec.recordBytes);
    [[5, true], [-1, false], [0, true]].forEach((cells, index) => codec.encode(data, index, cells as [number, boolean]));
    const bits = rowBits(columns);
    const planes = rowsToBitPlanes(data, rows, codec.recordBytes, bits);
    expect(Array.from(planes.subarray(0, 3))).toEqual([1, 1, 1]); // valid bits
    expect(Array.from(planes.subarray(3, 6))).toEqual([1, 1, 0]); // bit 0 of a
    expect(Array.from(planes.subarray(32 * 3, 33 * 3))).toEqual([0, 1, 0]); // bit 31 of a (sign)
    expect(Array.from(planes.subarray(33 * 3, 34 * 3))).toEqual([1, 0, 1]); // b
    expect(bitPlanesToRows(planes, rows, codec.recordBytes, bits)).toEqual(data);
  });

  it("packs planes given as parts as it packs them joined, and refuses a part of a partial plane", () => {
    const rows = 5, rowBits = 13, rowBytes = 2;
    const planes = Uint8Array.from({ length: rows * rowBits }, (_, index) => (index * 7 + (index >> 3)) & 1);
    const parts = [planes.subarray(0, 3 * rows), planes.subarray(3 * rows, 3 * rows), planes.subarray(3 * rows, 11 * rows), planes.subarray(11 * rows)];
    expect(Array.from(bitPlanePartsToRows(parts, rows, rowBytes, rowBits))).toEqual(Array.from(bitPlanesToRows(planes, rows, rowBytes, rowBits)));
    expect(() => bitPlanePartsToRows([planes.subarray(0, 7), planes.subarray(7)], rows, rowBytes, rowBits)).toThrow(RangeError);
    expect(bitPlanePartsToRows([], 0, rowBytes, rowBits).length).toBe(0);
  });
});

