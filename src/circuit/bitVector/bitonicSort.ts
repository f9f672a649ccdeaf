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
