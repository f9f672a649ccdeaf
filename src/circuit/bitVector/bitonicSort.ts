/** Bitonic sort of bit-plane integers: every stage's compare-exchanges are one vectorised comparator and swap. */
import type { Backend } from "../backend.js";
import type { BitPlanes } from "./bitPlanes.js";
import { lessThan } from "./compare.js";
import { conditionalSwap } from "./select.js";

/** Ascending unsigned sort of the lanes of `keys` (a power of two): (n/4)·lg·(lg+1) compare-exchanges of 2·width ANDs. */
export async function bitonicSort(backend: Backend, keys: BitPlanes): Promise<BitPlanes> {
  const rows = keys.lanes;
  if (rows & (rows - 1)) throw new RangeError(`bitonic sort needs a power-of-two row count, got ${rows}`);
  const { width } = keys;
  const pairs = rows / 2;
  // Where each row's bit 0 sits in `current`, and the distance between its bit-planes: rows are not moved
  // back into order after a stage, the next stage's gather reads them where they are (a public relabelling).
  let current = keys.wires;
  let position = Int32Array.from({ length: rows }, (_, row) => row);
  let planeStride = rows;
  for (const { smaller, larger } of bitonicLayers(rows)) {
    const first = { wires: backend.gather(current, planeIndices(smaller, position, planeStride, width)), width, lanes: pairs };
    const second = { wires: backend.gather(current, planeIndices(larger, position, planeStride, width)), width, lanes: pairs };
    const outOfOrder = await lessThan(backend, second, first);
    const [low, high] = await conditionalSwap(backend, outOfOrder, first, second);
    // Both halves side by side: plane i of pair r at i·pairs + r in `low`, after all of `low` in `high`.
    current = backend.concat([low.wires, high.wires]);
    const next = new Int32Array(rows);
    for (let r = 0; r < pairs; r++) {
      next[smaller[r]] = r;
      next[larger[r]] = width * pairs + r;
    }
    position = next;
    planeStride = pairs;
  }
  const inOrder = new Int32Array(width * rows);
  for (let i = 0; i < width; i++) for (let row = 0; row < rows; row++) inOrder[i * rows + row] = position[row] + i * planeStride;
  return { wires: backend.gather(current, inOrder), width, lanes: rows };
}

/** Gather indices of the given rows' bit-planes, plane-major. */
function planeIndices(selectedRows: Int32Array, position: Int32Array, planeStride: number, width: number): Int32Array {
  const count = selectedRows.length;
  const indices = new Int32Array(width * count);
  for (let i = 0; i < width; i++) {
    const offset = i * planeStride;
    for (let r = 0; r < count; r++) indices[i * count + r] = position[selectedRows[r]] + offset;
  }
  return indices;
}

/**
 * The layers of a bitonic network over `lanes`: in each, lane `smaller[r]` must end up with the smaller key of
 * pair r and lane `larger[r]` with the larger. Which lanes pair up is public. Every block's first layer
 * compares mirror images, so each comparator puts the smaller key at the lower lane. A lane count that is
 * not a power of two then behaves as if padded with +∞ at the end: a comparator touching the padding never
 * swaps, so it is left out, and no padding lane is ever built.
 */
export function* bitonicLayers(lanes: number): Generator<{ smaller: Int32Array; larger: Int32Array }> {
  let size = 1;
  while (size < lanes) size *= 2;
  const layer = (partnerOf: (lane: number) => number) => {
    const smaller: number[] = [];
    const larger: number[] = [];
    for (let lane = 0; lane < lanes; lane++) {
      const partner = partnerOf(lane);
      if (partner > lane && partner < lanes) { smaller.push(lane); larger.push(partner); }
    }
    return { smaller: Int32Array.from(smaller), larger: Int32Array.from(larger) };
  };
  for (let block = 2; block <= size; block *= 2) {
    yield layer((lane) => lane ^ (block - 1));
    for (let distance = block / 4; distance >= 1; distance /= 2) yield layer((lane) => lane ^ distance);
  }
}

/**
 * The layers of a network that merges two ascending runs, lanes [0, first) and [first, first + second), into
 * one ascending sequence: the last block of `bitonicLayers`, about (n/2)·lg n comparators instead of a full
 * sort's (n/4)·lg²n. The runs sit in a virtual block of 2^k lanes, the first run ending at its middle and
 * the second starting there; the space before is padding at −∞ and after it at +∞, so both halves are
 * ascending. Every comparator touching padding then leaves it in place, and only lane pairs remain.
 */
export function* mergeLayers(first: number, second: number): Generator<{ smaller: Int32Array; larger: Int32Array }> {
  let half = 1;
  while (half < Math.max(first, second)) half *= 2;
  const size = 2 * half;
  const laneOf = (position: number): number => {
    if (position >= half - first && position < half) return position - (half - first);
    if (position >= half && position < half + second) return first + (position - half);
    return -1;
  };
  const layer = (partnerOf: (position: number) => number) => {
    const smaller: number[] = [];
    const larger: number[] = [];
    for (let position = 0; position < size; position++) {
      const partner = partnerOf(position);
      if (partner <= position) continue;
      const low = laneOf(position);
      const high = laneOf(partner);
      if (low >= 0 && high >= 0) { smaller.push(low); larger.push(high); }
    }
    return { smaller: Int32Array.from(smaller), larger: Int32Array.from(larger) };
  };
  if (first === 0 || second === 0) return;
  yield layer((position) => position ^ (size - 1));
  for (let distance = half / 2; distance >= 1; distance /= 2) yield layer((position) => position ^ distance);
}

/** Comparator layers shifted to start at lane `offset`. */
function* shifted(layers: Iterable<{ smaller: Int32Array; larger: Int32Array }>, offset: number): Generator<{ smaller: Int32Array; larger: Int32Array }> {
  for (const { smaller, larger } of layers) yield { smaller: smaller.map((lane) => lane + offset), larger: larger.map((lane) => lane + offset) };
}

/** Independent networks on disjoint lanes run side by side: their i-th layers become one layer. */
function* sideBySide(networks: Array<Iterator<{ smaller: Int32Array; larger: Int32Array }>>): Generator<{ smaller: Int32Array; larger: Int32Array }> {
  let active = networks;
  while (active.length > 0) {
    const layers: Array<{ smaller: Int32Array; larger: Int32Array }> = [];
    active = active.filter((network) => {
      const next = network.next();
      if (!next.done) layers.push(next.value);
      return !next.done;
    });
    if (layers.length === 0) return;
    const size = layers.reduce((sum, layer) => sum + layer.smaller.length, 0);
    const smaller = new Int32Array(size);
    const larger = new Int32Array(size);
    let at = 0;
    for (const layer of layers) { smaller.set(layer.smaller, at); larger.set(layer.larger, at); at += layer.smaller.length; }
    yield { smaller, larger };
  }
}

/** Comparators `mergeLayers(first, second)` yields, counted without building its layers. */
export function mergeComparators(first: number, second: number): number {
  if (first === 0 || second === 0) return 0;
  let half = 1;
  while (half < Math.max(first, second)) half *= 2;
  // Real lanes sit on positions [low, high) of the virtual block; a layer at distance d pairs p with p + d
  // for each p whose bit d is clear.
  const [low, high] = [half - first, half + second];
  const clearBelow = (x: number, d: number) => Math.floor(x / (2 * d)) * d + Math.min(x % (2 * d), d);
  let count = Math.min(first, second);
  for (let d = half / 2; d >= 1; d /= 2) if (high - d > low) count += clearBelow(high - d, d) - clearBelow(low, d);
  return count;
}

/** A merge tree over consecutive runs: a leaf is one run; a node merges its two children's lanes. */
type MergeTree = { start: number; lanes: number; height: number; children?: [MergeTree, MergeTree] };

/**
 * The cheapest order to merge consecutive sorted runs, neighbours only (so each merge's lanes stay one
 * block): an interval dynamic programme over the public run sizes. Merging the small runs first and the
 * largest last saved a tenth of the comparators of merging level by level on the pilot's runs at S = 0.1.
 */
function cheapestMergeTree(runs: ReadonlyArray<{ start: number; lanes: number }>): MergeTree & { cost: number } {
  const k = runs.length;
  const best: Array<Array<{ cost: number; tree: MergeTree }>> = [];
  for (let i = 0; i < k; i++) best.push([]);
  for (let i = 0; i < k; i++) best[i][i] = { cost: 0, tree: { start: runs[i].start, lanes: runs[i].lanes, height: 0 } };
  for (let span = 2; span <= k; span++) {
    for (let i = 0; i + span - 1 < k; i++) {
      const j = i + span - 1;
      let chosen: { cost: number; tree: MergeTree } | undefined;
      for (let split = i; split < j; split++) {
        const [left, right] = [best[i][split], best[split + 1][j]];
        const cost = left.cost + right.cost + mergeComparators(left.tree.lanes, right.tree.lanes);
        if (!chosen || cost < chosen.cost) {
          chosen = { cost, tree: { start: left.tree.start, lanes: left.tree.lanes + right.tree.lanes, height: 1 + Math.max(left.tree.height, right.tree.height), children: [left.tree, right.tree] } };
        }
      }
      best[i][j] = chosen!;
    }
  }
  return { ...best[0][k - 1].tree, cost: best[0][k - 1].cost };
}

/** Comparators of a bitonic sort of `lanes` lanes, at most: the count for the next power of two, (n/4)·lg n·(lg n + 1). */
export function bitonicComparatorsAtMost(lanes: number): number {
  if (lanes < 2) return 0;
  const levels = Math.ceil(Math.log2(lanes));
  return (2 ** levels / 4) * levels * (levels + 1);
}

/** Comparators of `runLayers(runs)`, at most (unsorted runs as bitonicComparatorsAtMost), without building its layers. */
export function runComparatorsAtMost(runs: ReadonlyArray<{ lanes: number; sorted: boolean }>): number {
  const sorts = runs.reduce((sum, run) => sum + (run.sorted ? 0 : bitonicComparatorsAtMost(run.lanes)), 0);
  const nonEmpty = runs.filter((run) => run.lanes > 0).map((run) => ({ start: 0, lanes: run.lanes }));
  return sorts + (nonEmpty.length < 2 ? 0 : cheapestMergeTree(nonEmpty).cost);
}

/**
 * The layers of a network that sorts lanes arriving as consecutive runs, some ascending already (a partner's
 * upload sorted by the key): the unsorted runs are sorted side by side, then neighbouring runs are merged in
 * the cheapest order for their sizes, merges of equal height side by side. With k runs of n lanes in all
 * that is at most about ⌈lg k⌉·(n/2)·lg n comparators instead of a full sort's (n/4)·lg²n.
 */
export function* runLayers(runs: ReadonlyArray<{ lanes: number; sorted: boolean }>): Generator<{ smaller: Int32Array; larger: Int32Array }> {
  const starts: number[] = [];
  let total = 0;
  for (const run of runs) { starts.push(total); total += run.lanes; }
  yield* sideBySide(runs.flatMap((run, index) => (run.sorted || run.lanes < 2 ? [] : [shifted(bitonicLayers(run.lanes), starts[index])])));
  const nonEmpty = runs.map((run, index) => ({ start: starts[index], lanes: run.lanes })).filter((run) => run.lanes > 0);
  if (nonEmpty.length < 2) return;
  const byHeight: MergeTree[][] = [];
  const collect = (node: MergeTree) => {
    if (!node.children) return;
    node.children.forEach(collect);
    (byHeight[node.height] ??= []).push(node);
  };
  collect(cheapestMergeTree(nonEmpty));
  for (const merges of byHeight) {
    if (!merges) continue;
    yield* sideBySide(merges.map((node) => shifted(mergeLayers(node.children![0].lanes, node.children![1].lanes), node.start)));
  }
}
