/**
 * Sort keys: several typed values per lane folded into one unsigned integer whose order is the SQL order,
 * the first value most significant. Invalid lanes can be forced last, and NULLs sort last (as in DuckDB).
 * Building a key is free (rewiring and NOTs), so a sort can rebuild it from the rows it moves instead of
 * carrying a second copy of the key columns.
 */
import type { Backend } from "../circuit/backend.js";
import type { BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import type { WireVector } from "../circuit/wireVector.js";
import type { SqlType } from "./sql/types.js";
import type { Relation, RelationColumn } from "./relation.js";

export interface KeyPart {
  column: RelationColumn;
  type: SqlType;
  descending?: boolean;
}

/**
 * The column with the value bits of NULL cells cleared (one AND per bit), so that NULLs neither split into
 * several groups nor order by leftover bits. Keys must be built from cleared columns.
 */
export async function clearNullValues(backend: Backend, column: RelationColumn): Promise<RelationColumn> {
  // A share's NULLs have zero value bits already (see RelationColumn.zeroWhereNull): no gate needed.
  if (!column.isNull || column.zeroWhereNull) return column;
  const { value } = column;
  return { ...column, value: { ...value, wires: await backend.andBroadcast(value.wires, backend.not(column.isNull)) } };
}

/** `clearNullValues` on the given columns of a relation. */
export async function clearNullKeyColumns(backend: Backend, relation: Relation, indices: readonly number[]): Promise<Relation> {
  const columns = [...relation.columns];
  for (const index of new Set(indices)) columns[index] = await clearNullValues(backend, columns[index]);
  return { ...relation, columns };
}

/** Two's complement order is unsigned order with the sign bit flipped; descending inverts every plane. */
function orderedPlanes(backend: Backend, part: KeyPart): WireVector[] {
  const { value } = part.column;
  const planes: WireVector[] = [];
  for (let bit = 0; bit < value.width; bit++) planes.push(backend.slice(value.wires, bit * value.lanes, (bit + 1) * value.lanes));
  if (part.type.kind === "int") planes[planes.length - 1] = backend.not(planes[planes.length - 1]);
  const ordered = part.descending ? planes.map((plane) => backend.not(plane)) : planes;
  // The NULL flag sits above the value, not inverted: NULLs come last either way.
  if (part.column.isNull) ordered.push(part.column.isNull);
  return ordered;
}

/** Planes of `orderKey`, counted without building them. */
export function orderKeyWidth(parts: readonly KeyPart[], validity?: WireVector): number {
  const width = parts.reduce((sum, part) => sum + part.column.value.width + (part.column.isNull ? 1 : 0), 0) + (validity ? 1 : 0);
  return Math.max(1, width);
}

/** One unsigned key per lane: `validity` (if given) on top so invalid lanes sort last, then parts in order. */
export function orderKey(backend: Backend, parts: KeyPart[], lanes: number, validity?: WireVector): BitPlanes {
  const planes = orderKeyPlanes(backend, parts, lanes, validity);
  return { wires: backend.concat(planes), width: planes.length, lanes };
}

/** The planes of `orderKey`, lowest first, as views and NOTs: for a caller that needs them one at a time. */
export function orderKeyPlanes(backend: Backend, parts: KeyPart[], lanes: number, validity?: WireVector): WireVector[] {
  const planes: WireVector[] = [];
  for (const part of [...parts].reverse()) planes.push(...orderedPlanes(backend, part));
  if (validity) planes.push(backend.not(validity));
  if (planes.length === 0) planes.push(backend.constant(new Uint8Array(lanes)));
  return planes;
}

/**
 * same[i] for lanes 1..n−1: lane i has the key of lane i−1. Plane by plane over shifted views, ANDed into one
 * running plane (the same n−1 ANDs per plane as an equality tree), so no copy of the key is made.
 */
export async function continuesGroup(backend: Backend, keyPlanes: WireVector[], lanes: number): Promise<WireVector> {
  if (lanes <= 1) return backend.constant([]);
  let same: WireVector | undefined;
  for (const plane of keyPlanes) {
    const equalPlane = backend.not(backend.xor(backend.slice(plane, 1, lanes), backend.slice(plane, 0, lanes - 1)));
    same = same ? await backend.and(same, equalPlane) : equalPlane;
  }
  return same!;
}
