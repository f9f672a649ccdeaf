import { describe, expect, it } from "@jest/globals";
import {
  applyNetwork,
  randomPermutation,
  routeWaksman,
  waksmanNetwork,
  waksmanSwitchCount,
  type SwitchLayer,
} from "../../src/ot/permutationNetwork.js";

const identity = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const reversal = (n: number): Int32Array => Int32Array.from(identity(n).reverse());
const switchesIn = (layers: readonly SwitchLayer[]): number => layers.reduce((total, layer) => total + layer.low.length, 0);
const pairsOf = (layer: SwitchLayer): number[][] => Array.from(layer.low, (low, i) => [low, layer.high[i]]);

/** Routes `permutation` through the network and returns the positions where Y[p] !== X[permutation[p]] (none if correct). */
function misrouted(permutation: Int32Array, layers: readonly SwitchLayer[] = waksmanNetwork(permutation.length)): number[] {
  const bits = routeWaksman(permutation);
  const output = applyNetwork(identity(permutation.length), layers, bits);
  const wrong: number[] = [];
  for (let p = 0; p < permutation.length; p++) if (output[p] !== permutation[p]) wrong.push(p);
  return wrong;
}

/** All permutations of 0..n-1, in lexicographic order. */
function allPermutations(n: number): Int32Array[] {
  if (n === 0) return [new Int32Array(0)];
  const result: Int32Array[] = [];
  for (const rest of allPermutations(n - 1)) {
    for (let slot = 0; slot < n; slot++) result.push(Int32Array.from([...rest.subarray(0, slot), n - 1, ...rest.subarray(slot)]));
  }
  return result;
}

describe("waksmanNetwork shape", () => {
  it("matches the construction by hand for n = 2, 3 and 4", () => {
    expect(waksmanNetwork(0)).toEqual([]);
    expect(waksmanNetwork(1)).toEqual([]);
    expect(waksmanNetwork(2).map(pairsOf)).toEqual([[[0, 1]]]);
    // Input switch (0,1); upper child [0] is empty, lower child [1,2] is one switch; output switch (0,1), output 2 from the lower.
    expect(waksmanNetwork(3).map(pairsOf)).toEqual([[[0, 1]], [[1, 2]], [[0, 1]]]);
    // Input switches (0,1),(2,3); children [0,2] and [1,3]; only the first output pair has a switch.
    expect(waksmanNetwork(4).map(pairsOf)).toEqual([[[0, 1], [2, 3]], [[0, 2], [1, 3]], [[0, 1]]]);
  });

  it("has waksmanSwitchCount(n) switches, matching the recurrence and known values", () => {
    const sizes = [...identity(301), 1000, 4097, 100003];
    for (const n of sizes) expect([n, switchesIn(waksmanNetwork(n))]).toEqual([n, waksmanSwitchCount(n)]);
    // Powers of two give Waksman's n·lg n − n + 1.
    for (const exponent of [1, 2, 3, 4, 10, 16]) {
      const n = 2 ** exponent;
      expect(waksmanSwitchCount(n)).toBe(n * exponent - n + 1);
    }
    expect([waksmanSwitchCount(0), waksmanSwitchCount(1), waksmanSwitchCount(2), waksmanSwitchCount(3), waksmanSwitchCount(5)]).toEqual([0, 0, 1, 3, 8]);
  });

  it("uses each position at most once per layer, with low < high inside [0, n), in 2·ceil(lg n) − 1 layers", () => {
    for (const n of [...identity(301), 1000, 4097, 100003]) {
      const layers = waksmanNetwork(n);
      expect([n, layers.length]).toEqual([n, n < 2 ? 0 : 2 * Math.ceil(Math.log2(n)) - 1]);
      const usedInLayer = new Int32Array(n).fill(-1);
      layers.forEach((layer, layerIndex) => {
        expect(layer.low.length).toBe(layer.high.length);
        expect(layer.low.length).toBeGreaterThan(0);
        for (let i = 0; i < layer.low.length; i++) {
          const low = layer.low[i];
          const high = layer.high[i];
          if (!(low >= 0 && low < high && high < n) || usedInLayer[low] === layerIndex || usedInLayer[high] === layerIndex) {
            throw new Error(`n = ${n}, layer ${layerIndex}, switch ${i}: (${low}, ${high}) is out of range, unordered or reused`);
          }
          usedInLayer[low] = layerIndex;
          usedInLayer[high] = layerIndex;
        }
      });
    }
  });

  it("depends only on n", () => {
    for (const n of [0, 1, 2, 7, 64, 65, 1001]) {
      const first = waksmanNetwork(n);
      routeWaksman(randomPermutation(n)); // routing in between must not disturb anything the shape depends on
      const second = waksmanNetwork(n);
      expect(second.map(pairsOf)).toEqual(first.map(pairsOf));
    }
  });
});

describe("routeWaksman", () => {
  it("realises identity, reversal and random permutations for every n from 0 to 70", () => {
    for (let n = 0; n <= 70; n++) {
      const layers = waksmanNetwork(n);
      const permutations = [Int32Array.from(identity(n)), reversal(n)];
      for (let draw = 0; draw < 8; draw++) permutations.push(randomPermutation(n));
      for (const permutation of permutations) {
        const bits = routeWaksman(permutation);
        expect(bits.map((layerBits) => layerBits.length)).toEqual(layers.map((layer) => layer.low.length));
        expect(bits.every((layerBits) => layerBits.every((bit) => bit === 0 || bit === 1))).toBe(true);
        expect([n, Array.from(permutation), misrouted(permutation, layers)]).toEqual([n, Array.from(permutation), []]);
      }
    }
  });

  it("realises every permutation of up to 6 elements", () => {
    for (let n = 0; n <= 6; n++) {
      const layers = waksmanNetwork(n);
      for (const permutation of allPermutations(n)) expect([Array.from(permutation), misrouted(permutation, layers)]).toEqual([Array.from(permutation), []]);
    }
  });

  it.each([5000, 65536, 100003])("realises random permutations of %i elements", (n) => {
    const layers = waksmanNetwork(n);
    for (let draw = 0; draw < 2; draw++) expect(misrouted(randomPermutation(n), layers)).toEqual([]);
    expect(misrouted(reversal(n), layers)).toEqual([]);
  });

  it("moves values, not just indices, and leaves the input untouched", () => {
    const permutation = Int32Array.from([2, 0, 4, 1, 3]);
    const values = ["a", "b", "c", "d", "e"];
    const output = applyNetwork(values, waksmanNetwork(5), routeWaksman(permutation));
    expect(output).toEqual(["c", "a", "e", "b", "d"]);
    expect(values).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("rejects arrays that are not permutations", () => {
    expect(() => routeWaksman(Int32Array.from([0, 0, 1]))).toThrow(RangeError);
    expect(() => routeWaksman(Int32Array.from([0, 3, 1]))).toThrow(RangeError);
    expect(() => routeWaksman(Int32Array.from([-1, 0]))).toThrow(RangeError);
  });

  it("rejects bits that do not fit the layers", () => {
    const layers = waksmanNetwork(4);
    const bits = routeWaksman(Int32Array.from([3, 2, 1, 0]));
    expect(() => applyNetwork(identity(4), layers, bits.slice(1))).toThrow(RangeError);
    expect(() => applyNetwork(identity(4), layers, [bits[0], bits[1], new Uint8Array(2)])).toThrow(RangeError);
  });
});

describe("randomPermutation", () => {
  it("returns permutations of 0..n-1", () => {
    for (const n of [0, 1, 2, 3, 17, 1000, 100003]) {
      const permutation = randomPermutation(n);
      expect(permutation).toBeInstanceOf(Int32Array);
      expect(Array.from(permutation).sort((a, b) => a - b)).toEqual(identity(n));
    }
    // Two large draws coinciding would mean no randomness at all.
    expect(Array.from(randomPermutation(1000))).not.toEqual(Array.from(randomPermutation(1000)));
  });

  it("draws all 6 permutations of 3 elements about equally often", () => {
    const counts = new Map<string, number>();
    for (let draw = 0; draw < 6000; draw++) {
      const key = Array.from(randomPermutation(3)).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["012", "021", "102", "120", "201", "210"]);
    // Expected 1000 each with standard deviation about 29: the bounds are about 7 deviations out.
    for (const [key, count] of counts) {
      expect([key, count >= 800 && count <= 1200]).toEqual([key, true]);
    }
  });
});
