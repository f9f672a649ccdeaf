/**
 * Name resolution and type checking: turns a parsed query into a typed logical plan over the study's tables,
 * with every error pointing at the token that caused it. Integer widths are derived from the public row
 * counts and declared bounds, so that no COUNT or SUM can overflow.
 */
import { InputError } from "../../share/errors.js";
import { describeValues } from "../../share/schema.js";
import type { Study } from "../../share/study.js";
import type { AggregateFunction, Expression, Position, Query, Select, SelectItem, Source } from "./ast.js";
import { bitsFor, boundOf, groupSumBound, repeatedBound, scanned, unionBound, type NonNegativeBound } from "./bounds.js";
import { repeatedKeyReason } from "./keyUniqueness.js";
import { bitsForInteger, describeType, fromColumn, fromColumnType, MAX_INT_BITS, unify, type SqlType } from "./types.js";

export interface BoundColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
  /** A COUNT or SUM result: the minimum cell count applies to it when it is output. */
  countLike: boolean;
  /** A COUNT(*) result: the size of its group. When it is under the threshold the whole row is a dummy. */
  groupSize?: boolean;
  /** A count the query released WITHOUT SUPPRESSION: output as it is, and its row is never dropped. */
  unsuppressed?: boolean;
  /** One half of an output AVG, released as its SUM and COUNT and divided by `catalyst reveal`. */
  average?: "sum" | "count";
  /** Never negative, and bounded per lane and in total: sums of it are sized by that (see bounds.ts). */
  bound?: NonNegativeBound;
}

interface Typed {
  type: SqlType;
  nullable: boolean;
  at: Position;
}

export type BoundExpression = Typed & (
  | { kind: "column"; index: number }
  | { kind: "literal"; value: bigint | string | boolean | null }
  | { kind: "negate"; operand: BoundExpression }
  | { kind: "not"; operand: BoundExpression }
  | { kind: "arithmetic"; operator: "+" | "-" | "*"; left: BoundExpression; right: BoundExpression }
  | { kind: "compare"; operator: "=" | "<>" | "<" | "<=" | ">" | ">="; left: BoundExpression; right: BoundExpression }
  | { kind: "logical"; operator: "AND" | "OR"; left: BoundExpression; right: BoundExpression }
  | { kind: "in"; operand: BoundExpression; values: BoundExpression[]; negated: boolean }
  | { kind: "between"; operand: BoundExpression; low: BoundExpression; high: BoundExpression; negated: boolean }
  | { kind: "isNull"; operand: BoundExpression; negated: boolean }
  | { kind: "case"; branches: Array<{ when: BoundExpression; then: BoundExpression }>; otherwise?: BoundExpression }
  | { kind: "cast"; operand: BoundExpression }
);

export interface BoundAggregate {
  function: AggregateFunction;
  /** Absent for COUNT(*). */
  argument?: BoundExpression;
}

interface NodeBase {
  columns: BoundColumn[];
  /** Public upper bound on the rows this node yields: its number of lanes in the circuit. */
  rows: number;
}

export type PlanNode = NodeBase & (
  | { kind: "scan"; table: string }
  | { kind: "union"; inputs: PlanNode[] }
  | { kind: "filter"; input: PlanNode; predicate: BoundExpression }
  | { kind: "join"; type: "inner" | "left"; left: PlanNode; right: PlanNode; leftKeys: BoundExpression[]; rightKeys: BoundExpression[] }
  | { kind: "aggregate"; input: PlanNode; groupBy: BoundExpression[]; aggregates: BoundAggregate[] }
  | { kind: "project"; input: PlanNode; expressions: BoundExpression[] }
  | { kind: "sort"; input: PlanNode; keys: Array<{ column: number; descending: boolean }> }
  | { kind: "limit"; input: PlanNode; count: number }
);

/** The implicit column every input table has: the contributing partner's index in the study. */
export const SITE_COLUMN = "_site";

/**
 * Rows assumed per table when no sizes are known yet (study creation, finding a query's tables): enough for
 * any realistic study. At compute time the real public sizes set the widths.
 */
export const UNKNOWN_TABLE_ROWS = 2 ** 26;

interface ScopeEntry {
  qualifier?: string;
  column: BoundColumn;
  index: number;
}

class Scope {
  constructor(readonly entries: ScopeEntry[]) {}

  static of(columns: BoundColumn[], qualifier?: string, offset = 0): Scope {
    return new Scope(columns.map((column, index) => ({ qualifier, column, index: index + offset })));
  }

  concat(other: Scope): Scope {
    return new Scope([...this.entries, ...other.entries]);
  }
}

export function bindQuery(query: Query, study: Study, tableRows: (table: string) => number = () => UNKNOWN_TABLE_ROWS, file = "query"): PlanNode {
  return new Binder(study, tableRows, file).query(query);
}

class Binder {
  /** How many subqueries deep the binder is: WITHOUT SUPPRESSION is only for the query's own output. */
  private subqueryDepth = 0;

  constructor(private readonly study: Study, private readonly tableRows: (table: string) => number, private readonly file: string) {}

  private fail(at: Position, message: string): never {
    throw new InputError(message, { file: this.file, line: at.line, column: at.column }, "invalid-query");
  }

  query(query: Query): PlanNode {
    const parts = query.parts.map((part) => this.select(part));
    let node: PlanNode = parts[0];
    if (parts.length > 1) {
      const columns = parts[0].columns.map((column, index): BoundColumn => {
        let type = column.type;
        let nullable = column.nullable;
        for (let part = 1; part < parts.length; part++) {
          const other = parts[part].columns[index];
          if (!other) this.fail(query.parts[part].at, `this part of UNION ALL has ${parts[part].columns.length} columns, the first has ${parts[0].columns.length}`);
          const common = unify(type, other.type);
          if (!common) this.fail(query.parts[part].at, `column ${index + 1} of UNION ALL is ${describeType(type)} in one part and ${describeType(other.type)} in another`);
          type = common;
          nullable ||= other.nullable;
        }
        // Suppressed if any part suppresses it; released as it is only if every part opted it out.
        const countLike = parts.some((part) => part.columns[index].countLike);
        const bound = unionBound(parts.map((part) => part.columns[index]?.bound), parts.reduce((sum, part) => sum + part.rows, 0));
        return {
          name: column.name, type, nullable, countLike, groupSize: parts.every((part) => part.columns[index].groupSize), unsuppressed: !countLike && parts.every((part) => part.columns[index].unsuppressed),
          ...(bound ? { bound } : {}),
        };
      });
      parts.forEach((part, index) => {
        if (part.columns.length !== columns.length) this.fail(query.parts[index].at, `this part of UNION ALL has ${part.columns.length} columns, the first has ${columns.length}`);
        if (part.columns.some((column, position) => column.average !== parts[0].columns[position].average)) this.fail(query.parts[index].at, "AVG columns must be in the same places in every part of UNION ALL");
      });
      columns.forEach((column, index) => { if (parts[0].columns[index].average) column.average = parts[0].columns[index].average; });
      node = { kind: "union", inputs: parts, columns, rows: parts.reduce((sum, part) => sum + part.rows, 0) };
    }
    if (query.orderBy.length > 0) {
      const keys = query.orderBy.map((item) => ({ column: this.outputReference(node.columns, item.expression), descending: item.descending }));
      node = { kind: "sort", input: node, keys, columns: node.columns, rows: node.rows };
    }
    if (query.limit !== undefined) node = { kind: "limit", input: node, count: query.limit, columns: node.columns, rows: Math.min(node.rows, query.limit) };
    return node;
  }

  /** ORDER BY names an output column, by name or by its 1-based position (an AVG counting as one column). */
  private outputReference(columns: BoundColumn[], expression: Expression): number {
    const visible = columns.map((column, index) => ({ column, index })).filter(({ column }) => column.average !== "count");
    let found: number | undefined;
    if (expression.kind === "literal" && typeof expression.value === "bigint") {
      // Other engines count an AVG's SUM and COUNT as two columns; a name means the same everywhere.
      if (columns.some((column) => column.average)) this.fail(expression.at, "ORDER BY a position is not supported in a query with AVG; name the column instead");
      const position = Number(expression.value);
      if (position < 1 || position > visible.length) this.fail(expression.at, `ORDER BY ${position}: the query has ${visible.length} columns`);
      found = visible[position - 1].index;
    } else if (expression.kind === "column") {
      const matches = visible.filter(({ column }) => column.name.toLowerCase() === expression.name.toLowerCase());
      if (matches.length > 1) this.fail(expression.at, `ORDER BY ${expression.name} is ambiguous: several output columns have that name`);
      found = matches[0]?.index;
    }
    if (found === undefined) return this.fail(expression.at, "ORDER BY must name an output column (by name, alias or position)");
    if (columns[found].average) this.fail(expression.at, "ORDER BY cannot use an AVG column: it is divided only after reveal");
    return found;
  }

  /** How many partners send `table`. */
  private holders(table: string): number {
    return this.study.partners.filter((partner) => partner.tables.includes(table)).length;
  }

  private source(source: Source): { node: PlanNode; scope: Scope } {
    if (source.kind === "table") {
      const table = this.study.tables.find((candidate) => candidate.name.toLowerCase() === source.name.toLowerCase());
      if (!table) this.fail(source.at, `unknown table ${source.name}; the study has ${this.study.tables.map((t) => t.name).join(", ")}`);
      const rows = this.tableRows(table.name);
      const holders = this.holders(table.name);
      const columns: BoundColumn[] = [
        ...table.columns.map((column) => ({ name: column.name, ...scanned(column, fromColumn(column), holders, rows), nullable: false, countLike: false })),
        // Partner indices are small and public: a few bits make joins and groups on _site cheap.
        { name: SITE_COLUMN, type: { kind: "int", bits: bitsForInteger(BigInt(this.study.partners.length)) }, nullable: false, countLike: false },
      ];
      const node: PlanNode = { kind: "scan", table: table.name, columns, rows };
      return { node, scope: Scope.of(columns, source.alias ?? table.name) };
    }
    this.subqueryDepth++;
    const node = this.query(source.query);
    this.subqueryDepth--;
    return { node, scope: Scope.of(node.columns, source.alias) };
  }

  private select(original: Select): PlanNode {
    // An output AVG(x) is released as SUM(x) and COUNT(x), side by side; reveal divides them.
    const parts: Array<"sum" | "count" | undefined> = [];
    const items = original.items.flatMap((item, position): SelectItem[] => {
      const expression = item.expression;
      if (!expression || expression.kind !== "aggregate" || expression.function !== "AVG" || this.subqueryDepth > 0) {
        parts.push(undefined);
        return [item];
      }
      const name = this.outputName(item.alias, expression, position);
      parts.push("sum", "count");
      return [
        { ...item, expression: { ...expression, function: "SUM", ofAverage: true }, alias: name },
        { ...item, expression: { ...expression, function: "COUNT", ofAverage: true }, alias: `${name}.count` },
      ];
    });
    const select = { ...original, items };
    const node = this.selectColumns(select);
    // An opted-out column leaves the minimum cell count's rules; inside a subquery it could then be computed with.
    const optedOut = select.items.filter((item) => item.unsuppressed);
    if (optedOut.length > 0 && this.subqueryDepth > 0) this.fail(optedOut[0].at, "WITHOUT SUPPRESSION applies only to the query's output columns, not inside a subquery");
    if (optedOut.length > 0 && select.items.some((item) => !item.expression)) this.fail(optedOut[0].at, "WITHOUT SUPPRESSION cannot be used with SELECT *");
    select.items.forEach((item, index) => {
      if (!item.unsuppressed) return;
      if (!node.columns[index].countLike) this.fail(item.at, `${node.columns[index].name} is not a count or a sum: WITHOUT SUPPRESSION has nothing to opt out of`);
      // It stays a group size: a UNION ALL part that keeps COUNT(*) suppressed still drops small groups.
      node.columns[index] = { ...node.columns[index], countLike: false, unsuppressed: true };
    });
    // An opted-out COUNT(*) releases groups of any size, so nothing else in the row may be a value that the
    // small-group rule protected (a SUM or MIN of one patient's measure, say): only keys and opted-out counts.
    const groupSizeItem = select.items.findIndex((item, index) => item.unsuppressed && node.columns[index].groupSize);
    if (groupSizeItem >= 0) {
      const keys = groupKeyColumns(node);
      const exposed = node.columns.findIndex((column, index) => !column.unsuppressed && !keys.has(index));
      if (exposed >= 0) {
        this.fail(select.items[groupSizeItem].at, `WITHOUT SUPPRESSION on COUNT(*) releases groups of any size, so every other output column must be a GROUP BY key or WITHOUT SUPPRESSION too (${node.columns[exposed].name} is neither)`);
      }
    }
    parts.forEach((part, index) => {
      if (part) node.columns[index] = { ...node.columns[index], average: part };
    });
    return node;
  }

  private selectColumns(select: Select): PlanNode {
    const from = this.source(select.from);
    let node = from.node;
    let scope = from.scope;
    if (select.join) {
      const right = this.source(select.join.source);
      const leftWidth = node.columns.length;
      // The key is unique on the right, so a right row may be repeated on many left rows.
      const rows = node.rows + right.node.rows;
      const rightColumns = right.node.columns.map((column) => withBound({ ...column, nullable: column.nullable || select.join!.type === "left" }, repeatedBound(column.bound, rows)));
      const rightScope = new Scope(right.scope.entries.map((entry) => ({ ...entry, column: rightColumns[entry.index], index: entry.index + leftWidth })));
      const joinedScope = scope.concat(rightScope);
      const { leftKeys, rightKeys } = this.joinKeys(select.join.on, scope, rightScope, joinedScope);
      const repeated = repeatedKeyReason(right.node, rightKeys.map((key) => shiftColumns(key, -leftWidth)), (table) => this.holders(table));
      if (repeated) this.fail(rightKeys[0]?.at ?? select.join.on.at, `a join's right side must be unique on the ON key, but ${repeated}: add ${SITE_COLUMN} to the key to join within sites, or join a GROUP BY of the right side on the key`);
      node = {
        kind: "join", type: select.join.type, left: node, right: right.node, leftKeys, rightKeys: rightKeys.map((key) => shiftColumns(key, -leftWidth)),
        // Both sides' lanes take part (the key is unique on the right); only left rows stay valid.
        columns: [...node.columns, ...rightColumns], rows,
      };
      scope = joinedScope;
    }
    if (select.where) {
      const aggregate = findAggregate(select.where);
      if (aggregate) this.fail(aggregate.at, "aggregates are not allowed in WHERE; use HAVING");
      const predicate = this.expectBool(this.expression(select.where, scope), "WHERE");
      this.checkCountCondition(predicate, node.columns);
      node = { kind: "filter", input: node, predicate, columns: node.columns, rows: node.rows };
    }

    const aggregating = select.groupBy.length > 0 || select.items.some((item) => item.expression && containsAggregate(item.expression)) || select.having !== undefined;
    if (!aggregating) {
      const expressions: BoundExpression[] = [];
      const columns: BoundColumn[] = [];
      select.items.forEach((item, position) => {
        if (!item.expression) {
          // SELECT *: every visible column except the implicit _site.
          scope.entries.filter((entry) => entry.column.name !== SITE_COLUMN).forEach((entry) => {
            expressions.push({ kind: "column", index: entry.index, type: entry.column.type, nullable: entry.column.nullable, at: item.at });
            columns.push({ ...entry.column, countLike: false });
          });
          return;
        }
        const bound = this.expression(item.expression, scope);
        this.checkCountUse(bound, node.columns);
        expressions.push(bound);
        columns.push(withBound(
          { name: this.outputName(item.alias, item.expression, position), type: bound.type, nullable: bound.nullable, countLike: passesCount(bound, node.columns), groupSize: passesGroupSize(bound, node.columns) },
          boundOf(bound, node.columns, node.rows),
        ));
      });
      return { kind: "project", input: node, expressions, columns, rows: node.rows };
    }

    // Grouped: group keys and aggregates become the columns of an aggregate node; the select list is over those.
    const groupBy = select.groupBy.map((expression) => {
      const aggregate = findAggregate(expression);
      if (aggregate) this.fail(aggregate.at, "GROUP BY cannot contain an aggregate");
      return this.expression(expression, scope);
    });
    const aggregates: BoundAggregate[] = [];
    const aggregateColumns: BoundColumn[] = [];
    const inputRows = node.rows;
    // A group's key is one of its rows' values, so the keys add up to no more than the rows do.
    const groupColumns = groupBy.map((expression, index) => withBound({
      name: expression.kind === "column" ? scope.entries.find((entry) => entry.index === expression.index)!.column.name : `group_${index + 1}`,
      type: expression.type, nullable: expression.nullable, countLike: false,
    }, boundOf(expression, columnsOf(scope), inputRows)));
    const bindGrouped = (expression: Expression): BoundExpression => {
      if (expression.kind === "aggregate") {
        const aggregate = this.aggregate(expression, scope, validRows(node));
        // Without GROUP BY there is one row even for no input, where SUM, MIN, MAX and AVG are NULL.
        if (groupBy.length === 0 && aggregate.bound.function !== "COUNT") aggregate.column.nullable = true;
        const key = JSON.stringify(stripPositions(aggregate.bound));
        let index = aggregates.findIndex((existing) => JSON.stringify(stripPositions(existing)) === key);
        if (index < 0) {
          aggregates.push(aggregate.bound);
          aggregateColumns.push(aggregate.column);
          index = aggregates.length - 1;
        }
        return { kind: "column", index: groupBy.length + index, type: aggregate.column.type, nullable: aggregate.column.nullable, at: expression.at };
      }
      // An expression equal to a GROUP BY key is that key's column.
      if (!containsAggregate(expression)) {
        const bound = this.expression(expression, scope);
        const key = JSON.stringify(stripPositions(bound));
        const index = groupBy.findIndex((group) => JSON.stringify(stripPositions(group)) === key);
        if (index >= 0) return { kind: "column", index, type: bound.type, nullable: bound.nullable, at: expression.at };
        if (expression.kind === "column") this.fail(expression.at, `column ${expression.table ? expression.table + "." : ""}${expression.name} must appear in GROUP BY or inside an aggregate`);
        if (expression.kind === "literal") return bound;
      }
      return this.rebuild(expression, bindGrouped);
    };
    const items = select.items.map((item, position) => {
      if (!item.expression) this.fail(item.at, "SELECT * cannot be used with GROUP BY or aggregates");
      const bound = bindGrouped(item.expression);
      this.checkCountUse(bound, [...groupColumns, ...aggregateColumns]);
      return { bound, name: this.outputName(item.alias, item.expression, position) };
    });
    const having = select.having ? this.expectBool(bindGrouped(select.having), "HAVING") : undefined;
    if (having) this.checkCountCondition(having, [...groupColumns, ...aggregateColumns]);
    const aggregateNode: PlanNode = {
      kind: "aggregate", input: node, groupBy, aggregates, columns: [...groupColumns, ...aggregateColumns],
      rows: groupBy.length === 0 ? 1 : inputRows,
    };
    let grouped: PlanNode = aggregateNode;
    if (having) grouped = { kind: "filter", input: grouped, predicate: having, columns: grouped.columns, rows: grouped.rows };
    return {
      kind: "project", input: grouped, expressions: items.map((item) => item.bound),
      columns: items.map((item) => withBound(
        { name: item.name, type: item.bound.type, nullable: item.bound.nullable, countLike: passesCount(item.bound, aggregateNode.columns), groupSize: passesGroupSize(item.bound, aggregateNode.columns) },
        boundOf(item.bound, aggregateNode.columns, grouped.rows),
      )),
      rows: grouped.rows,
    };
  }

  private joinKeys(on: Expression, left: Scope, right: Scope, both: Scope): { leftKeys: BoundExpression[]; rightKeys: BoundExpression[] } {
    const conjuncts: Expression[] = [];
    const collect = (expression: Expression) => {
      if (expression.kind === "binary" && expression.operator === "AND") { collect(expression.left); collect(expression.right); } else conjuncts.push(expression);
    };
    collect(on);
    const leftKeys: BoundExpression[] = [];
    const rightKeys: BoundExpression[] = [];
    for (const conjunct of conjuncts) {
      if (conjunct.kind !== "binary" || conjunct.operator !== "=") this.fail(conjunct.at, "JOIN … ON supports only equalities joined by AND (an equi-join)");
      const sides = [conjunct.left, conjunct.right].map((side) => ({ side, onLeft: this.resolvesIn(side, left), onRight: this.resolvesIn(side, right) }));
      const leftSide = sides.find((entry) => entry.onLeft && !entry.onRight);
      const rightSide = sides.find((entry) => entry.onRight && !entry.onLeft);
      if (!leftSide || !rightSide || leftSide === rightSide) this.fail(conjunct.at, "each ON equality must compare a column of the left table with a column of the right table");
      const leftKey = this.expression(leftSide.side, both);
      const rightKey = this.expression(rightSide.side, both);
      if (!unify(leftKey.type, rightKey.type)) this.fail(conjunct.at, `cannot join ${describeType(leftKey.type)} with ${describeType(rightKey.type)}`);
      leftKeys.push(leftKey);
      rightKeys.push(rightKey);
    }
    return { leftKeys, rightKeys };
  }

  private resolvesIn(expression: Expression, scope: Scope): boolean {
    try {
      this.expression(expression, scope);
      return true;
    } catch {
      return false;
    }
  }

  private outputName(alias: string | undefined, expression: Expression, position: number): string {
    if (alias) return alias;
    if (expression.kind === "column") return expression.name;
    if (expression.kind === "aggregate") return expression.function.toLowerCase();
    return `column_${position + 1}`;
  }

  private aggregate(expression: Extract<Expression, { kind: "aggregate" }>, scope: Scope, rows: number): { bound: BoundAggregate; column: BoundColumn } {
    const name = expression.function.toLowerCase();
    // A count: no group has more than all the rows, and the groups share them.
    const counted = groupSumBound({ each: 1n, total: BigInt(rows) }, rows);
    if (!expression.argument) {
      return { bound: { function: "COUNT" }, column: { name, type: { kind: "int", bits: bitsForInteger(BigInt(rows)) }, nullable: false, countLike: true, groupSize: true, bound: counted } };
    }
    const nested = findAggregate(expression.argument);
    if (nested) this.fail(nested.at, "aggregates cannot be nested");
    const argument = this.expression(expression.argument, scope);
    const bound = { function: expression.function, argument };
    const argumentBound = boundOf(argument, columnsOf(scope), rows);
    switch (expression.function) {
      case "COUNT":
        return { bound, column: { name, type: { kind: "int", bits: bitsForInteger(BigInt(rows)) }, nullable: false, countLike: true, bound: counted } };
      case "SUM": {
        if (expression.ofAverage && argument.type.kind !== "int") this.fail(expression.argument.at, `AVG needs an integer, not ${describeType(argument.type)}`);
        if (argument.type.kind === "string") this.fail(expression.argument.at, `SUM needs a number or a BOOL, not ${describeType(argument.type)}`);
        // A sum of 0s and 1s (a BOOL, or one cast to an integer) needs only a count's width.
        const sumsBooleans = argument.type.kind === "bool" || (argument.kind === "cast" && argument.operand.type.kind === "bool");
        // A bounded argument: no group's sum exceeds the total of all of it.
        const summed = argumentBound ? groupSumBound(argumentBound, rows) : sumsBooleans ? counted : undefined;
        const unbounded = argument.type.kind !== "int" ? bitsForInteger(BigInt(rows)) : argument.type.bits + bitsForInteger(BigInt(rows)) - 1;
        const bits = summed ? Math.min(bitsFor(summed), unbounded) : unbounded;
        if (bits > MAX_INT_BITS) this.fail(expression.at, `SUM over ${rows} rows of ${describeType(argument.type)} needs ${bits} bits, more than the ${MAX_INT_BITS} supported`);
        return { bound, column: withBound({ name, type: { kind: "int", bits }, nullable: argument.nullable, countLike: true }, summed) };
      }
      case "MIN":
      case "MAX":
        // The smallest of some counts is a count too.
        // Each group's least or greatest value is one of its values, so they add up to no more than all of them.
        return { bound, column: withBound({ name, type: argument.type, nullable: argument.nullable, countLike: passesCount(argument, scope.entries.map((entry) => entry.column)) }, argumentBound) };
      case "AVG":
        // Division is not done inside MPC: an output AVG is released as SUM and COUNT (see select).
        return this.fail(expression.at, "AVG is supported only as a whole output column of the outermost query (released as SUM and COUNT, divided by catalyst reveal), not inside an expression or a subquery");
    }
  }

  /**
   * The minimum cell count checks COUNT and SUM values as they are; a value computed from one (−COUNT(*),
   * COUNT(*) * 2, a CASE on it) could carry a small count out, so it is refused.
   */
  private checkCountUse(expression: BoundExpression, inputColumns: BoundColumn[]): void {
    if (transformsCount(expression, inputColumns)) {
      this.fail(expression.at, "a COUNT or SUM result can be output, summed or compared in ORDER BY, but not computed with: the minimum cell count could not check the result");
    }
  }

  /**
   * A condition on a count could single out the keys of small groups, which suppression hides. It is allowed
   * only as a conjunction of `count >= c` or `count > c` that keeps no value under the threshold, so it can
   * only drop groups that suppression would hide anyway.
   */
  private checkCountCondition(condition: BoundExpression, inputColumns: BoundColumn[]): void {
    if (!passesCount(condition, inputColumns)) return;
    const threshold = BigInt(this.study.minCellCount);
    const check = (part: BoundExpression): void => {
      if (part.kind === "logical" && part.operator === "AND") { check(part.left); check(part.right); return; }
      if (!passesCount(part, inputColumns)) return;
      const ok = part.kind === "compare" && part.right.kind === "literal" && typeof part.right.value === "bigint" && !transformsCount(part.left, inputColumns)
        && ((part.operator === ">=" && part.right.value >= threshold) || (part.operator === ">" && part.right.value >= threshold - 1n));
      if (!ok) this.fail(part.at, `a condition on a COUNT or SUM may only be "count >= ${threshold}" or stricter (joined by AND): any other could reveal groups the minimum cell count hides`);
    };
    check(condition);
  }

  private expectBool(expression: BoundExpression, clause: string): BoundExpression {
    if (expression.type.kind !== "bool") this.fail(expression.at, `${clause} needs a condition (BOOL), not ${describeType(expression.type)}`);
    return expression;
  }

  private column(expression: Extract<Expression, { kind: "column" }>, scope: Scope): BoundExpression {
    const name = expression.name.toLowerCase();
    const qualifier = expression.table?.toLowerCase();
    const matches = scope.entries.filter((entry) => entry.column.name.toLowerCase() === name && (qualifier === undefined || entry.qualifier?.toLowerCase() === qualifier));
    if (matches.length === 0) {
      if (qualifier !== undefined && !scope.entries.some((entry) => entry.qualifier?.toLowerCase() === qualifier)) this.fail(expression.at, `unknown table or alias ${expression.table}`);
      this.fail(expression.at, `unknown column ${expression.table ? expression.table + "." : ""}${expression.name}`);
    }
    if (matches.length > 1) this.fail(expression.at, `column ${expression.name} is ambiguous; qualify it (for example ${matches[0].qualifier ?? "t"}.${expression.name})`);
    const { column, index } = matches[0];
    return { kind: "column", index, type: column.type, nullable: column.nullable, at: expression.at };
  }

  /** Binds the children of a compound expression with `bind`, then types the result. */
  private rebuild(expression: Expression, bind: (child: Expression) => BoundExpression): BoundExpression {
    const at = expression.at;
    switch (expression.kind) {
      case "column":
      case "aggregate":
      case "literal":
        return bind(expression);
      case "negate": {
        const operand = this.expectInt(bind(expression.operand), "-");
        return { kind: "negate", operand, type: { kind: "int", bits: Math.min(MAX_INT_BITS, (operand.type as { bits: number }).bits + 1) }, nullable: operand.nullable, at };
      }
      case "not": {
        const operand = this.expectBool(bind(expression.operand), "NOT");
        return { kind: "not", operand, type: { kind: "bool" }, nullable: operand.nullable, at };
      }
      case "binary": {
        const left = bind(expression.left);
        const right = bind(expression.right);
        const nullable = left.nullable || right.nullable;
        switch (expression.operator) {
          case "AND":
          case "OR":
            return { kind: "logical", operator: expression.operator, left: this.expectBool(left, expression.operator), right: this.expectBool(right, expression.operator), type: { kind: "bool" }, nullable, at };
          case "+":
          case "-":
          case "*": {
            const a = this.expectInt(left, expression.operator).type as { bits: number };
            const b = this.expectInt(right, expression.operator).type as { bits: number };
            const bits = expression.operator === "*" ? a.bits + b.bits : Math.max(a.bits, b.bits) + 1;
            if (bits > MAX_INT_BITS) this.fail(at, `this ${expression.operator} needs ${bits} bits, more than the ${MAX_INT_BITS} supported`);
            return { kind: "arithmetic", operator: expression.operator, left, right, type: { kind: "int", bits }, nullable, at };
          }
          default: {
            const [a, b] = [this.typed(left, right), this.typed(right, left)];
            this.comparable(a, b, at);
            if ((expression.operator !== "=" && expression.operator !== "<>") && a.type.kind === "bool") this.fail(at, `${expression.operator} does not order BOOL values`);
            return { kind: "compare", operator: expression.operator, left: a, right: b, type: { kind: "bool" }, nullable, at };
          }
        }
      }
      case "in": {
        const bound = bind(expression.operand);
        const values = expression.values.map((value) => this.typed(bind(value), bound));
        const operand = this.typed(bound, values[0]);
        values.forEach((value, index) => this.comparable(operand, value, expression.values[index].at));
        return { kind: "in", operand, values, negated: expression.negated, type: { kind: "bool" }, nullable: operand.nullable || values.some((value) => value.nullable), at };
      }
      case "between": {
        const bound = bind(expression.operand);
        const low = this.typed(bind(expression.low), bound);
        const high = this.typed(bind(expression.high), bound);
        const operand = this.typed(bound, low.kind === "literal" && low.value === null ? high : low);
        this.comparable(operand, low, expression.low.at);
        this.comparable(operand, high, expression.high.at);
        if (operand.type.kind === "bool") this.fail(at, "BETWEEN does not order BOOL values");
        return { kind: "between", operand, low, high, negated: expression.negated, type: { kind: "bool" }, nullable: operand.nullable || low.nullable || high.nullable, at };
      }
      case "isNull":
        return { kind: "isNull", operand: bind(expression.operand), negated: expression.negated, type: { kind: "bool" }, nullable: false, at };
      case "case": {
        let branches = expression.branches.map((branch) => ({ when: this.expectBool(bind(branch.when), "WHEN"), then: bind(branch.then) }));
        let otherwise = expression.otherwise ? bind(expression.otherwise) : undefined;
        // String literals beside a coded column's values become codes.
        const coded = [...branches.map((branch) => branch.then), ...(otherwise ? [otherwise] : [])].find((value) => value.type.kind === "string" && value.type.values);
        if (coded) {
          branches = branches.map((branch) => ({ ...branch, then: this.typed(branch.then, coded) }));
          otherwise = otherwise && this.typed(otherwise, coded);
        }
        let type: SqlType | undefined;
        for (const value of [...branches.map((branch) => branch.then), ...(otherwise ? [otherwise] : [])]) {
          if (value.kind === "literal" && value.value === null) continue;
          const common = type ? unify(type, value.type) : value.type;
          if (!common) this.fail(value.at, `CASE branches must have one type: ${describeType(type!)} and ${describeType(value.type)} differ`);
          type = common;
        }
        if (!type) this.fail(at, "CASE needs at least one non-NULL result");
        const nullable = !otherwise || otherwise.nullable || branches.some((branch) => branch.then.nullable) || (otherwise.kind === "literal" && otherwise.value === null);
        return { kind: "case", branches, otherwise, type, nullable, at };
      }
      case "cast": {
        const operand = bind(expression.operand);
        const target = fromColumnType(expression.type);
        const allowed = (operand.type.kind === "bool" && target.kind === "int") || (operand.type.kind === "int" && target.kind === "int") || (operand.type.kind === "string" && target.kind === "string");
        if (!allowed) this.fail(at, `cannot CAST ${describeType(operand.type)} AS ${describeType(target)}`);
        if (operand.type.kind === "string" && operand.type.values) this.fail(at, `cannot CAST a ${describeType(operand.type)}: compare or output it as it is`);
        if (operand.type.kind === "int" && target.kind === "int" && operand.type.bits > target.bits) this.fail(at, `CAST to ${describeType(target)} could overflow a ${describeType(operand.type)}`);
        if (operand.type.kind === "string" && target.kind === "string" && operand.type.length > target.length) this.fail(at, `CAST to ${describeType(target)} would cut a ${describeType(operand.type)}; only widening string casts are supported`);
        return { kind: "cast", operand, type: target, nullable: operand.nullable, at };
      }
    }
  }

  private expression(expression: Expression, scope: Scope): BoundExpression {
    switch (expression.kind) {
      case "column":
        return this.column(expression, scope);
      case "literal": {
        const value = expression.value;
        const type: SqlType = typeof value === "bigint" ? { kind: "int", bits: bitsForInteger(value) }
          : typeof value === "string" ? { kind: "string", length: new TextEncoder().encode(value).length }
          : typeof value === "boolean" ? { kind: "bool" } : { kind: "int", bits: 1 };
        return { kind: "literal", value, type, nullable: value === null, at: expression.at };
      }
      case "aggregate":
        return this.fail(expression.at, `${expression.function} is an aggregate and cannot be used here`);
      default:
        return this.rebuild(expression, (child) => this.expression(child, scope));
    }
  }

  private expectInt(expression: BoundExpression, operator: string): BoundExpression {
    if (expression.type.kind !== "int") this.fail(expression.at, `${operator} needs numbers, not ${describeType(expression.type)}`);
    return expression;
  }

  /**
   * A literal meeting `other`: NULL takes its type (NULL is comparable with anything, the result is NULL), and a
   * string meeting a coded string becomes that value's code, so it must be one of the listed values.
   */
  private typed(expression: BoundExpression, other: BoundExpression | undefined): BoundExpression {
    if (expression.kind !== "literal" || !other) return expression;
    if (expression.value === null) return { ...expression, type: other.type };
    if (typeof expression.value === "string" && other.type.kind === "string" && other.type.values) {
      if (!other.type.values.includes(expression.value)) {
        this.fail(expression.at, `'${expression.value}' is not one of the values the CHECK lists for this coded column (${describeValues(other.type.values)}), so it never matches`);
      }
      return { ...expression, type: other.type };
    }
    return expression;
  }

  private comparable(left: BoundExpression, right: BoundExpression, at: Position): void {
    if (!unify(left.type, right.type)) this.fail(at, `cannot compare ${describeType(left.type)} with ${describeType(right.type)}`);
  }
}


/** Output columns of a grouped SELECT that are its GROUP BY keys, passed on as they are. */
function groupKeyColumns(node: PlanNode): Set<number> {
  const keys = new Set<number>();
  if (node.kind !== "project") return keys;
  let below: PlanNode = node.input;
  while (below.kind === "filter") below = below.input;
  if (below.kind !== "aggregate") return keys;
  const groupCount = below.groupBy.length;
  node.expressions.forEach((expression, index) => {
    if (expression.kind === "column" && expression.index < groupCount) keys.add(index);
  });
  return keys;
}

/** The first aggregate call inside an expression, to point an error at it. */
function findAggregate(expression: Expression): Expression | undefined {
  switch (expression.kind) {
    case "aggregate": return expression;
    case "column":
    case "literal": return undefined;
    case "negate":
    case "not":
    case "isNull":
    case "cast": return findAggregate(expression.operand);
    case "binary": return findAggregate(expression.left) ?? findAggregate(expression.right);
    case "in": return findAggregate(expression.operand) ?? expression.values.map(findAggregate).find(Boolean);
    case "between": return [expression.operand, expression.low, expression.high].map(findAggregate).find(Boolean);
    case "case":
      return [...expression.branches.flatMap((branch) => [branch.when, branch.then]), ...(expression.otherwise ? [expression.otherwise] : [])].map(findAggregate).find(Boolean);
  }
}

function containsAggregate(expression: Expression): boolean {
  return findAggregate(expression) !== undefined;
}

/**
 * Whether an output value is derived from any COUNT or SUM (through arithmetic, CASE, CAST or comparison):
 * then the minimum cell count applies to it, so `-COUNT(*)` or `COUNT(*) + 0` cannot slip a small count out.
 */
/**
 * A public bound on the rows of `node` that can be valid, which may be fewer than its lanes: a join's
 * right-hand lanes are never valid, since only left rows stay.
 */
function validRows(node: PlanNode): number {
  switch (node.kind) {
    case "scan": return node.rows;
    case "union": return node.inputs.reduce((sum, input) => sum + validRows(input), 0);
    case "join": return Math.min(node.rows, validRows(node.left));
    case "aggregate": return node.groupBy.length === 0 ? 1 : Math.min(node.rows, validRows(node.input));
    default: return Math.min(node.rows, validRows(node.input));
  }
}

/** The column with `bound`, or without any when none is known. */
function withBound(column: BoundColumn, bound: NonNegativeBound | undefined): BoundColumn {
  const { bound: _, ...rest } = column;
  return bound ? { ...rest, bound } : rest;
}

/** A scope's columns by their index in the relation. */
function columnsOf(scope: Scope): BoundColumn[] {
  const columns: BoundColumn[] = [];
  for (const entry of scope.entries) columns[entry.index] = entry.column;
  return columns;
}

function passesCount(expression: BoundExpression, inputColumns: BoundColumn[]): boolean {
  let derived = false;
  const visit = (value: unknown): void => {
    if (derived || value === null || typeof value !== "object") return;
    const node = value as { kind?: string; index?: number };
    if (node.kind === "column" && typeof node.index === "number" && inputColumns[node.index]?.countLike) { derived = true; return; }
    for (const child of Object.values(value as object)) visit(child);
  };
  visit(expression);
  return derived;
}

/** True when a count-derived value is changed (not just passed on or cast), which the cell rule cannot check. */
function transformsCount(expression: BoundExpression, inputColumns: BoundColumn[]): boolean {
  if (expression.kind === "column") return false;
  if (expression.kind === "cast") return transformsCount(expression.operand, inputColumns);
  return passesCount(expression, inputColumns);
}

function passesGroupSize(expression: BoundExpression, inputColumns: BoundColumn[]): boolean {
  if (expression.kind === "column") return inputColumns[expression.index]?.groupSize ?? false;
  if (expression.kind === "cast") return passesGroupSize(expression.operand, inputColumns);
  return false;
}

function shiftColumns(expression: BoundExpression, offset: number): BoundExpression {
  return JSON.parse(JSON.stringify(expression, bigintReplacer), (key, value) => {
    if (value && typeof value === "object" && value.kind === "column" && typeof value.index === "number") return { ...value, index: value.index + offset };
    if (value && typeof value === "object" && "$bigint" in value) return BigInt(value.$bigint);
    return value;
  });
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? { $bigint: value.toString() } : value;
}

/** An expression without source positions, to compare two spellings of the same expression. */
function stripPositions(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, inner) => (key === "at" ? undefined : typeof inner === "bigint" ? `${inner}n` : inner)));
}
