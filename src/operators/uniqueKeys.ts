/**
 * Which columns of a table a study's joins need unique within each partner's upload. A join keeps one right
 * row per key, so a duplicate key would silently drop rows; `catalyst share` checks these columns in the
 * clear, where the partner can fix the export, since a check inside MPC could only reveal that it failed.
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
 * The scanned columns the keys are, when the right side is `table`'s rows passed on unchanged (projections
 * of columns only); undefined otherwise: after a filter, say, duplicates might be dropped before the join.
 */
function scanColumns(node: PlanNode, keys: BoundExpression[], table: string): string[] | undefined {
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
  if (current.kind !== "scan" || current.table.toLowerCase() !== table.toLowerCase()) return undefined;
  const scan = current;
  return indices.map((index) => scan.columns[index].name);
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}
