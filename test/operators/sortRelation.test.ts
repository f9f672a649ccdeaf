import { describe, expect, it } from "@jest/globals";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { bitonicLayers, mergeComparators, mergeLayers, runLayers } from "../../src/circuit/bitVector/bitonicSort.js";
import { sortRelation } from "../../src/operators/sortRelation.js";
import { checkOnAllBackends, seededRandom } from "../circuit/harness.js";

describe("relation sort without padding lanes", () => {
  // Lane counts between powers of two are where comparators that would touch padding are left out.
  const sizes = [...Array.from({ length: 40 }, (_, index) => index + 1), 100, 129];

  // Layers are worked in chunks of comparators: whole layers, and chunks of 3 that split every layer.
  it.each(sizes.flatMap((lanes): Array<[number, number | undefined]> => [[lanes, undefined], [lanes, 3]]))("sorts %i lanes by key and moves each row whole, on every backend (chunks of %s pairs)", async (lanes, pairsPerChunk) => {
    const random = seededRandom(lanes + 1000);
    const keys = Array.from({ length: lanes }, (_, index) => BigInt(index));
    for (let index = lanes - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [keys[index], keys[other]] = [keys[other], keys[index]];
    }
    const payload = (key: bigint) => (key * 37n + 5n) % 256n;
    const valid = keys.map((key) => Number(key % 3n !== 0n));
    const sortedKeys = [...keys].sort((a, b) => Number(a - b));
    await checkOnAllBackends(async (backend, [keyWires, payloadWires, validWires]) => {
      const relation = { lanes, valid: validWires, columns: [{ value: bitPlanes(keyWires, 8) }, { value: bitPlanes(payloadWires, 8) }] };
      const sorted = await sortRelation(backend, relation, (rows) => rows.columns[0].value, { pairsPerChunk });
      return [sorted.columns[0].value.wires, sorted.columns[1].value.wires, sorted.valid];
    }, [encodeIntegers(keys, 8), encodeIntegers(keys.map(payload), 8), Uint8Array.from(valid)], {
      outputs: [encodeIntegers(sortedKeys, 8), encodeIntegers(sortedKeys.map(payload), 8), Uint8Array.from(sortedKeys, (key) => Number(key % 3n !== 0n))],
    });
  });
});

describe("merging two runs that arrive sorted", () => {
  const shapes: Array<[number, number]> = [[0, 5], [5, 0], [1, 1], [1, 7], [7, 1], [3, 5], [8, 8], [13, 4], [4, 13], [33, 31], [64, 1], [100, 29]];

  it.each(shapes)("merges runs of %i and %i lanes on every backend, moving rows whole", async (first, second) => {
    const random = seededRandom(first * 101 + second);
    const run = (length: number) => Array.from({ length }, () => BigInt(Math.floor(random() * 40))).sort((a, b) => Number(a - b));
    const keys = [...run(first), ...run(second)];
    const lanes = keys.length;
    const sortedKeys = [...keys].sort((a, b) => Number(a - b));
    // Ties may land in either order, so the payload is a function of the key.
    const payload = (key: bigint) => (key * 7n + 3n) % 256n;
    await checkOnAllBackends(async (backend, [keyWires, payloadWires]) => {
      const relation = { lanes, valid: backend.constant(new Uint8Array(lanes).fill(1)), columns: [{ value: bitPlanes(keyWires, 8) }, { value: bitPlanes(payloadWires, 8) }] };
      const merged = await sortRelation(backend, relation, (rows) => rows.columns[0].value, { runs: [{ lanes: first, sorted: true }, { lanes: second, sorted: true }], pairsPerChunk: 3 });
      return [merged.columns[0].value.wires, merged.columns[1].value.wires];
    }, [encodeIntegers(keys, 8), encodeIntegers(keys.map(payload), 8)], {
      outputs: [encodeIntegers(sortedKeys, 8), encodeIntegers(sortedKeys.map(payload), 8)],
    });
  });

  it("uses about (n/2)·lg n comparators where a sort uses (n/4)·lg²n", () => {
    const count = (layers: Iterable<{ smaller: Int32Array }>) => [...layers].reduce((sum, layer) => sum + layer.smaller.length, 0);
    expect(count(mergeLayers(600_000, 200_000))).toBe(7_586_944);
    expect(count(bitonicLayers(800_000))).toBe(83_471_360);
    // Every comparator pairs two real lanes, the lower one first, and no lane twice in a layer.
    for (const layer of mergeLayers(13, 4)) {
      const seen = new Set<number>();
      layer.smaller.forEach((lane, index) => {
        expect(lane).toBeLessThan(layer.larger[index]);
        expect(layer.larger[index]).toBeLessThan(17);
        for (const touched of [lane, layer.larger[index]]) { expect(seen.has(touched)).toBe(false); seen.add(touched); }
      });
    }
  });
});

describe("sorting lanes that arrive as runs, some sorted already (a GROUP BY over partners' partials)", () => {
  /** Applies a network's layers to plain numbers: the smaller value to `smaller[r]`. */
  const apply = (values: number[], layers: ReadonlyArray<{ smaller: Int32Array; larger: Int32Array }>) => {
    const result = [...values];
    for (const { smaller, larger } of layers) {
      for (let index = 0; index < smaller.length; index++) {
        const [low, high] = [smaller[index], larger[index]];
        if (result[low] > result[high]) [result[low], result[high]] = [result[high], result[low]];
      }
    }
    return result;
  };

  it("sorts every 0-1 input whose sorted runs are sorted (0-1 principle), for all shapes of up to 4 runs and 8 lanes", () => {
    const shapes: Array<Array<{ lanes: number; sorted: boolean }>> = [];
    const grow = (prefix: Array<{ lanes: number; sorted: boolean }>, left: number) => {
      if (prefix.length > 0) shapes.push(prefix);
      if (prefix.length === 4) return;
      for (let lanes = 0; lanes <= left; lanes++) for (const sorted of [true, false]) grow([...prefix, { lanes, sorted }], left - lanes);
    };
    grow([], 8);
    let checked = 0;
    for (const runs of shapes) {
      const lanes = runs.reduce((sum, run) => sum + run.lanes, 0);
      const layers = [...runLayers(runs)];
      // No lane twice in a layer, every pair inside the lanes, the lower lane first.
      for (const layer of layers) {
        const touched = [...layer.smaller, ...layer.larger];
        expect(new Set(touched).size).toBe(touched.length);
        layer.smaller.forEach((low, index) => { expect(low).toBeLessThan(layer.larger[index]); expect(layer.larger[index]).toBeLessThan(lanes); });
      }
      for (let bits = 0; bits < 1 << lanes; bits++) {
        const values = Array.from({ length: lanes }, (_, lane) => (bits >> lane) & 1);
        let start = 0;
        const valid = runs.every((run) => {
          const part = values.slice(start, start += run.lanes);
          return !run.sorted || part.every((value, index) => index === 0 || part[index - 1] <= value);
        });
        if (!valid) continue;
        const result = apply(values, layers);
        if (result.some((value, index) => index > 0 && result[index - 1] > value)) throw new Error(`runs ${JSON.stringify(runs)} leave ${values} unsorted: ${result}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it("merges six sorted runs on every backend, moving rows whole, with far fewer comparators than a sort", async () => {
    const sizes = [9, 14, 3, 20, 7, 11];
    const random = seededRandom(77);
    const keys = sizes.flatMap((length, index) => {
      const run = Array.from({ length }, () => BigInt(Math.floor(random() * 50)));
      return index === 4 ? run : run.sort((a, b) => Number(a - b));
    });
    const runs = sizes.map((lanes, index) => ({ lanes, sorted: index !== 4 }));
    const lanes = keys.length;
    const sortedKeys = [...keys].sort((a, b) => Number(a - b));
    const payload = (key: bigint) => (key * 5n + 1n) % 256n;
    await checkOnAllBackends(async (backend, [keyWires, payloadWires]) => {
      const relation = { lanes, valid: backend.constant(new Uint8Array(lanes).fill(1)), columns: [{ value: bitPlanes(keyWires, 8) }, { value: bitPlanes(payloadWires, 8) }] };
      const merged = await sortRelation(backend, relation, (rows) => rows.columns[0].value, { runs, pairsPerChunk: 5 });
      return [merged.columns[0].value.wires, merged.columns[1].value.wires];
    }, [encodeIntegers(keys, 8), encodeIntegers(keys.map(payload), 8)], {
      outputs: [encodeIntegers(sortedKeys, 8), encodeIntegers(sortedKeys.map(payload), 8)],
    });
    const count = (layers: Iterable<{ smaller: Int32Array }>) => [...layers].reduce((sum, layer) => sum + layer.smaller.length, 0);
    // The pilot's partials at a tenth of its size: six runs merged in three levels.
    const partials = [14_074, 24_397, 18_120, 50_935, 11_500, 11_683].map((size) => ({ lanes: size, sorted: true }));
    expect(count(runLayers(partials)) * 3).toBeLessThan(count(bitonicLayers(130_709)));
  });

  it("counts a merge's comparators without building it, and merges runs in the cheapest neighbour order", () => {
    const count = (layers: Iterable<{ smaller: Int32Array }>) => [...layers].reduce((sum, layer) => sum + layer.smaller.length, 0);
    const random = seededRandom(5);
    for (let trial = 0; trial < 200; trial++) {
      const [first, second] = [Math.floor(random() * 3000), Math.floor(random() * 3000)];
      expect(mergeComparators(first, second)).toBe(count(mergeLayers(first, second)));
    }
    for (const [first, second] of [[1, 1], [1, 1024], [1024, 1024], [1025, 1023], [0, 7]]) expect(mergeComparators(first, second)).toBe(count(mergeLayers(first, second)));
    // The pilot's six partial runs at S = 0.1 in upload order (two aggregate-only sites' rollups, then the four
    // row-level sites'): merging level by level pairs a large run early; the cheapest order merges it last.
    const sizes = [15_185, 15_159, 17_000, 35_000, 24_000, 103_102];
    let levelByLevel = 0;
    for (let level = sizes; level.length > 1;) {
      const next: number[] = [];
      for (let index = 0; index + 1 < level.length; index += 2) { levelByLevel += mergeComparators(level[index], level[index + 1]); next.push(level[index] + level[index + 1]); }
      if (level.length % 2 === 1) next.push(level[level.length - 1]);
      level = next;
    }
    const cheapest = count(runLayers(sizes.map((lanes) => ({ lanes, sorted: true }))));
    expect(cheapest).toBeLessThan(levelByLevel * 0.95);
    // No neighbour order beats it: every way of splitting the runs in two, each side merged cheapest.
    const cheapestOf = (runs: number[]): number => (runs.length < 2 ? 0 : Math.min(...runs.slice(1).map((_, split) => {
      const [left, right] = [runs.slice(0, split + 1), runs.slice(split + 1)];
      const total = (part: number[]) => part.reduce((sum, lanes) => sum + lanes, 0);
      return cheapestOf(left) + cheapestOf(right) + mergeComparators(total(left), total(right));
    })));
    expect(cheapest).toBe(cheapestOf(sizes));
  });
});
