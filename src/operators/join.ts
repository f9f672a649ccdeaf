/**
 * Equi-join where the key is unique on the right side (patid within a site): both sides in one relation,
 * tagged, sorted by (key, right rows first), then each right row's columns are copied down its key's
 * segment with a segmented scan. One sort of n+m lanes (a network, or only its merge when both sides arrive
 * sorted by the key; or a shuffle sort where that costs less); the left rows keep their lanes' valid bits.
 */
import type { Backend } from "../circuit/backend.js";
import { planeRange } from "../circuit/bitVector/bitPlanes.js";
import type { WireVector } from "../circuit/wireVector.js";
import { clearNullValues, continuesGroup, orderKeyPlanes, type KeyPart } from "./orderKey.js";
import { concatLanes, widen, type Relation, type RelationColumn } from "./relation.js";
import { copyDown } from "./segmentedScan.js";
import { sortRows, type SortOptions } from "./sortChoice.js";
import { unify, type SqlType } from "./sql/types.js";
import { HandOver, receive, type Given } from "./handOver.js";

export interface JoinKey {
  left: RelationColumn;
  right: RelationColumn;
  leftType: SqlType;
  rightType: SqlType;
}

function zeroColumnLike(backend: Backend, column: RelationColumn, lanes: number): RelationColumn {
  return {
    value: { wires: backend.constant(new Uint8Array(column.value.width * lanes)), width: column.value.width, lanes },
    isNull: column.isNull ? backend.constant(new Uint8Array(lanes)) : undefined,
  };
}

function stack(backend: Backend, top: RelationColumn, bottom: RelationColumn): RelationColumn {
  const isNull = top.isNull || bottom.isNull
    ? backend.concat([top.isNull ?? backend.constant(new Uint8Array(top.value.lanes)), bottom.isNull ?? backend.constant(new Uint8Array(bottom.value.lanes))])
    : undefined;
  return { value: concatLanes(backend, [top.value, bottom.value]), isNull };
}

/**
 * Lanes of the result: n + m (left lanes then right lanes, in sorted order). Left rows are valid where they
 * were (LEFT JOIN) or where a right row matched (INNER JOIN); right columns are NULL where none matched. It
 * takes the sides and the keys (the array is emptied): once the sides are laid one above the other, the rows
 * are sorted in that copy's own storage, and the sides' own columns are gone by then.
 */
export async function joinRelations(backend: Backend, leftGiven: Given<Relation>, rightGiven: Given<Relation>, keys: JoinKey[], type: "inner" | "left", options: SortOptions & { sidesSorted?: boolean } = {}): Promise<Relation> {
  let left: Relation | undefined = receive(leftGiven);
  let right: Relation | undefined = receive(rightGiven);
  const n = left.lanes;
  const m = right.lanes;
  const lanes = n + m;
  const [leftWidth, rightWidth] = [left.columns.length, right.columns.length];
  const keyColumns = keys.splice(0).map((key) => {
    const common = unify(key.leftType, key.rightType)!;
    return { column: stack(backend, { ...key.left, value: widen(backend, key.left.value, key.leftType, common) }, { ...key.right, value: widen(backend, key.right.value, key.rightType, common) }), type: common };
  });
  const isRight = backend.concat([backend.constant(new Uint8Array(n)), backend.constant(new Uint8Array(m).fill(1))]);
  const leftColumns = left.columns.map((column) => stack(backend, column, zeroColumnLike(backend, column, m)));
  const rightColumns = right.columns.map((column) => stack(backend, zeroColumnLike(backend, column, n), column));
  const valid = backend.concat([left.valid, right.valid]);
  left = right = undefined;
  const clearedKeys: RelationColumn[] = [];
  for (const key of keyColumns) clearedKeys.push(await clearNullValues(backend, key.column));
  // A NULL key matches nothing (SQL semantics): such right rows never serve as a match.
  let nullKey = backend.constant(new Uint8Array(lanes));
  for (const key of keyColumns) if (key.column.isNull) nullKey = backend.xor(backend.xor(nullKey, key.column.isNull), await backend.and(nullKey, key.column.isNull));
  // Only the key's types are read from here on: a key with NULLs was cleared into a copy, and this one goes.
  const keyTypes = keyColumns.splice(0).map((key) => key.type);
  // Columns: the left's, the right's, the NULL-key flag, the tag, then the key's.
  const tagColumn = leftWidth + rightWidth + 1;
  // Every vector here was made just now, so the sort may overwrite them in place.
  const combined = new HandOver<Relation>({
    ownsStorage: true,
    lanes,
    valid,
    columns: [...leftColumns, ...rightColumns, { value: { wires: nullKey, width: 1, lanes } }, { value: { wires: isRight, width: 1, lanes } }, ...clearedKeys],
  });
  const keyOf = (rows: Relation): KeyPart[] => keyTypes.map((type, index) => ({ column: rows.columns[tagColumn + 1 + index], type }));
  // Right rows first within a key (the tag descending); invalid lanes last, never next to valid ones. Sides
  // that arrive sorted by the key, every row valid, are two ascending runs: a network need only merge them.
  const sorted = await sortRows(backend, combined, {
    columns: [tagColumn, ...keyTypes.map((_, index) => tagColumn + 1 + index)],
    of: (rows) => ({ parts: [...keyOf(rows), { column: rows.columns[tagColumn], type: { kind: "bool" }, descending: true }], validity: rows.valid }),
  }, { method: options.method, onMethod: options.onMethod, runs: options.sidesSorted ? [{ lanes: n, sorted: true }, { lanes: m, sorted: true }] : undefined });
  const sortedLeft = sorted.columns.slice(0, leftWidth);
  const sortedRight = sorted.columns.slice(leftWidth, leftWidth + rightWidth);
  const sortedIsRight = sorted.columns[tagColumn].value.wires;
  const sortedNullKey = sorted.columns[tagColumn - 1].value.wires;
  // The key with validity on top, without the tag: a segment is one key. Compared plane by plane over shifted
  // views, so that no copy of the key is made (at pilot scale three copies were 4 GB of labels).
  const same = await continuesGroup(backend, orderKeyPlanes(backend, keyOf(sorted), lanes, sorted.valid), lanes);
  const changed = lanes > 0 ? backend.concat([backend.constant([1]), backend.not(same)]) : backend.constant([]);
  const starts = backend.xor(backend.xor(changed, sortedIsRight), await backend.and(changed, sortedIsRight));
  // What each segment's start carries: a right row's columns and a "matched" bit; a left start carries zeros.
  const matchedHere = await backend.and(await backend.and(sortedIsRight, sorted.valid), backend.not(sortedNullKey));
  const carried = await copyColumnsDown(backend, [...sortedRight, { value: { wires: matchedHere, width: 1, lanes } }], starts, lanes);
  const matched = carried[carried.length - 1].value.wires;
  const isLeft = backend.not(sortedIsRight);
  const leftValid = await backend.and(sorted.valid, isLeft);
  const outputValid = type === "inner" ? await backend.and(leftValid, matched) : leftValid;
  const notMatched = backend.not(matched);
  const rightOut: RelationColumn[] = [];
  for (const column of carried.slice(0, rightWidth)) {
    let isNull = column.isNull;
    if (type === "left") isNull = column.isNull ? backend.xor(backend.xor(column.isNull, notMatched), await backend.and(column.isNull, notMatched)) : notMatched;
    rightOut.push({ value: column.value, isNull });
  }
  return { lanes, valid: outputValid, columns: [...sortedLeft, ...rightOut] };
}

/** Copies each segment start's columns to every lane of its segment. */
async function copyColumnsDown(backend: Backend, columns: RelationColumn[], starts: WireVector, lanes: number): Promise<RelationColumn[]> {
  const planes: WireVector[] = [];
  for (const column of columns) { planes.push(column.value.wires); if (column.isNull) planes.push(column.isNull); }
  const width = columns.reduce((sum, column) => sum + column.value.width + (column.isNull ? 1 : 0), 0);
  const copied = await copyDown(backend, { wires: backend.concat(planes), width, lanes }, starts);
  const result: RelationColumn[] = [];
  let offset = 0;
  for (const column of columns) {
    const value = planeRange(backend, copied, offset, offset + column.value.width);
    offset += column.value.width;
    let isNull: WireVector | undefined;
    if (column.isNull) { isNull = planeRange(backend, copied, offset, offset + 1).wires; offset += 1; }
    result.push({ value, isNull });
  }
  return result;
}
