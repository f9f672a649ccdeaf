/**
 * Prefix scans across lanes, work-efficient (Brent–Kung): about 2n combines in 2·lg n vector steps, where
 * Hillis–Steele needs n·lg n. Garbled circuits pay per gate, not per round, so the fewer gates win.
 */
import type { Backend } from "../circuit/backend.js";
import { planeRange, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { select } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import { gatherPartLanes, partsWidth, scatterPartLanesInPlace } from "./recordParts.js";
import { CHUNK_WIRES } from "./chunks.js";

/** An associative operator on lanes: `earlier` comes before `later` in lane order. */
export type Combine = (backend: Backend, earlier: BitPlanes, later: BitPlanes) => Promise<BitPlanes>;

/**
 * Runs `combine` on lane pairs (earlier[i], later[i]) and writes each result into its `later` lane of the
 * record's parts, chunk by chunk. In one level of the scan no lane is both read as `earlier` and written as
 * `later`, so a chunk never reads what an earlier chunk wrote.
 */
async function combineInPlace(backend: Backend, parts: readonly BitPlanes[], earlier: Int32Array, later: Int32Array, combine: Combine): Promise<void> {
  const pairsPerChunk = Math.max(1024, Math.floor(CHUNK_WIRES / partsWidth(parts)));
  for (let start = 0; start < later.length; start += pairsPerChunk) {
    const end = Math.min(later.length, start + pairsPerChunk);
    const lanes = later.subarray(start, end);
    const combined = await combine(backend, gatherPartLanes(backend, parts, earlier.subarray(start, end)), gatherPartLanes(backend, parts, lanes));
    scatterPartLanesInPlace(backend, parts, lanes, combined);
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

/**
 * Inclusive scan in place in a record stored in parts (the caller owns them; `combine` sees every part's
 * planes in order): lane i ends with combine(lane 0, …, lane i).
 */
async function scanInPlace(backend: Backend, parts: readonly BitPlanes[], combine: Combine): Promise<void> {
  const lanes = parts[0].lanes;
  // Up-sweep: lane k with k+1 a multiple of 2s gathers the total of its block of 2s lanes.
  let stride = 1;
  for (; stride < lanes; stride *= 2) {
    const { earlier, later } = levelPairs(lanes, 2 * stride - 1, 2 * stride, stride);
    await combineInPlace(backend, parts, earlier, later, combine);
  }
  // Down-sweep: complete prefixes at multiples of 2s finish the lane s after them.
  for (stride = Math.max(1, stride / 4); stride >= 1; stride /= 2) {
    const { earlier, later } = levelPairs(lanes, 3 * stride - 1, 2 * stride, stride);
    await combineInPlace(backend, parts, earlier, later, combine);
  }
}

/** Inclusive scan: lane i ends with combine(lane 0, …, lane i). One copy of `value`, updated level by level. */
export async function inclusiveScan(backend: Backend, value: BitPlanes, combine: Combine): Promise<BitPlanes> {
  const record = { ...value, wires: backend.concat([value.wires]) };
  await scanInPlace(backend, [record], combine);
  return record;
}

/**
 * Inclusive segmented scan: lane i ends with combine(start of its segment, …, lane i); `starts` marks the
 * segment starts. The scan runs on (start flag, value) pairs, whose operator is associative.
 */
export async function segmentedScan(backend: Backend, value: BitPlanes, starts: WireVector, combine: Combine): Promise<BitPlanes> {
  const [scanned] = await segmentedScanOfParts(backend, [{ wires: backend.concat([starts]), width: 1, lanes: starts.length }, { ...value, wires: backend.concat([value.wires]) }], combine);
  return scanned;
}

/**
 * `segmentedScan` in place in a record stored in parts that the caller made and gives up: the segment starts
 * (one plane), then the value's parts, whose planes in order `combine` reads as one value. Returns the value
 * parts, scanned.
 */
export async function segmentedScanOfParts(backend: Backend, parts: readonly BitPlanes[], combine: Combine): Promise<BitPlanes[]> {
  const width = partsWidth(parts) - 1;
  await scanInPlace(backend, parts, async (inner, earlier, later) => {
    const laterStarts = planeRange(inner, later, 0, 1).wires;
    const earlierStarts = planeRange(inner, earlier, 0, 1).wires;
    const laterValue = planeRange(inner, later, 1, width + 1);
    const joined = await combine(inner, planeRange(inner, earlier, 1, width + 1), laterValue);
    const kept = await select(inner, laterStarts, laterValue, joined);
    const anyStart = inner.xor(inner.xor(laterStarts, earlierStarts), await inner.and(laterStarts, earlierStarts));
    return { wires: inner.concat([anyStart, kept.wires]), width: width + 1, lanes: later.lanes };
  });
  return parts.slice(1);
}

/** Each segment's first lane copied to every lane of the segment: a segmented scan that keeps the earlier. */
export function copyDown(backend: Backend, value: BitPlanes, starts: WireVector): Promise<BitPlanes> {
  return segmentedScan(backend, value, starts, async (_, earlier) => earlier);
}
