/**
 * What a study's joins need of each partner's upload of a table, checked and prepared by `catalyst share` in
 * the clear, where the partner can act on it:
 * - unique keys: a join keeps one right row per key, so a duplicate would silently drop rows (a check inside
 *   MPC could only reveal that it failed);
 * - a sort order: rows sorted by a within-site join key let the join merge two sorted runs instead of sorting.
 */
import type { Study } from "../share/study.js";
import { bindQuery, SITE_COLUMN, UNKNOWN_TABLE_ROWS, type BoundExpression, type PlanNode } from "./sql/binder.js";
import { parseQuery } from "./sql/parser.js";

export interface UniqueKey {
  /** The key's columns, in the table's own names (`_site` left out: it is one value per upload). */
  columns: string[];
  /** The study query whose join needs it. */
  query: string;
}

/** Every key of `table` that some query joins on as the right (unique) side, directly on the table's rows. */
export function uniqueKeysOf(study: Study, table: string): UniqueKey[] {
  const keys: UniqueKey[] = [];
  for (const query of study.queries) {
    const plan = bindQuery(parseQuery(query.sql, `${query.name}.sql`), study, () => UNKNOWN_TABLE_ROWS, `${query.name}.sql`);
    visit(plan, (join) => {
      const columns = scanColumns(join.right, join.rightKeys, table);
      if (!columns) return;
      const named = columns.filter((name) => name !== SITE_COLUMN);
      if (named.length > 0 && !keys.some((key) => key.query === query.name && sameColumns(key.columns, named))) keys.push({ columns: named, query: query.name });
    });
  }
  return keys;
}

function visit(node: PlanNode, onJoin: (join: Extract<PlanNode, { kind: "join" }>) => void): void {
  if (node.kind === "join") {
    onJoin(node);
    visit(node.left, onJoin);
    visit(node.right, onJoin);
  } else if (node.kind === "union") {
    node.inputs.forEach((input) => visit(input, onJoin));
  } else if (node.kind !== "scan") {
    visit(node.input, onJoin);
  }
}

/**
 * The table and scanned columns the keys are, when `node` is a table's rows passed on unchanged (projections
 * of columns only); undefined otherwise: after a filter, say, rows may be dropped or invalid before the join.
 */
export function scanSource(node: PlanNode, keys: BoundExpression[]): { table: string; columns: string[] } | undefined {
  let indices: number[] = [];
  for (const key of keys) {
    if (key.kind !== "column") return undefined;
    indices.push(key.index);
  }
  let current = node;
  while (current.kind === "project") {
    const expressions = current.expressions;
    const mapped = indices.map((index) => expressions[index]);
    if (mapped.some((expression) => expression.kind !== "column")) return undefined;
    indices = mapped.map((expression) => (expression as Extract<BoundExpression, { kind: "column" }>).index);
    current = current.input;
  }
  if (current.kind !== "scan") return undefined;
  const scan = current;
  return { table: scan.table, columns: indices.map((index) => scan.columns[index].name) };
}

function scanColumns(node: PlanNode, keys: BoundExpression[], table: string): string[] | undefined {
  const source = scanSource(node, keys);
  return source && source.table.toLowerCase() === table.toLowerCase() ? source.columns : undefined;
}

/**
 * The key `catalyst share` sorts `table` by, so that a join within sites (`_site` and these columns) can
 * merge the sorted runs instead of sorting: the key of the first join in the study's queries that could merge
 * (both sides uploads passed on unchanged, keyed on `_site` and more) and that reads this table.
 */
export function mergeKeyOf(study: Study, table: string): string[] | undefined {
  for (const query of study.queries) {
    const plan = bindQuery(parseQuery(query.sql, `${query.name}.sql`), study, () => UNKNOWN_TABLE_ROWS, `${query.name}.sql`);
    let found: string[] | undefined;
    visit(plan, (join) => {
      // Only a join that can merge counts: both sides uploads passed on unchanged, keyed on _site first.
      const sides = [scanSource(join.left, join.leftKeys), scanSource(join.right, join.rightKeys)];
      if (found || sides.some((side) => !side || side.columns[0] !== SITE_COLUMN || side.columns.length < 2 || side.columns.slice(1).includes(SITE_COLUMN))) return;
      const mine = sides.find((side) => side!.table.toLowerCase() === table.toLowerCase());
      if (mine) found = mine.columns.slice(1);
    });
    if (found) return found;
  }
  return undefined;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/**
 * The order `catalyst share` gives each table's uploads: its merge key, where a study join has one, and for
 * a pushdown partner's partials (unpadded) their group key.
 */
export function studySortOrders(study: Study): Record<string, string[]> {
  const partials = (study.pushdown?.tables ?? []).flatMap((table) => {
    const keys = table.columns.slice(0, table.keyColumns);
    return keys.length > 0 && keys.every((column) => !column.nullable) ? [[table.name, keys.map((column) => column.name)]] : [];
  });
  return Object.fromEntries([...study.tables.flatMap((table) => {
    const key = mergeKeyOf(study, table.name);
    return key ? [[table.name, key]] : [];
  }), ...partials]);
}
