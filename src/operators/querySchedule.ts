/**
 * Which worker pair runs which queries of a session (`catalyst compute --workers N`). Each pair runs its queries
 * in session order; a query that takes up a join parked on another pair waits for the join's shares, not for the
 * query that parks it. Both parties derive the same schedule from the same counted plans, so from public sizes.
 */
import type { PlanCost } from "./compile.js";

/** What the schedule needs of a query's counted plan. */
export type QueryLoad = Pick<PlanCost, "andGates" | "joinsParked" | "joinsTakenUp">;

export interface QuerySchedule {
  /** Each worker pair's queries, as session indices in session order. */
  pairs: number[][];
  /** When the last pair should finish, in ANDs of one pair: the schedule's critical path. */
  spanAndGates: number;
}

/**
 * Greedy list scheduling in session order: each query goes to the pair where it would finish first (the lowest
 * index on a tie), starting once that pair is free and every join it takes up has been parked. A query only
 * waits for earlier ones, so the pairs cannot wait on each other in a cycle.
 */
export function scheduleQueries(loads: readonly QueryLoad[], pairs: number): QuerySchedule {
  if (!Number.isInteger(pairs) || pairs < 1) throw new RangeError(`a session needs at least one worker pair, not ${pairs}`);
  const freeAt = new Array<number>(pairs).fill(0);
  const parkedAt = new Map<string, number>();
  const assigned = Array.from({ length: pairs }, () => [] as number[]);
  for (const [index, load] of loads.entries()) {
    // A join the query parks itself and takes up again later is not in parkedAt yet: it waits for nothing.
    const ready = Math.max(0, ...Object.keys(load.joinsTakenUp).map((text) => parkedAt.get(text) ?? 0));
    let chosen = 0;
    for (let pair = 1; pair < pairs; pair++) {
      if (Math.max(freeAt[pair], ready) < Math.max(freeAt[chosen], ready)) chosen = pair;
    }
    const start = Math.max(freeAt[chosen], ready);
    for (const { text, afterAndGates } of load.joinsParked) parkedAt.set(text, start + afterAndGates);
    freeAt[chosen] = start + load.andGates;
    assigned[chosen].push(index);
  }
  return { pairs: assigned, spanAndGates: Math.max(...freeAt) };
}

/** How many take-ups of each shared join run on each worker pair: what each pair's store keeps a join for. */
export function readersByPair(loads: readonly QueryLoad[], schedule: QuerySchedule): Array<Map<string, number>> {
  return schedule.pairs.map((queries) => {
    const readers = new Map<string, number>();
    for (const index of queries) {
      for (const [text, count] of Object.entries(loads[index].joinsTakenUp)) readers.set(text, (readers.get(text) ?? 0) + count);
    }
    return readers;
  });
}
