/**
 * Joins that several queries of one compute session read (the pilot's three rollups each join 2.2 M patients
 * with their diagnoses): the first query computes the join and parks its rows as this party's shares, one bit
 * per wire; each later query takes them up again, one correlated OT per wire instead of the join's sort.
 * Both parties decide this from the same plans, so from the same public sizes.
 */
import type { Backend } from "../circuit/backend.js";
import { parkColumns, unparkColumns, type ParkedColumns } from "./parkedColumns.js";
import { liveColumns } from "./liveColumns.js";
import { eachNode, planText } from "./planWalk.js";
import { deadColumn, type Relation } from "./relation.js";
import type { PlanNode } from "./sql/binder.js";

/** What one query does with the joins it shares with other queries of its session, each named by its plan text. */
export interface SharedJoins {
  /**
   * Joins this query computes and parks: how many later queries take each up, and which of its columns any
   * of the queries reads (it carries only those: liveColumns.ts).
   */
  park: Map<string, { readers: number; liveColumns: boolean[] }>;
  /** Joins this query takes up from an earlier query's parked rows instead of computing them. */
  takeUp: Set<string>;
}

/**
 * For plans run in this order, which joins each computes for later ones and which it takes up. Only outermost
 * joins count: a join inside a shared one is computed with it.
 */
export function planSharedJoins(plans: ReadonlyArray<PlanNode | undefined>): SharedJoins[] {
  // Each plan's outermost joins by text, with the columns that plan reads of each.
  const joinsOf = plans.map((plan) => {
    const joins = new Map<string, boolean[]>();
    if (!plan) return joins;
    const live = liveColumns(plan);
    eachNode(plan, (node) => {
      if (node.kind !== "join") return true;
      const text = planText(node);
      joins.set(text, orColumns(joins.get(text), live.get(node)!));
      return false;
    });
    return joins;
  });
  return joinsOf.map((joins, index) => {
    const shared: SharedJoins = { park: new Map(), takeUp: new Set() };
    for (const [text, columns] of joins) {
      if (joinsOf.slice(0, index).some((earlier) => earlier.has(text))) {
        shared.takeUp.add(text);
        continue;
      }
      const later = joinsOf.slice(index + 1).filter((laterJoins) => laterJoins.has(text));
      if (later.length > 0) shared.park.set(text, { readers: later.length, liveColumns: later.reduce((union, laterJoins) => orColumns(union, laterJoins.get(text)!), columns) });
    }
    return shared;
  });
}

function orColumns(first: boolean[] | undefined, second: boolean[]): boolean[] {
  return first ? first.map((value, index) => value || second[index]) : second;
}

/** An earlier query of the session did not park the join this query takes up: the two plans disagree. */
export class UnparkedJoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnparkedJoinError";
  }
}

/** The rows of shared joins between the queries of one session, held as this party's shares. */
export class ParkedJoins {
  private readonly parked = new Map<string, { rows: ParkedColumns; live: boolean[]; zeroWhereNull: boolean[]; readersLeft: number }>();

  /**
   * Keeps the relation's shares for `readers` later queries; nothing here holds its wires afterwards. Columns
   * no query reads (no planes: deadColumn) are not parked.
   */
  park(backend: Backend, text: string, relation: Relation, readers: number): void {
    const live = relation.columns.map((column) => column.value.width > 0);
    // The valid flags go first, as a column of one plane.
    const rows = parkColumns(backend, [{ value: { wires: relation.valid, width: 1, lanes: relation.lanes } }, ...relation.columns.filter((_, index) => live[index])], relation.lanes);
    this.parked.set(text, { rows, live, zeroWhereNull: relation.columns.map((column) => column.zeroWhereNull === true), readersLeft: readers });
  }

  /** The parked rows as wires again (both parties at the same point); the last reader lets the shares go. */
  async takeUp(backend: Backend, text: string): Promise<Relation> {
    const entry = this.parked.get(text);
    if (!entry) throw new UnparkedJoinError("a query takes up a join no earlier query of this session parked");
    if (--entry.readersLeft === 0) this.parked.delete(text);
    const [valid, ...parkedColumns] = await unparkColumns(backend, entry.rows);
    const lanes = entry.rows.shares.lanes;
    const columns = entry.live.map((live, index) => {
      const column = live ? parkedColumns.shift()! : deadColumn(backend, lanes);
      return entry.zeroWhereNull[index] ? { ...column, zeroWhereNull: true } : column;
    });
    return { lanes, valid: valid.value.wires, columns };
  }
}
