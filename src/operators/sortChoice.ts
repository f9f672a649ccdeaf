/**
 * Which way a relation is sorted or compacted, chosen from public sizes alone so both parties (and the plan)
 * choose alike: a network (bitonic sort, a merge of runs that arrive sorted, order-preserving compaction),
 * where every comparator conditionally swaps whole rows, or a shuffle sort (shuffleSort.ts), which pays a
 * shuffle and then only the comparisons. Costs are in AND gates, traffic counted as 32 bytes an AND.
 */
import type { Backend } from "../circuit/backend.js";
import { runComparatorsAtMost } from "../circuit/bitVector/bitonicSort.js";
import { compact } from "./compaction.js";
import { HandOver } from "./handOver.js";
import { orderKey, orderKeyPlanes, orderKeyWidth, type KeyPart } from "./orderKey.js";
import type { Relation } from "./relation.js";
import { sortRelation } from "./sortRelation.js";
import { recordWidthOf, shuffleCost, shuffleRelation, shuffleSortCost, shuffleSortRelation, type DistinctKeySources } from "./shuffleSort.js";
import type { WireVector } from "../circuit/wireVector.js";

export type SortMethod = "network" | "shuffle";

export interface SortOptions {
  /** Forces the method (tests, benchmarks); by default the cheaper one. */
  method?: SortMethod;
  /** Hears the method used (the plan names it). */
  onMethod?: (method: SortMethod) => void;
  /**
   * A shuffle sort hands back the columns its key does not read as share wires in the sorted order (no OT,
   * one byte per wire), for a caller that takes them up when a gate needs them, or only outputs them. Other
   * methods hand back labels.
   */
  restAsShareWires?: boolean;
}

/** What a sort orders by: read off the rows being sorted, key parts first most significant and optionally validity on top; and which columns that reads. */
export interface SortKey {
  columns: readonly number[];
  of: (rows: Relation) => { parts: KeyPart[]; validity?: WireVector };
  /**
   * Public source labels, given when the key parts are distinct among each source's valid lanes and the
   * validity is the rows' own: a shuffle sort then breaks ties by the source (see DistinctKeySources).
   */
  distinctWithinSource?: DistinctKeySources;
}

type Runs = ReadonlyArray<{ lanes: number; sorted: boolean }>;

/**
 * The cheaper method for sorting `lanes` rows of `recordWidth` planes by `keyWidth` planes, arriving as `runs`
 * (and with the key distinct within the sources of `distinct`, if given).
 */
export function cheaperSort(lanes: number, recordWidth: number, keyWidth: number, runs?: Runs, distinct?: DistinctKeySources): SortMethod {
  if (lanes < 2) return "network";
  const network = runComparatorsAtMost(runs ?? [{ lanes, sorted: false }]) * (keyWidth + recordWidth);
  return shuffleSortCost(lanes, recordWidth, keyWidth, distinct) < network ? "shuffle" : "network";
}

/** The cheaper method for moving the valid rows of `lanes` rows of `recordWidth` planes to the front, in order. */
export function cheaperCompaction(lanes: number, recordWidth: number): SortMethod {
  if (lanes < 2) return "network";
  return shuffleSortCost(lanes, recordWidth, 1) < compactionNetworkCost(lanes, recordWidth) ? "shuffle" : "network";
}

/** Order-preserving compaction by a network: about (n/2)·lg n conditional swaps of whole rows. */
function compactionNetworkCost(lanes: number, recordWidth: number): number {
  return (lanes / 2) * Math.ceil(Math.log2(lanes)) * recordWidth;
}

/**
 * The cheaper way to hide which of `lanes` rows of `recordWidth` planes are dummies where no order is asked
 * for: a shuffle (whose rows are only output, so need no OT after), or compaction.
 */
export function cheaperHiding(lanes: number, recordWidth: number): SortMethod {
  if (lanes < 2) return "network";
  return shuffleCost(lanes, recordWidth, { outputOnly: true }) < compactionNetworkCost(lanes, recordWidth) ? "shuffle" : "network";
}

/**
 * Sorts the rows ascending by `keyOf` (invalid rows last when it gives validity), by the cheaper method unless
 * `method` says which. Takes the rows.
 */
export async function sortRows(backend: Backend, input: HandOver<Relation>, key: SortKey, options: SortOptions & { runs?: Runs } = {}): Promise<Relation> {
  // No local of this (long-running) frame may hold the rows: the sort lets them go as it works.
  const [rows, method] = withMethod(input, (relation) => {
    const { parts, validity } = key.of(relation);
    return options.method ?? cheaperSort(relation.lanes, recordWidthOf(relation), orderKeyWidth(parts, validity), options.runs, key.distinctWithinSource);
  });
  options.onMethod?.(method);
  if (method === "shuffle") {
    const distinct = key.distinctWithinSource && { ...key.distinctWithinSource, valuePlanesOf: (rows: Relation) => orderKeyPlanes(backend, key.of(rows).parts, rows.lanes) };
    const planesOf = (sorted: Relation) => { const { parts, validity } = key.of(sorted); return orderKeyPlanes(backend, parts, sorted.lanes, validity); };
    return shuffleSortRelation(backend, rows, { columns: key.columns, planesOf, distinct }, { restAsShareWires: options.restAsShareWires });
  }
  return sortRelation(backend, rows, (sorted) => { const { parts, validity } = key.of(sorted); return orderKey(backend, parts, sorted.lanes, validity); }, { runs: options.runs });
}

/**
 * Valid rows first, in their order; the caller promises invalid rows are zero already (as the disclosure rules
 * leave them), so a shuffle sort by validity and lane index moves them out of the way. Takes the rows.
 */
export async function compactZeroedRows(backend: Backend, input: HandOver<Relation>, options: SortOptions = {}): Promise<Relation> {
  const [rows, method] = withMethod(input, (relation) => options.method ?? cheaperCompaction(relation.lanes, recordWidthOf(relation)));
  options.onMethod?.(method);
  if (method === "shuffle") return shuffleSortRelation(backend, rows, { columns: [], planesOf: (sorted) => [backend.not(sorted.valid)] }, { restAsShareWires: options.restAsShareWires });
  return compact(backend, rows, { invalidRowsZeroed: true });
}

/**
 * Where no order is asked for (no ORDER BY, no LIMIT), rows whose positions say nothing: shuffled, so that
 * neither where groups ended nor where dummies were can be read off (the caller promises dummies are zero
 * already, so the investigator drops them), or compacted where that costs less. Takes the rows, and returns
 * rows for the result shares only: shuffled rows are this party's shares, which no gate can read.
 */
export async function hideDummyPositions(backend: Backend, input: HandOver<Relation>, options: SortOptions = {}): Promise<Relation> {
  const [rows, method] = withMethod(input, (relation) => options.method ?? cheaperHiding(relation.lanes, recordWidthOf(relation)));
  options.onMethod?.(method);
  if (method === "shuffle") return shuffleRelation(backend, rows, { outputOnly: true });
  return compact(backend, rows, { invalidRowsZeroed: true });
}

/** The rows handed on, and the method chosen by looking at them. */
function withMethod(input: HandOver<Relation>, choose: (relation: Relation) => SortMethod): [HandOver<Relation>, SortMethod] {
  const relation = input.take();
  return [new HandOver(relation), choose(relation)];
}
