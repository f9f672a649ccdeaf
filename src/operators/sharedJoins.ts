/**
 * Joins that several queries of one compute session read (the pilot's three rollups each join 2.2 M patients
 * with their diagnoses): the first query computes the join and parks its rows as this party's shares, one bit
 * per wire; each later query takes them up again, one correlated OT per wire instead of the join's sort.
 * Both parties decide this from the same plans, so from the same public sizes.
 */
import type { Backend } from "../circuit/backend.js";
import { parkColumns, unparkColumns, type ParkedColumns } from "./parkedColumns.js";
import { eachNode, planText } from "./planWalk.js";
import type { Relation } from "./relation.js";
import type { PlanNode } from "./sql/binder.js";

/** What one query does with the joins it shares with other queries of its session, each named by its plan text. */
export interface SharedJoins {
  /** Joins this query computes and parks, with how many later queries take each up. */
  park: Map<string, number>;
  /** Joins this query takes up from an earlier query's parked rows instead of computing them. */
  takeUp: Set<string>;
}

/**
 * For plans run in this order, which joins each computes for later ones and which it takes up. Only outermost
 * joins count: a join inside a shared one is computed with it.
 */
export function planSharedJoins(plans: ReadonlyArray<PlanNode | undefined>): SharedJoins[] {
  const joinsOf = plans.map((plan) => {
    const texts = new Set<string>();
    if (plan) eachNode(plan, (node) => (node.kind === "join" ? (texts.add(planText(node)), false) : true));
    return texts;
  });
  return joinsOf.map((texts, index) => {
    const shared: SharedJoins = { park: new Map(), takeUp: new Set() };
    for (const text of texts) {
      if (joinsOf.slice(0, index).some((earlier) => earlier.has(text))) {
        shared.takeUp.add(text);
        continue;
      }
      const readers = joinsOf.slice(index + 1).filter((later) => later.has(text)).length;
      if (readers > 0) shared.park.set(text, readers);
    }
    return shared;
  });
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
  private readonly parked = new Map<string, { rows: ParkedColumns; zeroWhereNull: boolean[]; readersLeft: number }>();

  /** Keeps the relation's shares for `readers` later queries; nothing here holds its wires afterwards. */
  park(backend: Backend, text: string, relation: Relation, readers: number): void {
    // The valid flags go first, as a column of one plane.
    const rows = parkColumns(backend, [{ value: { wires: relation.valid, width: 1, lanes: relation.lanes } }, ...relation.columns], relation.lanes);
    this.parked.set(text, { rows, zeroWhereNull: relation.columns.map((column) => column.zeroWhereNull === true), readersLeft: readers });
  }

  /** The parked rows as wires again (both parties at the same point); the last reader lets the shares go. */
  async takeUp(backend: Backend, text: string): Promise<Relation> {
    const entry = this.parked.get(text);
    if (!entry) throw new UnparkedJoinError("a query takes up a join no earlier query of this session parked");
    if (--entry.readersLeft === 0) this.parked.delete(text);
    const [valid, ...columns] = await unparkColumns(backend, entry.rows);
    return {
      lanes: entry.rows.shares.lanes,
      valid: valid.value.wires,
      columns: columns.map((column, index) => (entry.zeroWhereNull[index] ? { ...column, zeroWhereNull: true } : column)),
    };
  }
}
