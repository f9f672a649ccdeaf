/**
 * Sort keys: several typed values per lane folded into one unsigned integer whose order is the SQL order,
 * the first value most significant. Invalid lanes can be forced last, and NULLs sort last (as in DuckDB).
 */
import type { Backend } from "../circuit/backend.js";
import { broadcast, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import type { WireVector } from "../circuit/wireVector.js";
import type { SqlType } from "./sql/types.js";
import type { RelationColumn } from "./relation.js";

export interface KeyPart {
  column: RelationColumn;
  type: SqlType;
  descending?: boolean;
}

/** Free rewiring plus NOTs: two's complement order is unsigned order with the sign bit flipped. */
async function orderedPlanes(backend: Backend, part: KeyPart): Promise<WireVector[]> {
  let { value } = part.column;
  // A NULL's leftover value bits must not split NULLs into several groups: clear them (one AND per bit).
  if (part.column.isNull) value = { ...value, wires: await backend.and(value.wires, broadcast(backend, backend.not(part.column.isNull), value.width)) };
  const planes: WireVector[] = [];
  for (let bit = 0; bit < value.width; bit++) planes.push(backend.slice(value.wires, bit * value.lanes, (bit + 1) * value.lanes));
  if (part.type.kind === "int") planes[planes.length - 1] = backend.not(planes[planes.length - 1]);
  const ordered = part.descending ? planes.map((plane) => backend.not(plane)) : planes;
  // The NULL flag sits above the value, not inverted: NULLs come last either way.
  if (part.column.isNull) ordered.push(part.column.isNull);
  return ordered;
}

/** One unsigned key per lane: `validity` (if given) on top so invalid lanes sort last, then parts in order. */
export async function orderKey(backend: Backend, parts: KeyPart[], lanes: number, validity?: WireVector): Promise<BitPlanes> {
  const planes: WireVector[] = [];
  for (const part of [...parts].reverse()) planes.push(...(await orderedPlanes(backend, part)));
  if (validity) planes.push(backend.not(validity));
  if (planes.length === 0) planes.push(backend.constant(new Uint8Array(lanes)));
  return { wires: backend.concat(planes), width: planes.length, lanes };
}
