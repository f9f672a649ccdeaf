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

/** One parked join: plain data (shares and flags), so it can be posted to another worker thread. */
export interface ParkedJoin {
  rows: ParkedColumns;
  live: boolean[];
  zeroWhereNull: boolean[];
}

/**
 * How a store shares joins with the stores of the session's other worker pairs (querySchedule.ts): each pair
 * keeps a join for its own readers only, and a join parked by another pair arrives as its shares.
 */
export interface ParkedJoinSharing {
  /** How many of the join's take-ups run on this worker (the plan's count is the whole session's). */
  readersHere(text: string): number;
  /** Hands a join parked here to the workers whose queries take it up. */
  publish(text: string, join: ParkedJoin): void;
  /** A join another worker parks, once it has arrived. */
  arrival(text: string): Promise<ParkedJoin>;
}

/** One store per party per session (per worker pair with --workers); the counting backend's cost runs keep one of their own. */
export class ParkedJoins {
  private readonly parked = new Map<string, ParkedJoin & { readersLeft: number }>();

  constructor(private readonly sharing?: ParkedJoinSharing) {}

  /**
   * Keeps the relation's shares for `readers` later occurrences; nothing here holds its wires afterwards. Only
   * the `live` columns are parked (the others are dead columns, read by none of the readers).
   */
  park(backend: Backend, text: string, relation: Relation, readers: number, live: readonly boolean[]): void {
    // The valid flags go first, as a column of one plane.
    const rows = parkColumns(backend, [{ value: { wires: relation.valid, width: 1, lanes: relation.lanes } }, ...relation.columns.filter((_, index) => live[index])], relation.lanes);
    const join: ParkedJoin = { rows, live: [...live], zeroWhereNull: relation.columns.map((column) => column.zeroWhereNull === true) };
    this.sharing?.publish(text, join);
    const readersLeft = this.sharing ? this.sharing.readersHere(text) : readers;
    if (readersLeft > 0) this.parked.set(text, { ...join, readersLeft });
  }

  /** The parked rows as wires again (both parties at the same point); the last reader lets the shares go. */
  async takeUp(backend: Backend, text: string): Promise<Relation> {
    // A join from another pair has arrived by now (awaitArrivals): waiting here, in mid-protocol, could hang both parties.
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

  /**
   * Waits for joins that other worker pairs park. A query calls it before it starts, so that neither party's
   * pair waits for a join in mid-protocol while its peer's pair waits on the channel.
   */
  async awaitArrivals(texts: Iterable<string>): Promise<void> {
    if (!this.sharing) throw new UnparkedJoinError("joins from other worker pairs were awaited by a store that shares none");
    for (const text of texts) {
      if (!this.parked.has(text)) this.parked.set(text, { ...(await this.sharing.arrival(text)), readersLeft: this.sharing.readersHere(text) });
    }
  }
}
