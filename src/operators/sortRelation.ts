/**
 * Oblivious sort of a relation's lanes by a key: a bitonic network where each stage is one vectorised
 * comparison of the key planes and one conditional swap of whole records. The network depends only on the
 * number of lanes, never on the data. Lane counts that are not a power of two are padded with lanes that
 * sort last and are dropped again, so the padding is public too.
 */
import type { Backend } from "../circuit/backend.js";
import { planeRange, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { bitonicLayers } from "../circuit/bitVector/bitonicSort.js";
import { lessThan } from "../circuit/bitVector/compare.js";
import { conditionalSwap } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import { concatLanes, gatherLanes, type Relation } from "./relation.js";

/** Planes of every lane of a relation, in a fixed order, so one swap moves whole rows. */
function packRelation(backend: Backend, relation: Relation): { record: BitPlanes; unpack: (record: BitPlanes) => Relation } {
  const parts: WireVector[] = [relation.valid];
  const layout: Array<{ width: number; hasNull: boolean }> = [];
  for (const column of relation.columns) {
    parts.push(column.value.wires);
    if (column.isNull) parts.push(column.isNull);
    layout.push({ width: column.value.width, hasNull: Boolean(column.isNull) });
  }
  const width = 1 + layout.reduce((sum, entry) => sum + entry.width + (entry.hasNull ? 1 : 0), 0);
  const record = { wires: backend.concat(parts), width, lanes: relation.lanes };
  const unpack = (packed: BitPlanes): Relation => {
    let offset = 1;
    const columns = layout.map((entry) => {
      const value = planeRange(backend, packed, offset, offset + entry.width);
      offset += entry.width;
      let isNull: WireVector | undefined;
      if (entry.hasNull) { isNull = planeRange(backend, packed, offset, offset + 1).wires; offset += 1; }
      return { value, isNull };
    });
    return { lanes: packed.lanes, valid: planeRange(backend, packed, 0, 1).wires, columns };
  };
  return { record, unpack };
}

/** Sorts the lanes of `relation` ascending by the unsigned `key` (one integer per lane). Not stable. */
export async function sortRelation(backend: Backend, relation: Relation, key: BitPlanes): Promise<Relation> {
  const lanes = relation.lanes;
  if (lanes <= 1) return relation;
  const { record, unpack } = packRelation(backend, relation);
  let size = 1;
  while (size < lanes) size *= 2;
  const padding = size - lanes;
  // A top key bit, 0 for real lanes and 1 for padding, makes padding sort after every real lane.
  const keyWidth = key.width + (padding > 0 ? 1 : 0);
  let combined: BitPlanes = { wires: backend.concat([key.wires, record.wires]), width: key.width + record.width, lanes };
  if (padding > 0) {
    const topBit = { wires: backend.constant(new Uint8Array(lanes)), width: 1, lanes };
    const real: BitPlanes = { wires: backend.concat([key.wires, topBit.wires, record.wires]), width: keyWidth + record.width, lanes };
    const filler = new Uint8Array((keyWidth + record.width) * padding);
    filler.fill(1, 0, keyWidth * padding);
    combined = concatLanes(backend, [real, { wires: backend.constant(filler), width: keyWidth + record.width, lanes: padding }]);
  }
  const sorted = await bitonicSortRecords(backend, combined, keyWidth);
  const kept = gatherLanes(backend, sorted, Int32Array.from({ length: lanes }, (_, lane) => lane));
  return unpack(planeRange(backend, kept, keyWidth, kept.width));
}

/** Bitonic sort of `records` (a power of two of lanes) by their low `keyWidth` planes. */
async function bitonicSortRecords(backend: Backend, records: BitPlanes, keyWidth: number): Promise<BitPlanes> {
  const lanes = records.lanes;
  const pairs = lanes / 2;
  let current = records;
  for (const { smaller, larger } of bitonicLayers(lanes)) {
    const first = gatherLanes(backend, current, smaller);
    const second = gatherLanes(backend, current, larger);
    const outOfOrder = await lessThan(backend, planeRange(backend, second, 0, keyWidth), planeRange(backend, first, 0, keyWidth));
    const [low, high] = await conditionalSwap(backend, outOfOrder, first, second);
    const order = new Int32Array(lanes);
    for (let r = 0; r < pairs; r++) { order[smaller[r]] = r; order[larger[r]] = pairs + r; }
    current = gatherLanes(backend, concatLanes(backend, [low, high]), order);
  }
  return current;
}
