/**
 * Prefix scans across lanes, work-efficient (Brent–Kung): about 2n combines in 2·lg n vector steps, where
 * Hillis–Steele needs n·lg n. Garbled circuits pay per gate, not per round, so the fewer gates win.
 */
import type { Backend } from "../circuit/backend.js";
import { planeRange, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { select } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import { gatherLanes } from "./relation.js";
import { CHUNK_WIRES } from "./chunks.js";

/** An associative operator on lanes: `earlier` comes before `later` in lane order. */
export type Combine = (backend: Backend, earlier: BitPlanes, later: BitPlanes) => Promise<BitPlanes>;

/**
 * Runs `combine` on lane pairs (earlier[i], later[i]) and writes each result into its `later` lane of `record`,
 * chunk by chunk. In one level of the scan no lane is both read as `earlier` and written as `later`, so a chunk
 * never reads what an earlier chunk wrote.
 */
async function combineInPlace(backend: Backend, record: BitPlanes, earlier: Int32Array, later: Int32Array, combine: Combine): Promise<void> {
  const pairsPerChunk = Math.max(1024, Math.floor(CHUNK_WIRES / record.width));
  for (let start = 0; start < later.length; start += pairsPerChunk) {
    const end = Math.min(later.length, start + pairsPerChunk);
    const lanes = later.subarray(start, end);
    const combined = await combine(backend, gatherLanes(backend, record, earlier.subarray(start, end)), gatherLanes(backend, record, lanes));
    backend.scatterLanesInPlace(record.wires, record.width, lanes, combined.wires);
  }
}

/** The lane pairs of one level: `earlier` from `first - offset` and `later` from `first`, every `step` lanes. */
function levelPairs(lanes: number, first: number, step: number, offset: number): { earlier: Int32Array; later: Int32Array } {
  const count = first < lanes ? Math.floor((lanes - 1 - first) / step) + 1 : 0;
  const earlier = new Int32Array(count);
  const later = new Int32Array(count);
  for (let index = 0, k = first; index < count; index++, k += step) { earlier[index] = k - offset; later[index] = k; }
  return { earlier, later };
}

/** Inclusive scan of `record` in place (the caller owns it): lane i ends with combine(lane 0, …, lane i). */
async function scanInPlace(backend: Backend, record: BitPlanes, combine: Combine): Promise<void> {
  const lanes = record.lanes;
  // Up-sweep: lane k with k+1 a multiple of 2s gathers the total of its block of 2s lanes.
  let stride = 1;
  for (; stride < lanes; stride *= 2) {
    const { earlier, later } = levelPairs(lanes, 2 * stride - 1, 2 * stride, stride);
    await combineInPlace(backend, record, earlier, later, combine);
  }
  // Down-sweep: complete prefixes at multiples of 2s finish the lane s after them.
  for (stride = Math.max(1, stride / 4); stride >= 1; stride /= 2) {
    const { earlier, later } = levelPairs(lanes, 3 * stride - 1, 2 * stride, stride);
    await combineInPlace(backend, record, earlier, later, combine);
  }
}

/** Inclusive scan: lane i ends with combine(lane 0, …, lane i). One copy of `value`, updated level by level. */
export async function inclusiveScan(backend: Backend, value: BitPlanes, combine: Combine): Promise<BitPlanes> {
  const record = { ...value, wires: backend.concat([value.wires]) };
  await scanInPlace(backend, record, combine);
  return record;
}

/**
 * Inclusive segmented scan: lane i ends with combine(start of its segment, …, lane i); `starts` marks the
 * segment starts. The scan runs on (start flag, value) pairs, whose operator is associative.
 */
export async function segmentedScan(backend: Backend, value: BitPlanes, starts: WireVector, combine: Combine): Promise<BitPlanes> {
  return segmentedScanOfRecord(backend, { wires: backend.concat([starts, value.wires]), width: value.width + 1, lanes: starts.length }, combine);
}

/**
 * `segmentedScan` in place in a record the caller built and gives up: plane 0 the segment starts, then the
 * value's planes. Returns the value planes of the record.
 */
export async function segmentedScanOfRecord(backend: Backend, flagged: BitPlanes, combine: Combine): Promise<BitPlanes> {
  const width = flagged.width - 1;
  await scanInPlace(backend, flagged, async (inner, earlier, later) => {
    const laterStarts = planeRange(inner, later, 0, 1).wires;
    const earlierStarts = planeRange(inner, earlier, 0, 1).wires;
    const laterValue = planeRange(inner, later, 1, width + 1);
    const joined = await combine(inner, planeRange(inner, earlier, 1, width + 1), laterValue);
    const kept = await select(inner, laterStarts, laterValue, joined);
    const anyStart = inner.xor(inner.xor(laterStarts, earlierStarts), await inner.and(laterStarts, earlierStarts));
    return { wires: inner.concat([anyStart, kept.wires]), width: width + 1, lanes: later.lanes };
  });
  return planeRange(backend, flagged, 1, width + 1);
}

/** Each segment's first lane copied to every lane of the segment: a segmented scan that keeps the earlier. */
export function copyDown(backend: Backend, value: BitPlanes, starts: WireVector): Promise<BitPlanes> {
  return segmentedScan(backend, value, starts, async (_, earlier) => earlier);
}
