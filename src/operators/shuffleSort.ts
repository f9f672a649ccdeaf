/**
 * Sorting by shuffling first and then comparing in the open (Hamada et al. 2012; as in Secrecy and ORQ): the
 * rows leave the circuit as shares, are shuffled by a permutation neither party knows (sharedShuffle.ts),
 * come back as fresh wires, and are merge-sorted by comparisons whose outcomes both parties see. The keys are
 * made distinct by the lane index below them, so every outcome is that of a uniformly random order and says
 * nothing about the data; the order found is then applied by relabelling wires, which costs nothing. A
 * comparison costs the key's width in ANDs, where a sorting network also pays a conditional swap of the
 * whole row per comparator.
 */
import type { Backend } from "../circuit/backend.js";
import { bitLength } from "../circuit/bitVector/integer.js";
import { lessThan } from "../circuit/bitVector/compare.js";
import { rowBytesFor } from "../circuit/shuffledLanes.js";
import type { WireVector } from "../circuit/wireVector.js";
import { shuffleTrafficBytes } from "../ot/sharedShuffle.js";
import { receive, type Given } from "./handOver.js";
import { gatherPartLanes, partsWidth, relationParts } from "./recordParts.js";
import type { Relation } from "./relation.js";
import { revealedMergeSort, revealedMergeSortCost } from "./revealedMergeSort.js";
import type { BitPlanes } from "../circuit/bitVector/bitPlanes.js";

/** A sort key's planes, lowest first, read off the rows for free (views and NOTs, see orderKeyPlanes). */
export type KeyPlanesOf = (rows: Relation) => WireVector[];

/** Bits of the lane index that make keys distinct. */
function tieBreakWidth(lanes: number): number {
  return Math.max(1, bitLength(lanes - 1));
}

/** Each lane's own index, as public planes (lowest first). */
function laneIndexPlanes(backend: Backend, lanes: number, width: number): WireVector {
  const bits = new Uint8Array(width * lanes);
  for (let plane = 0; plane < width; plane++) for (let lane = 0; lane < lanes; lane++) bits[plane * lanes + lane] = (lane >>> plane) & 1;
  return backend.constant(bits);
}

/**
 * Sorts the lanes of `input` ascending by the key `keyPlanesOf` reads, ties kept in lane order (the lane index
 * is the key's last part). It takes the rows: their wires go once shared, and each part comes back in storage
 * of its own, in the sorted order.
 */
export async function shuffleSortRelation(backend: Backend, input: Given<Relation>, keyPlanesOf: KeyPlanesOf): Promise<Relation> {
  const shuffled = await shuffleToShares(backend, receive(input));
  const { lanes, unpack, layout, tieWidth } = shuffled;
  // Fresh wires for every part, in the shuffled order; the tie-break's planes come last.
  const parts: BitPlanes[] = [];
  let plane = 0;
  for (const part of layout) {
    parts.push({ ...part, wires: await backend.labelsOfShuffled(shuffled.shares, plane, plane + part.width) });
    plane += part.width;
  }
  const tie = await backend.labelsOfShuffled(shuffled.shares, plane, plane + tieWidth);
  const keyPlanes = [...Array.from({ length: tieWidth }, (_, bit) => backend.slice(tie, bit * lanes, (bit + 1) * lanes)), ...keyPlanesOf(unpack(parts))];
  const keyParts = keyPlanes.map((wires) => ({ wires, width: 1, lanes }));
  const order = await revealedMergeSort(lanes, async (first, second) => {
    const below = await lessThan(backend, gatherPartLanes(backend, keyParts, first), gatherPartLanes(backend, keyParts, second));
    // The counting backend sees no values: any consistent order costs the same, so it takes the lanes'.
    return (await backend.reveal(below)) ?? Uint8Array.from(first, (lane, index) => (lane < second[index] ? 1 : 0));
  });
  keyParts.length = 0;
  keyPlanes.length = 0;
  // The order is public: each part is moved by relabelling, one part at a time so that only one is doubled.
  for (let index = 0; index < parts.length; index++) {
    parts[index] = { ...parts[index], wires: backend.gatherLanes(parts[index].wires, parts[index].width, order) };
  }
  return { ...unpack(parts), ownsStorage: true };
}

/** The rows as this party's shares, shuffled with the tie-break planes after them; the rows' wires are let go. */
async function shuffleToShares(backend: Backend, relation: Relation) {
  const lanes = relation.lanes;
  const tieWidth = tieBreakWidth(lanes);
  const { parts, unpack } = relationParts(relation);
  const layout = parts.map((part) => ({ width: part.width, lanes: part.lanes }));
  const shares = await backend.shuffleLanes([...parts, { wires: laneIndexPlanes(backend, lanes, tieWidth), width: tieWidth }], lanes);
  return { lanes, tieWidth, layout, unpack, shares };
}

/** A round trip (the garbler waits for the evaluator to catch up), in AND gates garbled meanwhile: about 1.5 ms. */
const ROUND_TRIP_ANDS = 10_000;
/** The shuffle's two OT sessions (256 base OTs over ristretto255), in AND gates: about half a second. */
const SHUFFLE_SETUP_ANDS = 3_000_000;

/**
 * What a shuffle sort of `lanes` rows of `recordWidth` planes by a key of `keyWidth` planes costs, in AND gates
 * and AND-equivalents of traffic (32 bytes each) and of waiting: the comparisons and their round trips, the two
 * switching networks and the OT that makes the wires again.
 */
export function shuffleSortCost(lanes: number, recordWidth: number, keyWidth: number): number {
  if (lanes < 2) return 0;
  const tieWidth = tieBreakWidth(lanes);
  const planes = recordWidth + tieWidth;
  const { comparisons, rounds } = revealedMergeSortCost(lanes);
  const traffic = shuffleTrafficBytes(lanes, rowBytesFor(planes)) + 16 * lanes * planes;
  return comparisons * (keyWidth + tieWidth) + traffic / 32 + rounds * ROUND_TRIP_ANDS + SHUFFLE_SETUP_ANDS;
}

/** Record planes of a relation as sorts move it (valid, each column's value and NULL flag). */
export function recordWidthOf(relation: Relation): number {
  return partsWidth(relationParts(relation).parts);
}
