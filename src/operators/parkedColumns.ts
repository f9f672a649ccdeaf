/**
 * Columns that a long step does not read, held meanwhile as this party's shares (one bit per wire instead of a
 * 16-byte label) and made wires again afterwards, one correlated OT per wire: a GROUP BY's keys wait this way
 * while its aggregates are scanned, so the labels of the keys and of the scan never stand side by side.
 */
import type { Backend } from "../circuit/backend.js";
import type { BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import type { LaneShares } from "../circuit/laneShares.js";
import type { RelationColumn } from "./relation.js";

export interface ParkedColumns {
  shares: LaneShares;
  /** Each column's value planes, and whether a NULL flag plane follows them. */
  layout: Array<{ width: number; nullable: boolean }>;
}

/** The columns' shares (all over `lanes` lanes); once this returns, nothing here holds their wires. */
export function parkColumns(backend: Backend, columns: readonly RelationColumn[], lanes = columns[0]?.value.lanes ?? 0): ParkedColumns {
  const parts: Array<{ wires: BitPlanes["wires"]; width: number }> = [];
  for (const column of columns) {
    parts.push({ wires: column.value.wires, width: column.value.width });
    if (column.isNull) parts.push({ wires: column.isNull, width: 1 });
  }
  return { shares: backend.sharesOfLanes(parts, lanes), layout: columns.map((column) => ({ width: column.value.width, nullable: column.isNull !== undefined })) };
}

/** The parked columns as wires again, each in storage of its own. Both parties call it at the same point. */
export async function unparkColumns(backend: Backend, parked: ParkedColumns): Promise<RelationColumn[]> {
  const lanes = parked.shares.lanes;
  const columns: RelationColumn[] = [];
  let plane = 0;
  for (const { width, nullable } of parked.layout) {
    const value = { wires: await backend.labelsOfShares(parked.shares, plane, plane + width), width, lanes };
    plane += width;
    const isNull = nullable ? await backend.labelsOfShares(parked.shares, plane, ++plane) : undefined;
    columns.push({ value, isNull });
  }
  return columns;
}
