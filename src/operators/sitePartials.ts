/**
 * What a pushdown partner computes at its own site before sharing: a site-local GROUP BY of one query over its
 * own rows, as partial aggregates (one row per local group) sorted by the group key.
 */
import { InputError, UsageError } from "../share/errors.js";
import type { Cell } from "../share/rowCodec.js";
import { findPartner, pushdownOf, uploadedTables, type PushedTable, type Study } from "../share/study.js";
import { aggregateOfPushedTable } from "./pushdown.js";
import type { PlanNode } from "./sql/binder.js";
import { compareValues, evaluateRow, type ClearValue } from "./rowEvaluator.js";
import { planText } from "./planWalk.js";

type Aggregate = Extract<PlanNode, { kind: "aggregate" }>;

/** A row's values as one string, equal exactly when the circuit finds the values equal (NULL never matches in a join). */
function keyOf(values: readonly ClearValue[]): string {
  return JSON.stringify(values.map((value) => (typeof value === "bigint" ? `i${value}` : value === null ? null : `${typeof value}:${value}`)));
}

/**
 * The rows a site-local node yields over one partner's tables (each row ending with `_site`). `joins` keeps
 * each join's rows by its text, so that the partials of several queries over the same join (the pilot's three
 * rollups over 1.3 M patients at its largest site) compute it once; nothing here changes a row once made.
 */
function evaluateRows(node: PlanNode, rowsOf: (table: string) => ClearValue[][], joins: Map<string, ClearValue[][]>): ClearValue[][] {
  switch (node.kind) {
    case "scan": return rowsOf(node.table);
    case "filter": return evaluateRows(node.input, rowsOf, joins).filter((row) => evaluateRow(node.predicate, row) === true);
    case "project": return evaluateRows(node.input, rowsOf, joins).map((row) => node.expressions.map((expression) => evaluateRow(expression, row)));
    case "union": return node.inputs.flatMap((input) => evaluateRows(input, rowsOf, joins));
    case "join": {
      const joinText = planText(node);
      const done = joins.get(joinText);
      if (done) return done;
      const right = new Map<string, ClearValue[]>();
      for (const row of evaluateRows(node.right, rowsOf, joins)) {
        const key = node.rightKeys.map((expression) => evaluateRow(expression, row));
        if (key.includes(null)) continue;
        const text = keyOf(key);
        if (right.has(text)) throw new InputError(`a join key repeats on its right side; it must be unique within each partner's rows`);
        right.set(text, row);
      }
      const missing = new Array<ClearValue>(node.right.columns.length).fill(null);
      const joined: ClearValue[][] = [];
      for (const row of evaluateRows(node.left, rowsOf, joins)) {
        const key = node.leftKeys.map((expression) => evaluateRow(expression, row));
        const match = key.includes(null) ? undefined : right.get(keyOf(key));
        if (match) joined.push([...row, ...match]);
        else if (node.type === "left") joined.push([...row, ...missing]);
      }
      joins.set(joinText, joined);
      return joined;
    }
    default:
      throw new InputError(`a ${node.kind} cannot run at a partner's site`);
  }
}

/** One row per group: its key, then each aggregate's partial (COUNT and SUM as counts and sums, MIN, MAX). */
export function partialAggregates(aggregate: Aggregate, rows: readonly ClearValue[][]): ClearValue[][] {
  const groups = new Map<string, { key: ClearValue[]; partials: ClearValue[] }>();
  for (const row of rows) {
    const key = aggregate.groupBy.map((expression) => evaluateRow(expression, row));
    const text = keyOf(key);
    let group = groups.get(text);
    if (!group) {
      group = { key, partials: aggregate.aggregates.map((inner) => (inner.function === "COUNT" ? 0n : null)) };
      groups.set(text, group);
    }
    aggregate.aggregates.forEach((inner, index) => {
      const value = inner.argument ? evaluateRow(inner.argument, row) : true;
      if (value === null) return;
      const current = group!.partials[index];
      switch (inner.function) {
        case "COUNT": group!.partials[index] = (current as bigint) + 1n; break;
        case "SUM": group!.partials[index] = (current === null ? 0n : (current as bigint)) + (typeof value === "boolean" ? (value ? 1n : 0n) : (value as bigint)); break;
        case "MIN": if (current === null || compareValues(value, current) < 0) group!.partials[index] = value; break;
        case "MAX": if (current === null || compareValues(value, current) > 0) group!.partials[index] = value; break;
        default: throw new InputError(`${inner.function} cannot be computed in parts`);
      }
    });
  }
  // Without GROUP BY there is one row even over no rows (COUNT 0, SUM NULL).
  if (aggregate.groupBy.length === 0 && groups.size === 0) return [aggregate.aggregates.map((inner) => (inner.function === "COUNT" ? 0n : null))];
  const result = [...groups.values()].map((group) => [...group.key, ...group.partials]);
  const keys = aggregate.groupBy.length;
  // Ascending by key in the circuit's order (NULL first), the order the GROUP BY would sort them in.
  return result.sort((a, b) => {
    for (let index = 0; index < keys; index++) {
      const [x, y] = [a[index], b[index]];
      if (x === y) continue;
      if (x === null || y === null) return x === null ? -1 : 1;
      const order = compareValues(x, y);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** Clear values as the cells a share encodes. */
export function toCells(row: readonly ClearValue[]): Cell[] {
  return row.map((value) => (value === null ? { null: true } : value));
}

/** A pushdown partner's partial tables, computed from its own rows (each ending with its `_site`). */
export function partnerPartials(study: Study, partner: string, rowsOf: (table: string) => ClearValue[][]): Array<{ table: PushedTable; rows: ClearValue[][]; sortedBy?: string[] }> {
  if (!pushdownOf(study, partner)) throw new UsageError(`partner ${partner} does not push down in this study; the investigator names pushdown partners with \`catalyst study init --pushdown\``);
  // Bound as at study creation, so that the partials have the columns the study recorded.
  const bound = Math.max(...study.pushdown!.partners.map((entry) => entry.maxRows));
  const uploads = uploadedTables(study, partner);
  // A table the partner does not hold is empty at its site (a LEFT JOIN then finds no match).
  const held = new Set(findPartner(study, partner).tables);
  const ownRows = (table: string) => (held.has(table) ? rowsOf(table) : []);
  const joins = new Map<string, ClearValue[][]>();
  return study.pushdown!.tables.filter((table) => uploads.includes(table.name)).map((table) => {
    // Only the branches of the GROUP BY's input that pushdown partners compute: the rest reach it in MPC.
    const { aggregate, part } = aggregateOfPushedTable(study, table, () => bound);
    const rows = partialAggregates(aggregate, evaluateRows(part, ownRows, joins));
    const keys = table.columns.slice(0, table.keyColumns);
    // Merging sorted runs needs every key present: a NULL key has no place in the circuit's order.
    const sortedBy = keys.length > 0 && keys.every((column) => !column.nullable) ? keys.map((column) => column.name) : undefined;
    return { table, rows, ...(sortedBy ? { sortedBy } : {}) };
  });
}
