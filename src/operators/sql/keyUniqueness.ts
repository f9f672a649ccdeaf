/**
 * Whether a join's right side is known to be unique on its key. The join keeps one right row per key, so a
 * repeated key would silently drop matches; the compiler accepts only a right side whose uniqueness is
 * proved, either by construction (a GROUP BY on the key) or by `catalyst share`, which checks each partner's
 * upload in the clear. A check inside MPC could only reveal, to someone, that the contract was broken.
 */
import type { BoundExpression, PlanNode } from "./binder.js";

/** `_site`'s name, repeated here because binder.ts imports this file. */
const SITE = "_site";

/**
 * Follows key columns down through projections (a computed key becomes -1) and through the node kinds in
 * `through`, which pass rows on with their columns unchanged, to the first node that is neither.
 */
function traceKeys(node: PlanNode, keys: BoundExpression[], through: ReadonlyArray<PlanNode["kind"]>): { node: PlanNode; indices: number[] } {
  let indices = keys.map((key) => (key.kind === "column" ? key.index : -1));
  let current = node;
  for (;;) {
    if (current.kind === "project") {
      const expressions = current.expressions;
      indices = indices.map((index) => (index >= 0 && expressions[index].kind === "column" ? (expressions[index] as Extract<BoundExpression, { kind: "column" }>).index : -1));
      current = current.input;
    } else if (through.includes(current.kind) && "input" in current) {
      current = current.input;
    } else return { node: current, indices };
  }
}

/**
 * The table and scanned columns that `keys` are when `node` is that table's rows passed on through
 * projections of columns (and, with `throughFilters`, filters, which may clear rows but never repeat them);
 * undefined otherwise.
 */
export function keySource(node: PlanNode, keys: BoundExpression[], options: { throughFilters?: boolean } = {}): { table: string; columns: string[] } | undefined {
  const traced = traceKeys(node, keys, options.throughFilters ? ["filter"] : []);
  const scan = traced.node;
  if (scan.kind !== "scan" || traced.indices.includes(-1)) return undefined;
  return { table: scan.table, columns: traced.indices.map((index) => scan.columns[index].name) };
}

/**
 * Why `node`'s rows may repeat a value of `keys`, or undefined when they cannot: a GROUP BY whose every group
 * column is a key, or an upload (through projections and filters) keyed on more than `_site`, that either
 * includes `_site` or comes from one partner, since `share` checks the rest of the key within each upload.
 */
export function repeatedKeyReason(node: PlanNode, keys: BoundExpression[], holders: (table: string) => number): string | undefined {
  const source = keySource(node, keys, { throughFilters: true });
  if (source) {
    const named = source.columns.filter((name) => name !== SITE);
    if (named.length === 0) return `${source.table} has many rows per partner with the same ${SITE}`;
    if (source.columns.includes(SITE) || holders(source.table) <= 1) return undefined;
    return `catalyst share checks ${named.join(", ")} unique within each partner's ${source.table}, not across the ${holders(source.table)} partners that send it`;
  }
  // Filters, sorts and limits drop or reorder rows but never repeat one.
  const { node: below, indices } = traceKeys(node, keys, ["filter", "sort", "limit"]);
  if (below.kind === "aggregate") {
    const groups = below.groupBy.length;
    const covered = Array.from({ length: groups }, (_, index) => indices.includes(index));
    if (covered.every(Boolean)) return undefined;
    return `its GROUP BY has keys that the join does not (${below.columns.filter((_, index) => index < groups && !covered[index]).map((column) => column.name).join(", ")})`;
  }
  return "only an upload or a GROUP BY is known to be unique on a key";
}
