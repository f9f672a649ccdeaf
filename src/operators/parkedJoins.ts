/** The rows of joins shared between the queries of one compute session (sharedJoins.ts), held as this party's shares. */
import type { Backend } from "../circuit/backend.js";
import { parkColumns, unparkColumns, type ParkedColumns } from "./parkedColumns.js";
import { deadColumn, type Relation } from "./relation.js";

/** A join is taken up that nothing parked, or a query that shares joins ran without a store: a bug, the plans disagree. */
export class UnparkedJoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnparkedJoinError";
  }
}

/** One store per party per session; the counting backend's cost runs keep one of their own. */
export class ParkedJoins {
  private readonly parked = new Map<string, { rows: ParkedColumns; live: boolean[]; zeroWhereNull: boolean[]; readersLeft: number }>();

  /**
   * Keeps the relation's shares for `readers` later occurrences; nothing here holds its wires afterwards. Only
   * the `live` columns are parked (the others are dead columns, read by none of the readers).
   */
  park(backend: Backend, text: string, relation: Relation, readers: number, live: readonly boolean[]): void {
    // The valid flags go first, as a column of one plane.
    const rows = parkColumns(backend, [{ value: { wires: relation.valid, width: 1, lanes: relation.lanes } }, ...relation.columns.filter((_, index) => live[index])], relation.lanes);
    this.parked.set(text, { rows, live: [...live], zeroWhereNull: relation.columns.map((column) => column.zeroWhereNull === true), readersLeft: readers });
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
