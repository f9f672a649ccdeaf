/**
 * Which output columns of each plan node something above it reads. A join carries only those of its sides'
 * columns through its sort and segmented scan: the pilot's join would otherwise carry both sides' patid and
 * `_site` (70 of its 110 planes) that nothing reads after the join's own key.
 */
import { columnsReadBy } from "./planWalk.js";
import type { BoundExpression, PlanNode } from "./sql/binder.js";

export type LiveColumns = Map<PlanNode, boolean[]>;

/**
 * The live columns of every node under `plan`, whose own columns are all read (they are the result). Only a
 * join acts on it, so the rules are simple where nothing would gain: a union, sort or limit reads all its
 * input's columns, and a projection all that any of its expressions reads. `readElsewhere` adds columns that
 * others read of a node (a shared join's other queries), so that what lies under it keeps them too.
 */
export function liveColumns(plan: PlanNode, readElsewhere: ReadonlyMap<PlanNode, readonly boolean[]> = new Map()): LiveColumns {
  const live: LiveColumns = new Map();
  visit(plan, plan.columns.map(() => true), live, readElsewhere);
  return live;
}

function visit(node: PlanNode, own: boolean[], live: LiveColumns, readElsewhere: ReadonlyMap<PlanNode, readonly boolean[]>): void {
  // A node read in two places (never, as the binder builds plans) would need the union of both.
  const others = [live.get(node), readElsewhere.get(node)];
  const merged = own.map((value, index) => value || others.some((columns) => columns?.[index] === true));
  live.set(node, merged);
  const visitInput = (input: PlanNode, columns: boolean[]) => visit(input, columns, live, readElsewhere);
  const all = (input: PlanNode) => input.columns.map(() => true);
  // The input's columns that the expressions read, besides those in `passedOn`.
  const readBy = (input: PlanNode, expressions: ReadonlyArray<BoundExpression | undefined>, passedOn: boolean[] = input.columns.map(() => false)) => {
    const read = [...passedOn];
    for (const expression of expressions) if (expression) for (const column of columnsReadBy(expression)) read[column] = true;
    return read;
  };
  switch (node.kind) {
    case "scan": return;
    case "union": for (const input of node.inputs) visitInput(input, all(input)); return;
    case "sort": case "limit": visitInput(node.input, all(node.input)); return;
    case "filter": visitInput(node.input, readBy(node.input, [node.predicate], merged)); return;
    case "project": visitInput(node.input, readBy(node.input, node.expressions)); return;
    case "aggregate": visitInput(node.input, readBy(node.input, [...node.groupBy, ...node.aggregates.map((aggregate) => aggregate.argument)])); return;
    case "join": {
      const leftWidth = node.left.columns.length;
      visitInput(node.left, readBy(node.left, node.leftKeys, merged.slice(0, leftWidth)));
      visitInput(node.right, readBy(node.right, node.rightKeys, merged.slice(leftWidth)));
      return;
    }
  }
}
