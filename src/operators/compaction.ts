/**
 * Order-preserving oblivious compaction in O(n·lg n) gates: valid lanes move to the front, keeping their
 * order. Each valid lane moves left by the number of invalid lanes before it, one bit of that distance per
 * layer, least significant first; no two lanes ever land on the same lane (see `compact`). A bitonic sort on
 * (invalid, index) did the same with lg²n/2 layers of comparisons.
 */
import type { Backend } from "../circuit/backend.js";
import { broadcast, planeRange, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { add, bitLength } from "../circuit/bitVector/integer.js";
import { select } from "../circuit/bitVector/select.js";
import { gatherLanes, packRelation, scatterLanes, type Relation } from "./relation.js";

/** Wires per chunk of lanes a layer updates at once: large AND batches, small temporaries. */
const CHUNK_WIRES = 1 << 21;
import { inclusiveScan } from "./segmentedScan.js";

/** For each lane, how many invalid lanes come before it. */
async function invalidBefore(backend: Backend, valid: BitPlanes["wires"], lanes: number, width: number): Promise<BitPlanes> {
  const invalid = zeroExtend(backend, { wires: backend.not(valid), width: 1, lanes }, width);
  const upTo = await inclusiveScan(backend, invalid, add);
  // Exclusive: lane i takes lane i−1's inclusive count, lane 0 takes zero (a public relabelling).
  const shifted = gatherLanes(backend, upTo, Int32Array.from({ length: lanes }, (_, lane) => Math.max(0, lane - 1)));
  return scatterLanes(backend, shifted, [0], { wires: backend.constant(new Uint8Array(width)), width, lanes: 1 });
}

/**
 * Valid lanes first in their current order; every cell of the invalid lanes after them is zero.
 *
 * Why lanes never collide: valid lanes i < k with d_i, d_k invalid lanes before them have
 * d_k − d_i ≤ k − i − 1. After the layers for bits below j they sit at i − (d_i mod 2^j) and
 * k − (d_k mod 2^j), which differ by at least (k − i) − (d_k − d_i) ≥ 1.
 */
export async function compact(backend: Backend, relation: Relation, options: { lanesPerChunk?: number } = {}): Promise<Relation> {
  const lanes = relation.lanes;
  if (lanes === 0) return relation;
  const { record, unpack } = packRelation(backend, relation);
  const distanceBits = lanes > 1 ? bitLength(lanes - 1) : 0;
  const distance = await invalidBefore(backend, relation.valid, lanes, distanceBits);
  // Plane 0 is `valid`; the distance's bits not yet used ride along above the record.
  let current: BitPlanes = { wires: backend.concat([record.wires, distance.wires]), width: record.width + distanceBits, lanes };
  for (let bit = 0; bit < distanceBits; bit++) {
    const shift = 2 ** bit;
    const valid = planeRange(backend, current, 0, 1).wires;
    const moving = await backend.and(valid, planeRange(backend, current, record.width, record.width + 1).wires);
    // Lane p takes lane p + shift's record where that one moves, else keeps its own (the used distance bit goes).
    // `next` is a fresh copy without the used bit. Its body (all but `valid`, plane 0) is updated in place a
    // chunk of lanes at a time in increasing order: a chunk reads only its own lanes and later ones, which
    // no earlier chunk has written.
    const next = backend.concat([planeRange(backend, current, 0, record.width).wires, planeRange(backend, current, record.width + 1, current.width).wires]);
    const body = { wires: backend.slice(next, lanes), width: current.width - 2, lanes };
    const lanesPerChunk = options.lanesPerChunk ?? Math.max(1024, Math.floor(CHUNK_WIRES / Math.max(1, body.width)));
    for (let start = 0; start < lanes - shift; start += lanesPerChunk) {
      const end = Math.min(lanes - shift, start + lanesPerChunk);
      const targets = Int32Array.from({ length: end - start }, (_, index) => start + index);
      const sources = Int32Array.from({ length: end - start }, (_, index) => start + index + shift);
      const chosen = await select(backend, backend.gather(moving, sources), gatherLanes(backend, body, sources), gatherLanes(backend, body, targets));
      backend.scatterLanesInPlace(body.wires, body.width, targets, chosen.wires);
    }
    const arrives = backend.concat([backend.slice(moving, shift), backend.constant(new Uint8Array(shift))]);
    // Valid where a row arrives, or where one was and stayed; the two never meet, so XOR is OR, and free.
    backend.scatterLanesInPlace(backend.slice(next, 0, lanes), 1, everyLane(lanes), backend.xor(arrives, backend.xor(valid, moving)));
    current = { wires: next, width: current.width - 1, lanes };
  }
  // Invalid lanes may hold stale copies of moved rows, whose places would hint at the gaps: zero them.
  const valid = planeRange(backend, current, 0, 1).wires;
  const body = planeRange(backend, current, 1, record.width);
  const masked = await backend.and(body.wires, broadcast(backend, valid, record.width - 1));
  return unpack({ wires: backend.concat([valid, masked]), width: record.width, lanes });
}

function everyLane(lanes: number): Int32Array {
  return Int32Array.from({ length: lanes }, (_, lane) => lane);
}
