/**
 * Joins that several queries of one compute session read (the pilot's three rollups each join 2.2 M patients
 * with their diagnoses): the first occurrence computes the join and parks its rows as this party's shares (see
 * parkedJoins.ts); every other takes them up again, one correlated OT per wire instead of the join's sort.
 * Both parties decide this from the same plans, so from the same public sizes.
 */
import { liveColumns } from "./liveColumns.js";
import { eachNode, planText } from "./planWalk.js";
import type { PlanNode } from "./sql/binder.js";

/**
 * What one query does with the joins it shares, each named by its plan text. Only outermost joins are shared
 * (a join inside a shared one is computed with it), and each occurrence counts: a query may read a join twice.
 */
export interface SharedJoins {
  /**
   * Joins whose first occurrence in the session is in this query, which computes it there and parks it: how many
   * occurrences (later in this query, or in later queries) take it up, and which of its columns any of them
   * reads (the join carries only those: liveColumns.ts).
   */
  park: Map<string, { readers: number; liveColumns: boolean[] }>;
  /** Joins an earlier query parked: every occurrence here takes them up instead of computing them. */
  takeUp: Set<string>;
}

/** What each outermost join of a plan does, by node: park (the first occurrence of a parked text) or take up. */
export type JoinRoles = Map<PlanNode, { role: "park"; text: string; readers: number; liveColumns: boolean[] } | { role: "takeUp"; text: string }>;

/** For plans run in this order, which joins each computes for the others and which it takes up. */
export function planSharedJoins(plans: ReadonlyArray<PlanNode | undefined>): SharedJoins[] {
  const joinsOf = plans.map((plan) => {
    const joins = new Map<string, { occurrences: number; liveColumns: boolean[] }>();
    if (!plan) return joins;
    const live = liveColumns(plan);
    eachOutermostJoin(plan, (join, text) => {
      const seen = joins.get(text);
      joins.set(text, { occurrences: (seen?.occurrences ?? 0) + 1, liveColumns: orColumns(seen?.liveColumns, live.get(join)!) });
    });
    return joins;
  });
  return joinsOf.map((joins, index) => {
    const shared: SharedJoins = { park: new Map(), takeUp: new Set() };
    for (const [text, here] of joins) {
      if (joinsOf.slice(0, index).some((earlier) => earlier.has(text))) {
        shared.takeUp.add(text);
        continue;
      }
      const later = joinsOf.slice(index + 1).flatMap((laterJoins) => laterJoins.get(text) ?? []);
      const readers = here.occurrences - 1 + later.reduce((sum, occurrence) => sum + occurrence.occurrences, 0);
      if (readers > 0) shared.park.set(text, { readers, liveColumns: later.reduce((union, occurrence) => orColumns(union, occurrence.liveColumns), here.liveColumns) });
    }
    return shared;
  });
}

/** Each outermost join of one plan and its role, in the order the plan runs them. */
export function joinRoles(plan: PlanNode, shared: SharedJoins | undefined): JoinRoles {
  const roles: JoinRoles = new Map();
  if (!shared) return roles;
  const parkedHere = new Set<string>();
  eachOutermostJoin(plan, (join, text) => {
    const parking = shared.park.get(text);
    if (parking && !parkedHere.has(text)) {
      parkedHere.add(text);
      roles.set(join, { role: "park", text, ...parking });
    } else if (parking || shared.takeUp.has(text)) {
      roles.set(join, { role: "takeUp", text });
    }
  });
  return roles;
}

/** Outermost joins in the order the compiler runs them (inputs left to right), with their texts. */
function eachOutermostJoin(plan: PlanNode, onJoin: (join: PlanNode, text: string) => void): void {
  eachNode(plan, (node) => {
    if (node.kind !== "join") return true;
    onJoin(node, planText(node));
    return false;
  });
}

function orColumns(first: boolean[] | undefined, second: boolean[]): boolean[] {
  return first ? first.map((value, index) => value || second[index]) : second;
}
