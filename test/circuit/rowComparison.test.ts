import { describe, it } from "@jest/globals";
import { encodeIntegers, planeRange } from "../../src/circuit/bitVector/bitPlanes.js";
import { lessThan } from "../../src/circuit/bitVector/compare.js";
import { checkOnAllBackends, seededRandom } from "./harness.js";

describe("comparisons between rows laid out row by row", () => {
  it.each([1, 2, 13])("give lessThan of the gathered rows, at the same cost, for %i-bit keys", async (width) => {
    const random = seededRandom(width);
    const lanes = 300;
    // Few distinct values, so that equal pairs (not below) come up too.
    const keys = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * Math.min(2 ** width, 7))));
    const first = Int32Array.from({ length: 500 }, () => Math.floor(random() * lanes));
    const second = Int32Array.from({ length: 500 }, () => Math.floor(random() * lanes));
    await checkOnAllBackends(async (backend, [key]) => {
      const rows = backend.planesToRows(Array.from({ length: width }, (_, plane) => planeRange(backend, { wires: key, width, lanes }, plane, plane + 1).wires), lanes);
      return [await backend.lessThanOfRows(rows, width, first, second)];
    }, [encodeIntegers(keys, width)], { outputs: [Uint8Array.from(first, (lane, index) => Number(keys[lane] < keys[second[index]]))], andGates: width * first.length });
    // The same gates as lessThan over gathered copies.
    await checkOnAllBackends(async (backend, [key]) => {
      const gathered = (lanesOf: Int32Array) => ({ wires: backend.gatherLanes(key, width, lanesOf), width, lanes: lanesOf.length });
      return [await lessThan(backend, gathered(first), gathered(second))];
    }, [encodeIntegers(keys, width)], { outputs: [Uint8Array.from(first, (lane, index) => Number(keys[lane] < keys[second[index]]))], andGates: width * first.length });
  });

  it("give the same bits batch by batch, over more pairs than one batch of copied rows holds", async () => {
    // 2^21 copied wires per batch are 32,768 pairs of 64-bit rows: 70,000 pairs are three batches, the last short.
    const width = 64, lanes = 1000, pairs = 70_000;
    const random = seededRandom(64);
    const values = Array.from({ length: 5 }, () => BigInt(Math.floor(random() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(random() * 2 ** 32)));
    const keys = Array.from({ length: lanes }, () => values[Math.floor(random() * values.length)]);
    const first = Int32Array.from({ length: pairs }, () => Math.floor(random() * lanes));
    const second = Int32Array.from({ length: pairs }, () => Math.floor(random() * lanes));
    const expected = Uint8Array.from(first, (lane, index) => Number(keys[lane] < keys[second[index]]));
    await checkOnAllBackends(async (backend, [key]) => {
      const rows = backend.planesToRows(Array.from({ length: width }, (_, plane) => planeRange(backend, { wires: key, width, lanes }, plane, plane + 1).wires), lanes);
      return [await backend.lessThanOfRows(rows, width, first, second)];
    }, [encodeIntegers(keys, width)], { outputs: [expected], andGates: width * pairs });
  });
});
