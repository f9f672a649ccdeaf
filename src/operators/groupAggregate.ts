/**
 * GROUP BY with COUNT, SUM, MIN and MAX: sort by the group key, mark where each group starts, then a
 * work-efficient segmented prefix scan (about 2n combines in 2·lg n vector steps) leaves each group's total on
 * its last lane, which alone stays valid. Without GROUP BY, a tree reduction gives one lane.
 */
import type { DistinctKeySources } from "./shuffleSort.js";
import type { Backend } from "../circuit/backend.js";
import { constantInteger, planeRange, signExtend, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { equal, lessThanSigned, lessThan } from "../circuit/bitVector/compare.js";
import { add } from "../circuit/bitVector/integer.js";
import { select } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import { InputError } from "../share/errors.js";
import type { AggregateFunction } from "./sql/ast.js";
import type { SqlType } from "./sql/types.js";
import { countSet } from "./aggregate.js";
import { clearNullValues, continuesGroup, orderKeyPlanes } from "./orderKey.js";
import { concatLanes, gatherLanes, typeBits, type Relation, type RelationColumn } from "./relation.js";
import { segmentedScanOfParts, type Combine } from "./segmentedScan.js";
import { exclusiveParts } from "./recordParts.js";
import { collectGarbage } from "./garbageCollection.js";
import { parkColumns, unparkColumns, type ParkedColumns } from "./parkedColumns.js";
import { sortRows, type SortOptions } from "./sortChoice.js";
import { HandOver } from "./handOver.js";
import { labelsOfColumn, shareWiresOfColumn } from "./shareWireColumns.js";
import { laneRange } from "./chunks.js";

export interface AggregateInput {
  function: AggregateFunction;
  /** Absent for COUNT(*). */
  argument?: RelationColumn;
  argumentType?: SqlType;
  resultType: SqlType;
  resultNullable: boolean;
}

function combinerOf(aggregate: Pick<AggregateInput, "function" | "resultType">): Combine {
  const signed = aggregate.resultType.kind === "int";
  const less = (backend: Backend, x: BitPlanes, y: BitPlanes) => (signed ? lessThanSigned(backend, x, y) : lessThan(backend, x, y));
  switch (aggregate.function) {
    case "COUNT":
    case "SUM":
      return (backend, earlier, later) => add(backend, earlier, later);
    case "MIN":
      return async (backend, earlier, later) => select(backend, await less(backend, later, earlier), later, earlier);
    case "MAX":
      return async (backend, earlier, later) => select(backend, await less(backend, earlier, later), later, earlier);
    case "AVG":
      throw new InputError("AVG cannot run inside MPC yet; use SUM(x) and COUNT(x) and divide the released values", {}, "unsupported-query");
  }
}

/**
 * Each lane's contribution: the value where it counts, else the aggregate's neutral element. With
 * `invalidGroupedApart`, invalid lanes never share a group with valid ones (validity is part of the group key)
 * and their groups' totals are never released, so only NULL decides what counts, and an argument that cannot
 * be NULL (or a SUM's argument that is zero where NULL) is taken as it is: no mask.
 */
async function contributions(backend: Backend, aggregate: AggregateInput, valid: WireVector, lanes: number, invalidGroupedApart = false): Promise<{ value: BitPlanes; present: WireVector }> {
  const width = typeBits(aggregate.resultType);
  const isNull = aggregate.argument?.isNull;
  const present = !isNull ? valid : invalidGroupedApart ? backend.not(isNull) : await backend.and(valid, backend.not(isNull));
  if (aggregate.function === "COUNT") return { value: zeroExtend(backend, { wires: present, width: 1, lanes }, width), present };
  const argument = aggregate.argument!;
  const extend = (value: BitPlanes) => (aggregate.argumentType!.kind === "int" ? signExtend(backend, value, width) : zeroExtend(backend, value, width));
  if (invalidGroupedApart && (!isNull || (aggregate.function === "SUM" && argument.zeroWhereNull))) {
    return { value: extend(argument.value.width > width ? planeRange(backend, argument.value, 0, width) : argument.value), present };
  }
  // A SUM's neutral element is 0: mask at the argument's width, then widen (no constant lanes, fewer ANDs).
  if (aggregate.function === "SUM") {
    // Every value fits the result's width (it holds their sum), so a wider argument (a cast BOOL) is cut to it.
    const value = argument.value.width > width ? planeRange(backend, argument.value, 0, width) : argument.value;
    return { value: extend({ ...value, wires: await backend.andBroadcast(value.wires, present) }), present };
  }
  const widened = extend(argument.value);
  let neutral: bigint;
  if (aggregate.resultType.kind === "int") neutral = aggregate.function === "MIN" ? (1n << BigInt(width - 1)) - 1n : -(1n << BigInt(width - 1));
  else neutral = aggregate.function === "MIN" ? (1n << BigInt(width)) - 1n : 0n;
  return { value: await select(backend, present, widened, constantInteger(backend, neutral, width, lanes)), present };
}

/** Lanes [start, end) of a value, as a narrower vector of lanes. */
function lanesOf(backend: Backend, value: BitPlanes, start: number, end: number): BitPlanes {
  return gatherLanes(backend, value, laneRange(start, end));
}

/** Tree reduction of all lanes into one (for aggregates without GROUP BY). */
async function reduceLanes(backend: Backend, value: BitPlanes, combine: Combine, neutral: bigint): Promise<BitPlanes> {
  let current = value;
  while (current.lanes > 1) {
    const half = Math.ceil(current.lanes / 2);
    let right = lanesOf(backend, current, half, current.lanes);
    if (right.lanes < half) right = concatLanes(backend, [right, constantInteger(backend, neutral, current.width, half - right.lanes)]);
    current = await combine(backend, lanesOf(backend, current, 0, half), right);
  }
  return current;
}

export interface GroupKey {
  column: RelationColumn;
  type: SqlType;
}

/** What a GROUP BY reads: the rows, the key columns and the aggregates' inputs (all over the rows' lanes). */
export interface GroupInput {
  relation: Relation;
  keys: GroupKey[];
  aggregates: AggregateInput[];
}

type GroupRuns = ReadonlyArray<{ lanes: number; sorted: boolean }>;

/** How a GROUP BY sorts: its input's runs (some sorted already), and the sort's options. */
export type GroupOptions = SortOptions & {
  runs?: GroupRuns;
  /** Public source labels, given when the group key is distinct among each source's valid lanes (see SortKey). */
  keyDistinctWithinSource?: DistinctKeySources;
  /** Key wires (lanes × key planes) from which the keys wait as shares through the scan (tests force it with 0). */
  parkKeyWiresAtLeast?: number;
  /**
   * The result's keys and totals as share wires, for a GROUP BY whose result only moves into the output
   * (compile.ts). The sort (a shuffle sort) then hands back the arguments as share wires too, and each
   * aggregate is taken up (one OT per wire), scanned and let go on its own, so that only one aggregate's
   * labels stand at a time, not the whole sorted record's.
   */
  totalsAsShareWires?: boolean;
};

/**
 * Keys of at least this many wires (64 MB of labels) wait as shares while the aggregates are scanned: 16 bytes
 * of OT per wire to make them again, against holding their labels beside the scan's. Parking needs the link
 * between the parties, which only runs of this size have (small test runs garble in one process).
 */
const PARK_KEY_WIRES_AT_LEAST = 1 << 22;

/** GROUP BY keys (possibly none) and aggregates over `relation`: the group columns, then one column per aggregate. */
export async function groupAggregate(backend: Backend, relation: Relation, keys: GroupKey[], aggregates: AggregateInput[], options: GroupOptions = {}): Promise<Relation> {
  return groupAggregateOf(backend, async () => ({ relation, keys, aggregates }), options);
}

/**
 * `groupAggregate` over an input that `take` makes when asked. No caller then holds the rows: the GROUP BY
 * lets go of them once sorted, and of the sorted rows once their contributions are made, so that it holds
 * about one whole copy of the rows at a time. Each phase is a function of its own, whose locals go when it returns.
 */
export async function groupAggregateOf(backend: Backend, take: () => Promise<GroupInput>, options: GroupOptions = {}): Promise<Relation> {
  const asShareWires = options.totalsAsShareWires === true;
  // Chained calls: no local here holds the unsorted or the sorted rows.
  const prepared = await groupBoundaries(backend, await sortForGroups(backend, await take(), options), options.parkKeyWiresAtLeast ?? PARK_KEY_WIRES_AT_LEAST, asShareWires);
  if (prepared.kind === "done") return prepared.result;
  const { lanes, valid, keys, starts, pending } = prepared;
  // One scan for every aggregate: the values side by side, each combined by its own rule, so the segment
  // flags are handled once. As share wires, one scan per aggregate instead: its labels are the only ones.
  const batches = asShareWires ? pending.splice(0).map((entry) => [entry]) : [pending.splice(0)];
  const totals: RelationColumn[] = [];
  for (const [index, batch] of batches.entries()) {
    // The scan overwrites its record: every scan but the last works on a copy of the group starts.
    const ownStarts = index === batches.length - 1 ? starts : backend.concat([starts]);
    for (const column of await scanAggregates(backend, batch.splice(0), ownStarts, valid, lanes, asShareWires)) totals.push(asShareWires ? shareWiresOfColumn(backend, column) : column);
  }
  const columns = "parked" in keys ? await unparkColumns(backend, keys.parked) : [...keys.columns];
  columns.push(...totals);
  return { lanes, valid: await backend.and(valid, prepared.last), columns, ownsStorage: true };
}

/** An aggregate without its argument's wires (the sort moves them), but with what the sort does not change. */
type AggregateShape = Omit<AggregateInput, "argument"> & { hasArgument: boolean; argumentZeroWhereNull?: boolean };

type SortedGroups = { kind: "sorted"; sorted: Relation; keyTypes: SqlType[]; aggregates: AggregateShape[] };

/** One value the scan carries: an aggregate's contributions, or whether any of them is present. */
type ScanPart = { width: number; combine: Combine };

/** An aggregate waiting for its scan, with its argument column in sorted order (absent for COUNT(*)). */
type PendingAggregate = { aggregate: AggregateShape; argument?: RelationColumn };

/**
 * Where each group starts and ends, each aggregate with its sorted argument, and the key columns. The sorted
 * rows are stored column by column (recordParts.ts), so each argument can go on its own once its contribution
 * is made: the rows are never whole twice.
 */
async function groupBoundaries(backend: Backend, sorting: { kind: "done"; result: Relation } | SortedGroups, parkKeyWiresAtLeast: number, keysAsShareWires: boolean) {
  if (sorting.kind === "done") return sorting;
  const { keyTypes, aggregates } = sorting;
  let sorted: Relation | undefined = sorting.sorted;
  sorting = undefined as never;
  const lanes = sorted.lanes;
  const valid = sorted.valid;
  const keyColumns = sorted.columns.slice(0, keyTypes.length);
  const argumentColumns = sorted.columns.slice(keyTypes.length).values();
  sorted = undefined;
  const same = await continuesGroup(backend, orderKeyPlanes(backend, keyTypes.map((type, index) => ({ column: keyColumns[index], type })), lanes, valid), lanes);
  // The keys are read again only as the result's columns: past this point they may wait as shares.
  const keyWires = lanes * keyColumns.reduce((sum, column) => sum + column.value.width + (column.isNull ? 1 : 0), 0);
  let keys: { parked: ParkedColumns } | { columns: RelationColumn[] };
  if (keysAsShareWires) keys = { columns: keyColumns.splice(0).map((column) => shareWiresOfColumn(backend, column)) };
  else keys = keyColumns.length > 0 && keyWires >= parkKeyWiresAtLeast ? { parked: parkColumns(backend, keyColumns.splice(0)) } : { columns: keyColumns };
  if ("parked" in keys || keysAsShareWires) collectGarbage(keyWires);
  const pending: PendingAggregate[] = aggregates.map((aggregate) => ({ aggregate, argument: aggregate.hasArgument ? { ...argumentColumns.next().value!, zeroWhereNull: aggregate.argumentZeroWhereNull } : undefined }));
  return {
    kind: "prepared" as const, lanes, valid, keys, pending,
    starts: backend.concat([backend.constant([1]), backend.not(same)]),
    last: backend.concat([backend.not(same), backend.constant([1])]),
  };
}

/**
 * The aggregates' totals in one segmented scan: each lane's contributions side by side after the group starts
 * (which the scan overwrites), each combined by its own rule. A nullable SUM, MIN or MAX also scans `present`
 * with OR to find all-NULL groups. Takes the aggregates' arguments (share wires are taken up first), and lets
 * each go once its contribution is made.
 */
async function scanAggregates(backend: Backend, pending: PendingAggregate[], starts: WireVector, valid: WireVector, lanes: number, argumentsAsShareWires: boolean): Promise<RelationColumn[]> {
  const layout: ScanPart[] = [];
  const record: BitPlanes[] = [{ wires: starts, width: 1, lanes }];
  const partOf: Array<{ total: number; present?: number }> = [];
  for (const [index, entry] of pending.entries()) {
    let argument = entry.argument;
    pending[index] = { aggregate: entry.aggregate };
    if (argument && argumentsAsShareWires) argument = await labelsOfColumn(backend, argument);
    // The group boundaries (`same`) read validity with the key, so invalid lanes are grouped apart.
    const { value, present } = await contributions(backend, { ...entry.aggregate, argument }, valid, lanes, true);
    argument = undefined;
    record.push(value);
    const part: { total: number; present?: number } = { total: layout.push({ width: typeBits(entry.aggregate.resultType), combine: combinerOf(entry.aggregate) }) - 1 };
    if (entry.aggregate.resultNullable && entry.aggregate.function !== "COUNT") {
      record.push({ wires: present, width: 1, lanes });
      part.present = layout.push({ width: 1, combine: async (b, x, y) => ({ ...x, wires: b.xor(b.xor(x.wires, y.wires), await b.and(x.wires, y.wires)) }) }) - 1;
    }
    partOf.push(part);
  }
  // The scan overwrites its record: a part that is a view, or shares storage with another (`present` may be
  // the valid bits themselves), is copied first.
  const totals = await scanParts(backend, exclusiveParts(backend, record, true), layout);
  return partOf.map((entry) => ({ value: totals[entry.total], isNull: entry.present === undefined ? undefined : backend.not(totals[entry.present].wires) }));
}

/**
 * The GROUP BY's sort: the key columns and the aggregate inputs packed and sorted together by the key. A
 * function of its own so that the unsorted rows go when it returns. Without keys, or lanes, the result is
 * made here.
 */
async function sortForGroups(backend: Backend, input: GroupInput, options: GroupOptions): Promise<{ kind: "done"; result: Relation } | SortedGroups> {
  const prepared = await rowsToSort(backend, input);
  // Only the hand-over holds the unsorted rows now, and the sort takes them: they go once packed.
  input = undefined as never;
  if (prepared.kind === "done") return { kind: "done", result: prepared.result };
  const { keyTypes, shapes } = prepared;
  // Runs that arrive sorted by the key (a pushdown partner's partials) may be merged rather than sorted.
  const key = {
    columns: keyTypes.map((_, index) => index),
    of: (rows: Relation) => ({ parts: keyTypes.map((type, index) => ({ column: rows.columns[index], type })), validity: rows.valid }),
    distinctWithinSource: options.keyDistinctWithinSource,
  };
  const sorted = await sortRows(backend, prepared.carried, key, { ...options, restAsShareWires: options.totalsAsShareWires });
  return { kind: "sorted", sorted, keyTypes, aggregates: shapes };
}

/** The key columns (NULLs' values cleared) and the aggregate inputs as one relation to sort, handed over. */
async function rowsToSort(backend: Backend, input: GroupInput) {
  const { relation, keys, aggregates } = input;
  if (keys.length === 0) return { kind: "done" as const, result: await globalAggregate(backend, relation, aggregates) };
  const lanes = relation.lanes;
  if (lanes === 0) {
    const empty = (width: number) => ({ value: { wires: backend.constant([]), width, lanes: 0 } });
    return { kind: "done" as const, result: { lanes: 0, valid: backend.constant([]), columns: [...keys.map((entry) => empty(entry.column.value.width)), ...aggregates.map((entry) => empty(typeBits(entry.resultType)))] } };
  }
  const keyTypes = keys.map((entry) => entry.type);
  const shapes: AggregateShape[] = aggregates.map(({ argument, ...rest }) => ({ ...rest, hasArgument: argument !== undefined, argumentZeroWhereNull: argument?.zeroWhereNull }));
  const keyColumns: RelationColumn[] = [];
  for (const entry of keys) keyColumns.push(await clearNullValues(backend, entry.column));
  const carried = new HandOver<Relation>({
    // Keys and arguments are the rows' own vectors, or new ones: the sort may work in them if the rows owned theirs.
    ownsStorage: relation.ownsStorage,
    lanes,
    valid: relation.valid,
    columns: [...keyColumns, ...aggregates.filter((entry) => entry.argument).map((entry) => entry.argument!)],
  });
  return { kind: "carried" as const, carried, keyTypes, shapes };
}

/**
 * Segmented scan of several values side by side in `record` (after its starts part, one part per value),
 * each combined by its own rule, in place: the record is the scan's. Returns the scanned parts.
 */
async function scanParts(backend: Backend, record: BitPlanes[], layout: ScanPart[]): Promise<BitPlanes[]> {
  if (layout.length === 0) return [];
  const offsets: number[] = [];
  let width = 0;
  for (const part of layout) { offsets.push(width); width += part.width; }
  const split = (value: BitPlanes) => layout.map((part, index) => planeRange(backend, value, offsets[index], offsets[index] + part.width));
  const combine: Combine = async (inner, earlier, later) => {
    const earlierParts = split(earlier);
    const laterParts = split(later);
    const combined: WireVector[] = [];
    for (let index = 0; index < layout.length; index++) combined.push((await layout[index].combine(inner, earlierParts[index], laterParts[index])).wires);
    return { wires: inner.concat(combined), width, lanes: later.lanes };
  };
  return segmentedScanOfParts(backend, record, combine);
}

async function globalAggregate(backend: Backend, relation: Relation, aggregates: AggregateInput[]): Promise<Relation> {
  const columns: RelationColumn[] = [];
  for (const aggregate of aggregates) {
    const width = typeBits(aggregate.resultType);
    const { value, present } = await contributions(backend, aggregate, relation.valid, relation.lanes);
    let total: BitPlanes;
    if (aggregate.function === "COUNT") total = zeroExtend(backend, await countSet(backend, present), width);
    else {
      const neutral = aggregate.function === "SUM" ? 0n : (await neutralOf(aggregate, width));
      total = await reduceLanes(backend, value, combinerOf(aggregate), neutral);
    }
    let isNull: WireVector | undefined;
    if (aggregate.function !== "COUNT") {
      // SUM, MIN and MAX of no value at all are NULL.
      const count = await countSet(backend, present);
      isNull = await equal(backend, count, constantInteger(backend, 0n, count.width, 1));
    }
    columns.push({ value: relation.lanes === 0 ? constantInteger(backend, 0n, width, 1) : total, isNull });
  }
  return { lanes: 1, valid: backend.constant([1]), columns };
}

async function neutralOf(aggregate: AggregateInput, width: number): Promise<bigint> {
  if (aggregate.resultType.kind === "int") return aggregate.function === "MIN" ? (1n << BigInt(width - 1)) - 1n : -(1n << BigInt(width - 1));
  return aggregate.function === "MIN" ? (1n << BigInt(width)) - 1n : 0n;
}
