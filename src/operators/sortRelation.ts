/**
 * Oblivious sort of a relation's lanes by a key: a bitonic network where each stage is one vectorised
 * comparison of the key planes and one conditional swap of whole records. The network depends only on the
 * number of lanes, never on the data; lane counts that are not a power of two need no padding lanes (see
 * bitonicLayers).
 */
import type { Backend } from "../circuit/backend.js";
import type { BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { bitonicLayers, runLayers } from "../circuit/bitVector/bitonicSort.js";
import { lessThan } from "../circuit/bitVector/compare.js";
import { conditionalSwap } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import type { Relation } from "./relation.js";
import { exclusiveParts, gatherPartLanes, partsWidth, relationParts, scatterPartLanesInPlace, unpackChunk } from "./recordParts.js";
import { CHUNK_WIRES } from "./chunks.js";
import { receive, type Given } from "./handOver.js";

/** How to read a sort key off the rows being sorted; it must be free (rewiring and NOTs, see orderKey). */
export type KeyOf = (rows: Relation) => BitPlanes;

/**
 * Sorts the lanes of `relation` ascending by the unsigned key `keyOf` reads from each row. Not stable. With
 * `runs`, the lanes arrive as consecutive runs, those marked sorted ascending already (see runLayers).
 * Every layer writes its comparators' outputs back into the rows chunk by chunk (recordParts.ts): in the
 * relation's own storage when it owns it, so the sort holds no second copy of the rows however many layers it
 * has; else in a copy made part by part.
 */
export async function sortRelation(backend: Backend, input: Given<Relation>, keyOf: KeyOf, options: { pairsPerChunk?: number; runs?: ReadonlyArray<{ lanes: number; sorted: boolean }> } = {}): Promise<Relation> {
  let relation: Relation | undefined = receive(input);
  const lanes = relation.lanes;
  if (lanes <= 1) return relation;
  const { parts: vectors, unpack } = relationParts(relation);
  // The rows are sorted in their own storage when the relation owns it; otherwise in a copy, part by part.
  const parts = exclusiveParts(backend, vectors, relation.ownsStorage === true);
  relation = undefined;
  vectors.length = 0;
  const readRows = unpackChunk(backend, parts, unpack);
  const width = partsWidth(parts);
  const pairsPerChunk = options.pairsPerChunk ?? Math.max(1024, Math.floor(CHUNK_WIRES / width));
  if (options.runs && options.runs.reduce((sum, run) => sum + run.lanes, 0) !== lanes) throw new RangeError(`runs cover ${options.runs.reduce((sum, run) => sum + run.lanes, 0)} lanes, not ${lanes}`);
  // Runs, some ascending already: sort the others, then merge neighbours in the cheapest order for their sizes.
  const layers = options.runs ? runLayers(options.runs) : bitonicLayers(lanes);
  for (const { smaller, larger } of layers) {
    await swapPairsInPlace(backend, parts, smaller, larger, pairsPerChunk, (first, second) => lessThan(backend, keyOf(readRows(second)), keyOf(readRows(first))));
  }
  return { ...unpack(parts), ownsStorage: true };
}

/**
 * One layer of conditional swaps between lanes `lower[i]` and `upper[i]`, chunk by chunk, written back into
 * the parts of a record (which the caller owns). No lane is in two pairs, so a chunk reads only lanes that no
 * earlier chunk of the layer wrote. `swapBits` gives the secret bits of pairs [start, end), whose rows are
 * `first` and `second` (every part's planes, in order).
 */
export async function swapPairsInPlace(backend: Backend, parts: readonly BitPlanes[], lower: Int32Array, upper: Int32Array, pairsPerChunk: number,
  swapBits: (first: BitPlanes, second: BitPlanes, start: number, end: number) => Promise<WireVector>): Promise<void> {
  for (let start = 0; start < lower.length; start += pairsPerChunk) {
    const end = Math.min(lower.length, start + pairsPerChunk);
    const low = lower.subarray(start, end);
    const high = upper.subarray(start, end);
    const first = gatherPartLanes(backend, parts, low);
    const second = gatherPartLanes(backend, parts, high);
    const [swappedFirst, swappedSecond] = await conditionalSwap(backend, await swapBits(first, second, start, end), first, second);
    scatterPartLanesInPlace(backend, parts, low, swappedFirst);
    scatterPartLanesInPlace(backend, parts, high, swappedSecond);
  }
}
