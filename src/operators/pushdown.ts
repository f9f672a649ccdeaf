/**
 * Pushdown: the GROUP BYs a data partner can compute over its own rows alone, the tables of partial aggregates
 * it uploads for them, and the MPC plan that merges those partials with the other partners' rows.
 *
 * A GROUP BY can be pushed down when its aggregates are COUNT, SUM, MIN or MAX and some UNION ALL branches
 * of its input (or the whole input) read pushdown partners' tables through filters, projections and joins
 * that match `_site` on both sides: each such partner aggregates its rows of those branches, and merging
 * the partials (SUM of COUNTs and SUMs, MIN of MINs, MAX of MAXes) with the rows of the other branches and
 * partners gives exactly the all-in-MPC answer. An aggregate-only site's rollup, read by an outer GROUP BY
 * beside an inner one over row-level tables, is such a branch.
 */
import { InputError } from "../share/errors.js";
import { isIdentifier, type Column, type ColumnType } from "../share/schema.js";
import { findPartner, uploadedTables, type PushedTable, type PushdownPartner, type Query, type Study } from "../share/study.js";
import { rowValue } from "./fuseAggregates.js";
import { eachNode } from "./planWalk.js";
import { bindQuery, SITE_COLUMN, type BoundColumn, type BoundExpression, type PlanNode } from "./sql/binder.js";
import { parseQuery } from "./sql/parser.js";
import { bitsForInteger, fromColumn, type SqlType } from "./sql/types.js";

type Aggregate = Extract<PlanNode, { kind: "aggregate" }>;

/** Aggregates whose per-partner partials merge exactly. */
const MERGEABLE = new Set(["COUNT", "SUM", "MIN", "MAX"]);

/** Merges this pass made from pushed partials, so that `catalyst plan` can say so. */
const partialMerges = new WeakSet<PlanNode>();

export function isPartialMerge(node: PlanNode): boolean {
  return partialMerges.has(node);
}

/** Whether `expression` over `node`'s rows is the `_site` column of a scanned table. */
function isSiteColumn(node: PlanNode, expression: BoundExpression): boolean {
  if (expression.kind !== "column") return false;
  let index = expression.index;
  let current = node;
  for (;;) {
    switch (current.kind) {
      case "scan":
        return current.columns[index].name === SITE_COLUMN && index === current.columns.length - 1;
      case "filter":
        current = current.input;
        break;
      case "project": {
        const below = current.expressions[index];
        if (below.kind !== "column") return false;
        index = below.index;
        current = current.input;
        break;
      }
      case "join":
        if (index < current.left.columns.length) current = current.left;
        else { index -= current.left.columns.length; current = current.right; }
        break;
      case "union":
        return current.inputs.every((input) => isSiteColumn(input, { ...expression, index }));
      default:
        return false;
    }
  }
}

/** Whether every row under `node` is computed from one partner's rows alone. */
function siteLocal(node: PlanNode): boolean {
  switch (node.kind) {
    case "scan": return true;
    case "filter":
    case "project": return siteLocal(node.input);
    case "union": return node.inputs.every(siteLocal);
    case "join":
      return siteLocal(node.left) && siteLocal(node.right)
        && node.leftKeys.some((key, index) => isSiteColumn(node.left, key) && isSiteColumn(node.right, node.rightKeys[index]));
    default: return false;
  }
}

/**
 * `node` with only the UNION ALL branches whose leaves `keep` accepts, seen through projections and filters
 * (a leaf is any other node); the same node when all are kept, undefined when none is.
 */
function branchesWhere(node: PlanNode, keep: (leaf: PlanNode) => boolean): PlanNode | undefined {
  switch (node.kind) {
    case "union": {
      const inputs = node.inputs.map((input) => branchesWhere(input, keep)).filter((input): input is PlanNode => input !== undefined);
      if (inputs.length === 0) return undefined;
      if (inputs.length === node.inputs.length && inputs.every((input, index) => input === node.inputs[index])) return node;
      return { ...node, inputs, rows: inputs.reduce((sum, input) => sum + input.rows, 0) };
    }
    case "filter":
    case "project": {
      const input = branchesWhere(node.input, keep);
      if (!input) return undefined;
      return input === node.input ? node : ({ ...node, input, rows: input.rows } as PlanNode);
    }
    default:
      return keep(node) ? node : undefined;
  }
}

/** A GROUP BY that pushdown partners compute in part: `part` is what their rows reach it through, `rest` the other branches. */
export interface PushedAggregate {
  aggregate: Aggregate;
  part: PlanNode;
  rest?: PlanNode;
}

/**
 * The GROUP BYs that partners holding `tables` push down, in a fixed (pre-)order: each one whose input has
 * site-local branches over those tables. The other branches are searched on for inner ones.
 */
export function pushedAggregates(plan: PlanNode, tables: ReadonlySet<string>): PushedAggregate[] {
  const pushedLeaf = (leaf: PlanNode) => siteLocal(leaf) && [...tablesRead(leaf)].some((table) => tables.has(table));
  const found: PushedAggregate[] = [];
  const visit = (node: PlanNode) => {
    if (node.kind === "aggregate" && node.aggregates.every((aggregate) => MERGEABLE.has(aggregate.function))) {
      const part = branchesWhere(node.input, pushedLeaf);
      if (part) {
        const rest = branchesWhere(node.input, (leaf) => !pushedLeaf(leaf));
        found.push({ aggregate: node, part, ...(rest ? { rest } : {}) });
        if (rest) visit(rest);
        return;
      }
    }
    if (node.kind === "union") node.inputs.forEach(visit);
    else if (node.kind === "join") { visit(node.left); visit(node.right); }
    else if (node.kind !== "scan") visit(node.input);
  };
  visit(plan);
  return found;
}

/** The tables the study's pushdown partners hold. */
function pushdownTables(study: Study, partners: readonly PushdownPartner[]): Set<string> {
  return new Set(partners.flatMap((partner) => findPartner(study, partner.name).tables));
}

/** The tables a plan (or part of one) scans, in the order it runs them, except under nodes `skip` names. */
export function tablesRead(node: PlanNode, skip: (node: PlanNode) => boolean = () => false): Set<string> {
  const found = new Set<string>();
  eachNode(node, (each) => {
    if (skip(each)) return false;
    if (each.kind === "scan") found.add(each.table);
  });
  return found;
}

/** The name of the partial table for the `ordinal`-th (from 1) pushable GROUP BY of a query. */
export function pushedTableName(query: string, ordinal: number, count: number): string {
  return count === 1 ? `${query}_partials` : `${query}_partials${ordinal}`;
}

function columnType(type: SqlType): ColumnType {
  switch (type.kind) {
    case "int": return { kind: "int", bits: type.bits };
    case "bool": return { kind: "bool" };
    case "string": return { kind: "char", length: type.length };
  }
}

/** Where a query reads a partner's table outside every pushed part of a GROUP BY. */
function readsOutsidePushable(pushed: PushedAggregate[], plan: PlanNode, tables: Set<string>): string | undefined {
  const rests = new Map(pushed.map((entry) => [entry.aggregate as PlanNode, entry.rest]));
  const visit = (node: PlanNode): string | undefined => {
    if (rests.has(node)) {
      const rest = rests.get(node);
      return rest ? visit(rest) : undefined;
    }
    if (node.kind === "scan") return tables.has(node.table) ? node.table : undefined;
    if (node.kind === "union") return node.inputs.map(visit).find(Boolean);
    if (node.kind === "join") return visit(node.left) ?? visit(node.right);
    return visit(node.input);
  };
  return visit(plan);
}

/**
 * The partial tables a study's pushdown partners upload, derived from its queries at creation. Refuses a
 * partner whose rows some query needs outside a site-local GROUP BY: that partner must upload its rows.
 */
export function derivePushedTables(study: Study, partners: PushdownPartner[]): PushedTable[] {
  if (partners.length === 0) return [];
  for (const partner of partners) {
    if (!study.partners.some((candidate) => candidate.name === partner.name)) throw new InputError(`pushdown partner ${partner.name} is not a data partner of the study (partners: ${study.partners.map((candidate) => candidate.name).join(", ")})`);
  }
  const held = pushdownTables(study, partners);
  // One partner's worth of rows sizes the partials' integers.
  const bound = Math.max(...partners.map((partner) => partner.maxRows));
  const tables: PushedTable[] = [];
  for (const query of study.queries) {
    const file = `${query.name}.sql`;
    const plan = bindQuery(parseQuery(query.sql, file), study, () => bound, file);
    // The pushdown partners' bounds alone must already fit the widest integer, or compute would fail later.
    bindQuery(parseQuery(query.sql, file), study, rowsWithBounds(study, partners, () => 0), file);
    const pushed = pushedAggregates(plan, held);
    for (const partner of partners) {
      const own = new Set(findPartner(study, partner.name).tables);
      const outside = readsOutsidePushable(pushed, plan, own);
      if (outside) {
        throw new InputError(`partner ${partner.name} cannot push down: query ${query.name} reads ${outside} outside a GROUP BY that ${partner.name} could compute over its own rows (one with only COUNT, SUM, MIN and MAX over tables joined on _site); leave ${partner.name} out of --pushdown`);
      }
    }
    pushed.forEach(({ aggregate, part }, index) => {
      const reads = [...tablesRead(part)];
      const names = new Set<string>();
      const columns: Column[] = aggregate.columns.map((column, position) => {
        let name = isIdentifier(column.name) && column.name !== SITE_COLUMN ? column.name : `column${position + 1}`;
        if (names.has(name.toLowerCase())) name = `column${position + 1}`;
        names.add(name.toLowerCase());
        return { name, type: columnType(column.type), ...(column.nullable ? { nullable: true } : {}), ...(column.type.kind === "string" && column.type.values ? { values: column.type.values } : {}) };
      });
      tables.push({ name: pushedTableName(query.name, index + 1, pushed.length), query: query.name, reads, keyColumns: aggregate.groupBy.length, columns });
    });
  }
  return tables;
}

/** The pushed GROUP BY of `query` that a pushed table holds the partials of, with the part partners compute. */
export function aggregateOfPushedTable(study: Study, table: PushedTable, tableRows: (table: string) => number): PushedAggregate {
  const query = study.queries.find((candidate) => candidate.name === table.query)!;
  const file = `${query.name}.sql`;
  const pushed = pushedAggregates(bindQuery(parseQuery(query.sql, file), study, tableRows, file), pushdownTables(study, study.pushdown?.partners ?? []));
  const found = pushed.find((_, index) => pushedTableName(query.name, index + 1, pushed.length) === table.name);
  if (!found) throw new InputError(`pushed table ${table.name} no longer matches query ${query.name}`);
  return found;
}

/** Rows a table may have, for sizing integers: the uploads' counts plus each pushdown partner's public bound. */
export function widthRows(study: Study, uploadedRows: (table: string) => number): (table: string) => number {
  return rowsWithBounds(study, study.pushdown?.partners ?? [], uploadedRows);
}

function rowsWithBounds(study: Study, partners: PushdownPartner[], uploadedRows: (table: string) => number): (table: string) => number {
  return (table) => uploadedRows(table) + partners.filter((partner) => findPartner(study, partner.name).tables.includes(table)).reduce((sum, partner) => sum + partner.maxRows, 0);
}

/**
 * The MPC plan of a query when some partners push down: each pushable GROUP BY becomes a merge of the pushed
 * partials with the per-row values of the other partners' rows. The plan was bound with `widthRows`, so
 * integers are wide enough for every partner's rows; lanes are then set from the public upload sizes.
 */
export function withPushdown(study: Study, query: Query, plan: PlanNode, lanes: (table: string) => number): PlanNode {
  const tables = (study.pushdown?.tables ?? []).filter((table) => table.query === query.name);
  if (tables.length === 0) return plan;
  const pushed = pushedAggregates(plan, pushdownTables(study, study.pushdown!.partners));
  const replacements = new Map<PlanNode, PlanNode>();
  // Inner GROUP BYs first (they come later in pre-order), so that an outer merge reads the inner merges.
  [...pushed.entries()].reverse().forEach(([index, { aggregate }]) => {
    const table = tables.find((candidate) => candidate.name === pushedTableName(query.name, index + 1, pushed.length));
    if (table) replacements.set(aggregate, mergePartials(study, aggregate, table, lanes, replacements));
  });
  return relane(replaceNodes(plan, replacements), lanes);
}

function mergePartials(study: Study, aggregate: Aggregate, table: PushedTable, lanes: (table: string) => number, inner: Map<PlanNode, PlanNode>): PlanNode {
  const keys = aggregate.groupBy.length;
  const at = aggregate.columns.length > 0 && keys > 0 ? aggregate.groupBy[0].at : { line: 1, column: 1 };
  const column = (index: number, type: SqlType, nullable: boolean): BoundExpression => ({ kind: "column", index, type, nullable, at });
  const scanColumns: BoundColumn[] = [
    ...table.columns.map((column) => ({ name: column.name, type: fromColumn(column), nullable: column.nullable === true, countLike: false })),
    { name: SITE_COLUMN, type: { kind: "int", bits: bitsForInteger(BigInt(study.partners.length)) }, nullable: false, countLike: false },
  ];
  const scan: PlanNode = { kind: "scan", table: table.name, columns: scanColumns, rows: lanes(table.name) };
  // Partials were sized at study creation for one partner's bound: bring them to the merged columns' types.
  // Free (planes move); where the merged type is narrower the values still fit, being counts of fewer rows.
  const widened: PlanNode = {
    kind: "project", input: scan, columns: aggregate.columns, rows: scan.rows,
    expressions: aggregate.columns.map((target, index) => {
      const source = column(index, scanColumns[index].type, scanColumns[index].nullable);
      return JSON.stringify(source.type) === JSON.stringify(target.type) ? source : { kind: "cast", operand: source, type: target.type, nullable: source.nullable, at };
    }),
  };
  const parts: PlanNode[] = [widened];
  // The branches some partner uploads to (rows, or an inner GROUP BY's partials): each row carries its group
  // key and what it adds to each aggregate.
  const uploaded = new Set(study.partners.flatMap((partner) => uploadedTables(study, partner.name)));
  const input = branchesWhere(replaceNodes(aggregate.input, inner), (leaf) => [...tablesRead(leaf)].some((read) => uploaded.has(read)));
  if (input) {
    const expressions = [...aggregate.groupBy];
    aggregate.aggregates.forEach((inner, index) => {
      const value = rowValue(inner, aggregate.columns[keys + index], at);
      if (!value) throw new InputError(`cannot merge ${inner.function} partials of column ${aggregate.columns[keys + index].name} with row values`);
      expressions.push(value);
    });
    parts.push({ kind: "project", input, expressions, columns: aggregate.columns, rows: input.rows });
  }
  const union: PlanNode = { kind: "union", inputs: parts, columns: aggregate.columns, rows: parts.reduce((sum, part) => sum + part.rows, 0) };
  const merged: PlanNode = {
    kind: "aggregate", input: union, columns: aggregate.columns, rows: keys === 0 ? 1 : union.rows,
    groupBy: aggregate.groupBy.map((key, index) => column(index, key.type, aggregate.columns[index].nullable)),
    aggregates: aggregate.aggregates.map((inner, index) => ({
      function: inner.function === "COUNT" ? "SUM" : inner.function,
      argument: column(keys + index, aggregate.columns[keys + index].type, aggregate.columns[keys + index].nullable),
    })),
  };
  partialMerges.add(merged);
  return merged;
}

function replaceNodes(node: PlanNode, replacements: Map<PlanNode, PlanNode>): PlanNode {
  const replaced = replacements.get(node);
  if (replaced) return replaced;
  switch (node.kind) {
    case "scan": return node;
    case "union": return { ...node, inputs: node.inputs.map((input) => replaceNodes(input, replacements)) };
    case "join": return { ...node, left: replaceNodes(node.left, replacements), right: replaceNodes(node.right, replacements) };
    default: return { ...node, input: replaceNodes(node.input, replacements) } as PlanNode;
  }
}

/** The plan with every node's lane count recomputed from the tables' lanes, by the binder's rules. */
function relane(node: PlanNode, lanes: (table: string) => number): PlanNode {
  const wasMerge = partialMerges.has(node);
  let result: PlanNode;
  switch (node.kind) {
    case "scan": return { ...node, rows: lanes(node.table) };
    case "union": {
      const inputs = node.inputs.map((input) => relane(input, lanes));
      result = { ...node, inputs, rows: inputs.reduce((sum, input) => sum + input.rows, 0) };
      break;
    }
    case "join": {
      const left = relane(node.left, lanes);
      const right = relane(node.right, lanes);
      result = { ...node, left, right, rows: left.rows + right.rows };
      break;
    }
    case "aggregate": {
      const input = relane(node.input, lanes);
      result = { ...node, input, rows: node.groupBy.length === 0 ? 1 : input.rows };
      break;
    }
    case "limit": {
      const input = relane(node.input, lanes);
      result = { ...node, input, rows: Math.min(node.count, input.rows) };
      break;
    }
    default: {
      const input = relane(node.input, lanes);
      result = { ...node, input, rows: input.rows } as PlanNode;
    }
  }
  if (wasMerge) partialMerges.add(result);
  return result;
}
