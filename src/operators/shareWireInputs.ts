/**
 * Which input tables go into the circuit as share wires (circuit/shareWires.ts), with no input OT: a table
 * whose every scan only moves, through UNION ALL and projections of columns and integer widenings, into a
 * GROUP BY that shuffle-sorts its rows before any gate reads them. The shuffle takes each party's shares
 * anyway, so making labels of the uploads first would cost an OT per wire for nothing: at pilot scale 4 GB of
 * labels and about 50 s.
 */
import { columnOrWidening, eachNode } from "./planWalk.js";
import type { BoundExpression, PlanNode } from "./sql/binder.js";

type Aggregate = Extract<PlanNode, { kind: "aggregate" }>;
type Scan = Extract<PlanNode, { kind: "scan" }>;

export interface ShareWirePlan {
  /** Tables whose inputs are share wires. */
  tables: Set<string>;
  /** The GROUP BYs that read them: each must sort by shuffling (no other sort can take share wires). */
  aggregates: Set<PlanNode>;
  /**
   * UNION ALLs read straight by such a GROUP BY whose inputs are not all share-wire scans (a join's rows, say):
   * each turns its inputs' labels into this party's shares as it copies them (free and local), so the union's
   * rows, the largest copy before the GROUP BY, hold one byte per wire instead of sixteen. The GROUP BY is among
   * `aggregates`.
   */
  unions: Set<PlanNode>;
}

/**
 * The share-wire tables of `plan`. `shufflesFirst` says whether a GROUP BY would sort by shuffling and take its
 * rows' shares before any gate (its key needs no masking): the compiler knows the sizes and costs.
 */
export function shareWireInputs(plan: PlanNode, shufflesFirst: (aggregate: Aggregate) => boolean): ShareWirePlan {
  const scansOf = new Map<string, number>();
  eachNode(plan, (node) => { if (node.kind === "scan") scansOf.set(node.table, (scansOf.get(node.table) ?? 0) + 1); });
  let candidates: Array<{ aggregate: Aggregate; scans: Scan[] }> = [];
  eachNode(plan, (node) => {
    if (node.kind !== "aggregate" || !readsOnlyColumns(node) || !shufflesFirst(node)) return;
    const scans = movedScans(node.input);
    if (scans) candidates.push({ aggregate: node, scans });
  });
  // A table qualifies when every scan of it is under a candidate; a candidate stays when all its tables qualify,
  // so that no UNION ALL ever joins share wires with labels. Dropping one may disqualify others: repeat.
  for (;;) {
    const reached = new Map<string, number>();
    for (const { scans } of candidates) for (const scan of scans) reached.set(scan.table, (reached.get(scan.table) ?? 0) + 1);
    const tables = new Set([...reached].filter(([table, count]) => count === scansOf.get(table)).map(([table]) => table));
    const kept = candidates.filter(({ scans }) => scans.every((scan) => tables.has(scan.table)));
    if (kept.length === candidates.length) {
      const { aggregates, unions } = withShareWireUnions(plan, new Set(kept.map(({ aggregate }) => aggregate)), shufflesFirst);
      // A converting union's inputs that are scans moved as they are can be share wires from the start: the
      // union turns the others' labels into shares, so nothing mixes the kinds. Each of such a table's scans
      // must be one of them (a table kept whole above is never partly under a converting union).
      const reachedByUnions = new Map<string, number>();
      for (const union of unions) {
        for (const input of (union as Extract<PlanNode, { kind: "union" }>).inputs) for (const scan of movedScans(input) ?? []) reachedByUnions.set(scan.table, (reachedByUnions.get(scan.table) ?? 0) + 1);
      }
      for (const [table, count] of reachedByUnions) if (count === scansOf.get(table)) tables.add(table);
      return { tables, aggregates, unions };
    }
    candidates = kept;
  }
}

/**
 * `aggregates` with the GROUP BYs that read a UNION ALL straight, and those unions. A NULL-able key would need
 * its value bits cleared by a gate before the sort (clearNullValues), so such a GROUP BY keeps labels.
 */
function withShareWireUnions(plan: PlanNode, aggregates: Set<PlanNode>, shufflesFirst: (aggregate: Aggregate) => boolean): Pick<ShareWirePlan, "aggregates" | "unions"> {
  const unions = new Set<PlanNode>();
  eachNode(plan, (node) => {
    if (node.kind !== "aggregate" || node.input.kind !== "union" || aggregates.has(node)) return;
    const keysNeverNull = node.groupBy.every((_, index) => !node.columns[index].nullable);
    if (!keysNeverNull || !readsOnlyColumns(node) || !shufflesFirst(node)) return;
    unions.add(node.input);
    aggregates.add(node);
  });
  return { aggregates, unions };
}

/**
 * Whether a GROUP BY's keys and arguments are its input's columns as they are: no gate before its sort. (A
 * share's NULLs have zero value bits already, so a NULL-able key needs no clearing either: clearNullValues.)
 */
function readsOnlyColumns(aggregate: Aggregate): boolean {
  const plainColumn = (expression: BoundExpression | undefined) => expression === undefined || expression.kind === "column";
  return aggregate.groupBy.length > 0 && aggregate.groupBy.every(plainColumn) && aggregate.aggregates.every((entry) => plainColumn(entry.argument));
}

/** The scans under `node` if it only moves their rows (UNION ALL, projections of columns and integer widenings), else undefined. */
function movedScans(node: PlanNode): Scan[] | undefined {
  switch (node.kind) {
    case "scan": return [node];
    case "union": {
      const scans = node.inputs.map(movedScans);
      return scans.every((found) => found !== undefined) ? scans.flat() as Scan[] : undefined;
    }
    // A column as it is, or an integer widened (its top plane repeated): rewiring, no gate.
    case "project": return node.expressions.every((expression) => columnOrWidening(expression) !== undefined) ? movedScans(node.input) : undefined;
    default: return undefined;
  }
}
