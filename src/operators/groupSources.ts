/**
 * Where a GROUP BY's lanes come from, in lane order: each table scan reached through column projections and
 * UNION ALL only (its rows valid and unchanged, so an upload sorted by the key is an ascending run), or else
 * a part computed some other way. The compiler merges the runs; `catalyst share` picks the order to sort by.
 */
import { columnBehind } from "./fuseAggregates.js";
import type { PlanNode } from "./sql/binder.js";

type Aggregate = Extract<PlanNode, { kind: "aggregate" }>;
type Scan = Extract<PlanNode, { kind: "scan" }>;

export type GroupSource =
  /** A table's uploads, one run each; `keyColumns` are the group key's columns in it, in key order. */
  | { scan: Scan; keyColumns: string[] }
  /** Lanes computed by other operators: never a sorted run. */
  | { rows: number };

/** The sources of a GROUP BY's input, or undefined when it has no key or a key is computed. */
export function groupSources(aggregate: Aggregate): GroupSource[] | undefined {
  const keyColumns = aggregate.groupBy.map(columnBehind);
  if (keyColumns.length === 0 || keyColumns.some((index) => index === undefined)) return undefined;
  const sourcesOf = (node: PlanNode, columns: number[]): GroupSource[] => {
    switch (node.kind) {
      case "union": return node.inputs.flatMap((input) => sourcesOf(input, columns));
      case "project": {
        const below = columns.map((index) => columnBehind(node.expressions[index]));
        return below.some((index) => index === undefined) ? [{ rows: node.rows }] : sourcesOf(node.input, below as number[]);
      }
      case "scan": return [{ scan: node, keyColumns: columns.map((index) => node.columns[index].name) }];
      default: return [{ rows: node.rows }];
    }
  };
  return sourcesOf(aggregate.input, keyColumns as number[]);
}

/** Whether rows sorted by `order` are sorted by `keyColumns`: the key is a prefix of the order. */
export function orderCovers(order: readonly string[], keyColumns: readonly string[]): boolean {
  return keyColumns.length <= order.length && keyColumns.every((name, index) => order[index] === name);
}
