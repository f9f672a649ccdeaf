/**
 * What a study's joins and GROUP BYs need of each partner's upload of a table, checked and prepared by
 * `catalyst share` in the clear, where the partner can act on it:
 * - unique keys: a join keeps one right row per key, so a duplicate would silently drop rows (a check inside
 *   MPC could only reveal that it failed);
 * - a sort order: rows sorted by a within-site join key let the join merge two sorted runs instead of sorting,
 *   and rows sorted by a group key let the GROUP BY merge instead of sorting.
 */
import { findTable, type Study } from "../share/study.js";
import { fuseAggregates } from "./fuseAggregates.js";
import { groupSources, orderCovers } from "./groupSources.js";
import { eachNode } from "./planWalk.js";
import { bindQuery, SITE_COLUMN, UNKNOWN_TABLE_ROWS, type BoundExpression, type PlanNode } from "./sql/binder.js";
import { keySource } from "./sql/keyUniqueness.js";
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
    eachNode(plan, (join) => {
      if (join.kind !== "join") return;
      const columns = scanColumns(join.right, join.rightKeys, table);
      if (!columns) return;
      const named = columns.filter((name) => name !== SITE_COLUMN);
      if (named.length > 0 && !keys.some((key) => key.query === query.name && sameColumns(key.columns, named))) keys.push({ columns: named, query: query.name });
    });
  }
  return keys;
}

/** A filter clears rows but never repeats one, so a filtered upload is checked unique as the upload. */
function scanColumns(node: PlanNode, keys: BoundExpression[], table: string): string[] | undefined {
  const source = keySource(node, keys, { throughFilters: true });
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
    eachNode(plan, (join) => {
      if (join.kind !== "join") return;
      // Only a join that can merge counts: both sides uploads passed on unchanged, keyed on _site first.
      const sides = [keySource(join.left, join.leftKeys), keySource(join.right, join.rightKeys)];
      if (found || sides.some((side) => !side || side.columns[0] !== SITE_COLUMN || side.columns.length < 2 || side.columns.slice(1).includes(SITE_COLUMN))) return;
      const mine = sides.find((side) => side!.table.toLowerCase() === table.toLowerCase());
      if (mine) found = mine.columns.slice(1);
    });
    if (found) return found;
  }
  return undefined;
}

/**
 * The group key `catalyst share` sorts `table` by when no join merges on it: of the keys of the GROUP BYs
 * that read its rows unchanged (see groupSources), the one that is a sorted run for the most of them (a key
 * that starts with another serves both). Keys with a nullable column are left out.
 */
export function groupKeyOf(study: Study, table: string): string[] | undefined {
  const schema = findTable(study, table);
  const nullable = new Set(schema.columns.filter((column) => column.nullable).map((column) => column.name));
  const keys: string[][] = [];
  for (const query of study.queries) {
    const plan = fuseAggregates(bindQuery(parseQuery(query.sql, `${query.name}.sql`), study, () => UNKNOWN_TABLE_ROWS, `${query.name}.sql`));
    eachNode(plan, (aggregate) => {
      if (aggregate.kind !== "aggregate") return;
      for (const source of groupSources(aggregate) ?? []) {
        if ("scan" in source && source.scan.table.toLowerCase() === table.toLowerCase() && !source.keyColumns.some((name) => name === SITE_COLUMN || nullable.has(name))) keys.push(source.keyColumns);
      }
    });
  }
  let best: { key: string[]; serves: number } | undefined;
  for (const key of keys) {
    const serves = keys.filter((other) => orderCovers(key, other)).length;
    if (!best || serves > best.serves) best = { key, serves };
  }
  return best?.key;
}

/** The order `catalyst share` gives a partner's rows of `table`: a join's merge key first, else a group key. */
export function shareSortKeyOf(study: Study, table: string): string[] | undefined {
  return mergeKeyOf(study, table) ?? groupKeyOf(study, table);
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/**
 * The order `catalyst share` gives each table's uploads: its merge key where a study join has one, else the
 * group key that serves the most GROUP BYs, and for a pushdown partner's partials (unpadded) their group key.
 */
export function studySortOrders(study: Study): Record<string, string[]> {
  const partials = (study.pushdown?.tables ?? []).flatMap((table) => {
    const keys = table.columns.slice(0, table.keyColumns);
    return keys.length > 0 && keys.every((column) => !column.nullable) ? [[table.name, keys.map((column) => column.name)]] : [];
  });
  return Object.fromEntries([...study.tables.flatMap((table) => {
    const key = shareSortKeyOf(study, table.name);
    return key ? [[table.name, key]] : [];
  }), ...partials]);
}
