/**
 * Oblivious sort of a relation's lanes by a key: a bitonic network where each stage is one vectorised
 * comparison of the key planes and one conditional swap of whole records. The network depends only on the
 * number of lanes, never on the data; lane counts that are not a power of two need no padding lanes (see
 * bitonicLayers).
 */
import type { Backend } from "../circuit/backend.js";
import type { BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { bitonicLayers } from "../circuit/bitVector/bitonicSort.js";
import { lessThan } from "../circuit/bitVector/compare.js";
import { conditionalSwap } from "../circuit/bitVector/select.js";
import { concatLanes, gatherLanes, packRelation, type Relation } from "./relation.js";

/** How to read a sort key off the rows being sorted; it must be free (rewiring and NOTs, see orderKey). */
export type KeyOf = (rows: Relation) => BitPlanes;

/** Sorts the lanes of `relation` ascending by the unsigned key `keyOf` reads from each row. Not stable. */
export async function sortRelation(backend: Backend, relation: Relation, keyOf: KeyOf): Promise<Relation> {
  const lanes = relation.lanes;
  if (lanes <= 1) return relation;
  const { record, unpack } = packRelation(backend, relation);
  let current = record;
  for (const { smaller, larger } of bitonicLayers(lanes)) {
    if (smaller.length === 0) continue;
    const first = gatherLanes(backend, current, smaller);
    const second = gatherLanes(backend, current, larger);
    const outOfOrder = await lessThan(backend, keyOf(unpack(second)), keyOf(unpack(first)));
    const [low, high] = await conditionalSwap(backend, outOfOrder, first, second);
    // Lanes no comparator touches in this layer (only when `lanes` is not a power of two) stay as they are.
    const paired = smaller.length;
    const idle: number[] = [];
    if (2 * paired < lanes) {
      const touched = new Uint8Array(lanes);
      for (let r = 0; r < paired; r++) { touched[smaller[r]] = 1; touched[larger[r]] = 1; }
      for (let lane = 0; lane < lanes; lane++) if (!touched[lane]) idle.push(lane);
    }
    const order = new Int32Array(lanes);
    for (let r = 0; r < paired; r++) { order[smaller[r]] = r; order[larger[r]] = paired + r; }
    idle.forEach((lane, index) => { order[lane] = 2 * paired + index; });
    const parts = idle.length > 0 ? [low, high, gatherLanes(backend, current, idle)] : [low, high];
    current = gatherLanes(backend, concatLanes(backend, parts), order);
  }
  return unpack(current);
}
