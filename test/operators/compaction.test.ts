import { describe, expect, it } from "@jest/globals";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { decodeUnsigned } from "../../src/circuit/bitVector/bitPlanes.js";
import { CountingBackend } from "../../src/circuit/countingBackend.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { compact } from "../../src/operators/compaction.js";
import { checkOnAllBackends, seededRandom } from "../circuit/harness.js";

const WIDTH = 10;

describe("order-preserving compaction", () => {
  const cases: Array<[number, number]> = [
    ...Array.from({ length: 34 }, (_, index): [number, number] => [index + 1, 0.5]),
    [64, 0], [64, 1], [65, 0.9], [65, 0.1], [300, 0.3],
  ];

  // Layers update their lanes in chunks: whole layers, and chunks of 3 lanes that split every layer.
  it.each(cases.flatMap(([lanes, share]): Array<[number, number, number | undefined]> => [[lanes, share, undefined], [lanes, share, 3]]))("moves the valid lanes of %i lanes (valid with p=%f) to the front in order and zeroes the rest (chunks of %s lanes)", async (lanes, validShare, lanesPerChunk) => {
    const random = seededRandom(lanes * 7 + Math.round(validShare * 10));
    const values = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 1024)));
    const isNull = Array.from({ length: lanes }, () => random() < 0.2);
    const valid = Array.from({ length: lanes }, () => random() < validShare);
    const kept = values.map((value, lane) => ({ value, isNull: isNull[lane] })).filter((_, lane) => valid[lane]);
    const padding = lanes - kept.length;
    const bit = (flag: boolean) => (flag ? 1 : 0);
    await checkOnAllBackends(async (backend, [value, nulls, validWires]) => {
      const result = await compact(backend, { lanes, valid: validWires, columns: [{ value: bitPlanes(value, WIDTH), isNull: nulls }] }, { lanesPerChunk });
      return [result.valid, result.columns[0].value.wires, result.columns[0].isNull!];
    }, [encodeIntegers(values, WIDTH), Uint8Array.from(isNull, bit), Uint8Array.from(valid, bit)], {
      outputs: [
        Uint8Array.from([...kept.map(() => 1), ...new Array<number>(padding).fill(0)]),
        encodeIntegers([...kept.map((row) => row.value), ...new Array<bigint>(padding).fill(0n)], WIDTH),
        Uint8Array.from([...kept.map((row) => bit(row.isNull)), ...new Array<number>(padding).fill(0)]),
      ],
    });
  });

  // Every valid pattern of up to 11 lanes, so every block shape (the binary digits of n) and every offset.
  it("keeps the order of the valid lanes for every pattern of up to 11 lanes", async () => {
    const backend = new PlaintextBackend();
    for (let lanes = 1; lanes <= 11; lanes++) {
      const width = 4;
      const indices = encodeIntegers(Array.from({ length: lanes }, (_, lane) => BigInt(lane)), width);
      for (let pattern = 0; pattern < 2 ** lanes; pattern++) {
        const valid = Array.from({ length: lanes }, (_, lane) => (pattern >> lane) & 1);
        const result = await compact(backend, { lanes, valid: backend.input(valid), columns: [{ value: bitPlanes(backend.input(indices), width) }] });
        const kept = valid.flatMap((bit, lane) => (bit ? [BigInt(lane)] : []));
        expect({ lanes, pattern, valid: [...result.valid.data], rows: decodeUnsigned(result.columns[0].value.wires.data, width) })
          .toEqual({ lanes, pattern, valid: valid.map((_, lane) => (lane < kept.length ? 1 : 0)), rows: [...kept, ...new Array<bigint>(lanes - kept.length).fill(0n)] });
      }
    }
  });

  it("costs about (n/2)·lg n swaps of whole rows: under lg n / 2 + 2 row-widths per lane", async () => {
    for (const lanes of [1 << 12, (1 << 12) + (1 << 11) + 5]) {
      const rowWidth = 1 + 64;
      const backend = new CountingBackend();
      await compact(backend, { lanes, valid: backend.input(lanes), columns: [{ value: bitPlanes(backend.input(64 * lanes), 64) }] });
      expect(backend.counts.and / (lanes * rowWidth)).toBeLessThan(Math.log2(lanes) / 2 + 2);
    }
  });

  it("leaves the final masking out where the caller's invalid rows are zero already", async () => {
    const lanes = 1 << 10;
    const cost = async (invalidRowsZeroed: boolean) => {
      const backend = new CountingBackend();
      await compact(backend, { lanes, valid: backend.input(lanes), columns: [{ value: bitPlanes(backend.input(64 * lanes), 64) }] }, { invalidRowsZeroed });
      return backend.counts.and;
    };
    expect(await cost(false) - await cost(true)).toBe(64 * lanes);
  });
});
