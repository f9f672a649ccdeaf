import { describe, expect, it } from "@jest/globals";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { add } from "../../src/circuit/bitVector/integer.js";
import { CountingBackend } from "../../src/circuit/countingBackend.js";
import { copyDown, inclusiveScan, segmentedScan } from "../../src/operators/segmentedScan.js";
import { checkOnAllBackends, seededRandom } from "../circuit/harness.js";

const WIDTH = 12;
const modulo = (value: bigint) => BigInt.asUintN(WIDTH, value);

function reference(values: bigint[], starts: boolean[], combine: (earlier: bigint, later: bigint) => bigint): bigint[] {
  const result: bigint[] = [];
  values.forEach((value, lane) => result.push(lane === 0 || starts[lane] ? value : combine(result[lane - 1], value)));
  return result;
}

describe("work-efficient lane scans", () => {
  // Every lane count up to 40 reaches each shape of the up- and down-sweep (powers of two and in between).
  const sizes = [...Array.from({ length: 40 }, (_, index) => index + 1), 63, 64, 65, 200];

  it.each(sizes)("sums prefixes and segmented prefixes of %i lanes exactly, on every backend", async (lanes) => {
    const random = seededRandom(lanes);
    const values = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 4096)));
    const starts = Array.from({ length: lanes }, () => random() < 0.3);
    const sum = (earlier: bigint, later: bigint) => modulo(earlier + later);
    const inputs = [encodeIntegers(values, WIDTH), Uint8Array.from(starts, (start) => (start ? 1 : 0))];
    await checkOnAllBackends(async (backend, [value, startWires]) => [
      (await inclusiveScan(backend, bitPlanes(value, WIDTH), add)).wires,
      (await segmentedScan(backend, bitPlanes(value, WIDTH), startWires, add)).wires,
      (await copyDown(backend, bitPlanes(value, WIDTH), startWires)).wires,
    ], inputs, {
      outputs: [
        encodeIntegers(reference(values, new Array<boolean>(lanes).fill(false), sum), WIDTH),
        encodeIntegers(reference(values, starts, sum), WIDTH),
        encodeIntegers(reference(values, starts, (earlier) => earlier), WIDTH),
      ],
    });
  });

  it("writes each level back chunk by chunk: lanes of 512-bit values, several chunks per level, on every backend", async () => {
    // 2^19 wires per chunk and 512 bits per lane give 1024 pairs per chunk, so the first levels span several.
    const lanes = 4500;
    const width = 512;
    const random = seededRandom(7);
    const values = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 2 ** 40)) << 400n);
    const starts = Array.from({ length: lanes }, () => random() < 0.01);
    const sum = (earlier: bigint, later: bigint) => BigInt.asUintN(width, earlier + later);
    await checkOnAllBackends(async (backend, [value, startWires]) => [
      (await inclusiveScan(backend, bitPlanes(value, width), add)).wires,
      (await segmentedScan(backend, bitPlanes(value, width), startWires, add)).wires,
    ], [encodeIntegers(values, width), Uint8Array.from(starts, (start) => (start ? 1 : 0))], {
      outputs: [encodeIntegers(reference(values, new Array<boolean>(lanes).fill(false), sum), width), encodeIntegers(reference(values, starts, sum), width)],
    });
  });

  it("costs about 2n combines, not n·lg n", async () => {
    const lanes = 4096;
    const backend = new CountingBackend();
    await inclusiveScan(backend, bitPlanes(backend.input(WIDTH * lanes), WIDTH), add);
    const combines = backend.counts.and / (WIDTH - 1);
    expect(combines).toBeLessThan(2 * lanes);
    expect(combines).toBeGreaterThan(lanes);
  });
});
