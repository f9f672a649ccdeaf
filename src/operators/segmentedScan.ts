/**
 * Prefix scans across lanes, work-efficient (Brent–Kung): about 2n combines in 2·lg n vector steps, where
 * Hillis–Steele needs n·lg n. Garbled circuits pay per gate, not per round, so the fewer gates win.
 */
import type { Backend } from "../circuit/backend.js";
import { planeRange, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { select } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import { gatherLanes, scatterLanes } from "./relation.js";

/** An associative operator on lanes: `earlier` comes before `later` in lane order. */
export type Combine = (backend: Backend, earlier: BitPlanes, later: BitPlanes) => Promise<BitPlanes>;

/** Runs `combine` on lane pairs (earlier[i], later[i]) and writes the result into the `later` lanes. */
async function combineInto(backend: Backend, value: BitPlanes, earlier: number[], later: number[], combine: Combine): Promise<BitPlanes> {
  if (later.length === 0) return value;
  const combined = await combine(backend, gatherLanes(backend, value, earlier), gatherLanes(backend, value, later));
  return scatterLanes(backend, value, later, combined);
}

/** Inclusive scan: lane i ends with combine(lane 0, …, lane i). */
export async function inclusiveScan(backend: Backend, value: BitPlanes, combine: Combine): Promise<BitPlanes> {
  const lanes = value.lanes;
  let current = value;
  // Up-sweep: lane k with k+1 a multiple of 2s gathers the total of its block of 2s lanes.
  let stride = 1;
  for (; stride < lanes; stride *= 2) {
    const earlier: number[] = [];
    const later: number[] = [];
    for (let k = 2 * stride - 1; k < lanes; k += 2 * stride) { earlier.push(k - stride); later.push(k); }
    current = await combineInto(backend, current, earlier, later, combine);
  }
  // Down-sweep: complete prefixes at multiples of 2s finish the lane s after them.
  for (stride = Math.max(1, stride / 4); stride >= 1; stride /= 2) {
    const earlier: number[] = [];
    const later: number[] = [];
    for (let k = 2 * stride - 1; k + stride < lanes; k += 2 * stride) { earlier.push(k); later.push(k + stride); }
    current = await combineInto(backend, current, earlier, later, combine);
  }
  return current;
}

/**
 * Inclusive segmented scan: lane i ends with combine(start of its segment, …, lane i); `starts` marks the
 * segment starts. The scan runs on (start flag, value) pairs, whose operator is associative.
 */
export async function segmentedScan(backend: Backend, value: BitPlanes, starts: WireVector, combine: Combine): Promise<BitPlanes> {
  const width = value.width;
  const flagged = { wires: backend.concat([starts, value.wires]), width: width + 1, lanes: value.lanes };
  const scanned = await inclusiveScan(backend, flagged, async (inner, earlier, later) => {
    const laterStarts = planeRange(inner, later, 0, 1).wires;
    const earlierStarts = planeRange(inner, earlier, 0, 1).wires;
    const laterValue = planeRange(inner, later, 1, width + 1);
    const joined = await combine(inner, planeRange(inner, earlier, 1, width + 1), laterValue);
    const kept = await select(inner, laterStarts, laterValue, joined);
    const anyStart = inner.xor(inner.xor(laterStarts, earlierStarts), await inner.and(laterStarts, earlierStarts));
    return { wires: inner.concat([anyStart, kept.wires]), width: width + 1, lanes: later.lanes };
  });
  return planeRange(backend, scanned, 1, width + 1);
}

/** Each segment's first lane copied to every lane of the segment: a segmented scan that keeps the earlier. */
export function copyDown(backend: Backend, value: BitPlanes, starts: WireVector): Promise<BitPlanes> {
  return segmentedScan(backend, value, starts, async (_, earlier) => earlier);
}
