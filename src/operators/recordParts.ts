/**
 * A relation's rows as a record stored in parts: one BitPlanes per vector (valid, each column's value and
 * NULL flags), each in storage of its own, all over the same lanes. Sorts, scans and compaction overwrite
 * the parts in place, so no packed copy of the rows is made beside them: each part goes, or is reused, on
 * its own. A chunk of lanes gathered from every part reads as one packed record (the valid plane, then each
 * column's value planes and NULL flag), so the gates (and the garbled stream) do not depend on how the rows
 * are stored: in the relation's own vectors or in copies.
 */
import type { Backend } from "../circuit/backend.js";
import { planeRange, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { overlaps, spansItsStorage, type WireVector } from "../circuit/wireVector.js";
import type { Relation, RelationColumn } from "./relation.js";

export type RecordParts = BitPlanes[];

/**
 * The parts, each made safe to overwrite: with `owned`, a part is kept unless it is a view into larger
 * storage or shares bytes with an earlier part (a column selected twice; on the evaluator a NOT is the same
 * label); otherwise every part is copied. Copies are made one part at a time.
 */
export function exclusiveParts(backend: Backend, parts: readonly BitPlanes[], owned: boolean): RecordParts {
  const kept: RecordParts = [];
  for (const part of parts) {
    const shared = !owned || !spansItsStorage(part.wires) || kept.some((earlier) => overlaps(earlier.wires, part.wires));
    kept.push(shared ? { ...part, wires: backend.concat([part.wires]) } : part);
  }
  return kept;
}

/** Planes of every part, in order. */
export function partsWidth(parts: readonly BitPlanes[]): number {
  return parts.reduce((sum, part) => sum + part.width, 0);
}

/** The same lanes of every part, as one record of all their planes in order. */
export function gatherPartLanes(backend: Backend, parts: readonly BitPlanes[], lanes: ArrayLike<number>): BitPlanes {
  return { wires: backend.gatherLanesOfParts(parts, lanes), width: partsWidth(parts), lanes: lanes.length };
}

/** Writes lane i of `values` (a record of every part's planes) into lane `lanes[i]` of each part. */
export function scatterPartLanesInPlace(backend: Backend, parts: readonly BitPlanes[], lanes: ArrayLike<number>, values: BitPlanes): void {
  let plane = 0;
  for (const part of parts) {
    if (part.width > 0) backend.scatterLanesInPlace(part.wires, part.width, lanes, planeRange(backend, values, plane, plane + part.width).wires);
    plane += part.width;
  }
}

/** A relation's vectors as parts (valid, then each column's value and NULL flag), and how to read a relation back off such parts. */
export function relationParts(relation: Relation): { parts: RecordParts; unpack: (parts: readonly BitPlanes[]) => Relation } {
  const lanes = relation.lanes;
  const parts: RecordParts = [{ wires: relation.valid, width: 1, lanes }];
  const hasNull: boolean[] = [];
  for (const column of relation.columns) {
    parts.push(column.value);
    if (column.isNull) parts.push({ wires: column.isNull, width: 1, lanes });
    hasNull.push(Boolean(column.isNull));
  }
  // The reader keeps only the layout, not the relation, whose vectors may be copied and let go.
  const unpack = (stored: readonly BitPlanes[]): Relation => {
    let next = 1;
    const columns = hasNull.map((nullable): RelationColumn => {
      const value = stored[next++];
      const isNull: WireVector | undefined = nullable ? stored[next++].wires : undefined;
      return { value, isNull };
    });
    return { lanes: stored[0].lanes, valid: stored[0].wires, columns };
  };
  return { parts, unpack };
}

/** How to read the rows off a gathered chunk (one packed record of every part's planes), as views. */
export function unpackChunk(backend: Backend, layout: readonly BitPlanes[], unpack: (parts: readonly BitPlanes[]) => Relation): (chunk: BitPlanes) => Relation {
  return (chunk) => {
    let plane = 0;
    return unpack(layout.map((part) => {
      const view = planeRange(backend, chunk, plane, plane + part.width);
      plane += part.width;
      return view;
    }));
  };
}
