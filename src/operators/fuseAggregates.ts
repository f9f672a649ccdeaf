/** Plan rewrite: an inner GROUP BY whose groups an outer GROUP BY only re-sums (or re-takes MIN/MAX of) becomes a per-row projection, since aggregating aggregates is associative and the inner oblivious sort and scans are about 30% of the pilot's rollup circuit. */
import type { BoundAggregate, BoundColumn, BoundExpression, PlanNode } from "./sql/binder.js";
import { bitsForInteger } from "./sql/types.js";

/**
 * How an outer aggregate reads a column: as (part of) a group key, or as the argument of SUM, MIN or MAX.
 * A column may be read several ways; a column not read at all may hold anything.
 */
type Use = "group" | "sum" | "min" | "max";
type Uses = Array<Set<Use>>;

/** Projections this pass made from an aggregate, so that `catalyst plan` can say so. */
const fusedProjections = new WeakSet<PlanNode>();

export function isFusedAggregate(node: PlanNode): boolean {
  return fusedProjections.has(node);
}

/**
 * The plan with every inner aggregate that an outer one can absorb replaced by a projection of its input rows.
 * Every node keeps the binder's `columns` and `rows`, so output types, widths and disclosure rules stay the same.
 */
export function fuseAggregates(plan: PlanNode): PlanNode {
  let copy: PlanNode;
  switch (plan.kind) {
    case "scan":
      return plan;
    case "union":
      copy = { ...plan, inputs: plan.inputs.map(fuseAggregates) };
      break;
    case "join":
      copy = { ...plan, left: fuseAggregates(plan.left), right: fuseAggregates(plan.right) };
      break;
    case "aggregate": {
      // Each success removes one aggregate, so this ends; a second pass can reach an aggregate under a fused one.
      let input = plan.input;
      for (let fused = absorbInner(plan, input); fused; fused = absorbInner(plan, input)) input = fused;
      copy = { ...plan, input: fuseAggregates(input) };
      break;
    }
    default:
      copy = { ...plan, input: fuseAggregates(plan.input) };
  }
  if (fusedProjections.has(plan)) fusedProjections.add(copy);
  return copy;
}

/** `input` with an inner aggregate under `outer` made per-row, or undefined when none can be. */
function absorbInner(outer: Extract<PlanNode, { kind: "aggregate" }>, input: PlanNode): PlanNode | undefined {
  const uses: Uses = input.columns.map(() => new Set<Use>());
  for (const key of outer.groupBy) {
    const column = columnBehind(key);
    if (column === undefined) return undefined;
    uses[column].add("group");
  }
  for (const aggregate of outer.aggregates) {
    // COUNT would count the inner groups, not their rows; AVG is not run.
    if (aggregate.function !== "SUM" && aggregate.function !== "MIN" && aggregate.function !== "MAX") return undefined;
    const column = columnBehind(aggregate.argument!);
    if (column === undefined) return undefined;
    uses[column].add(aggregate.function === "SUM" ? "sum" : aggregate.function === "MIN" ? "min" : "max");
  }
  return rewrite(input, uses);
}

/**
 * The input column an expression passes on unchanged up to a cast. The binder only allows widening casts
 * (and BOOL to integer), which keep values apart, keep their order and keep NULL.
 */
export function columnBehind(expression: BoundExpression): number | undefined {
  let current = expression;
  while (current.kind === "cast") current = current.operand;
  return current.kind === "column" ? current.index : undefined;
}

/** Follows the read columns down through projections and UNION ALL to an inner aggregate, and makes it per-row. */
function rewrite(node: PlanNode, uses: Uses): PlanNode | undefined {
  switch (node.kind) {
    case "project": {
      const inputUses: Uses = node.input.columns.map(() => new Set<Use>());
      for (let index = 0; index < node.expressions.length; index++) {
        if (uses[index].size === 0) continue;
        const column = columnBehind(node.expressions[index]);
        if (column === undefined) return undefined;
        uses[index].forEach((use) => inputUses[column].add(use));
      }
      const input = rewrite(node.input, inputUses);
      return input && { ...node, input };
    }
    case "union": {
      // Each branch's rows reach the outer aggregate separately: fuse those that qualify, keep the others.
      const inputs = node.inputs.map((input) => rewrite(input, uses) ?? input);
      return inputs.some((input, index) => input !== node.inputs[index]) ? { ...node, inputs } : undefined;
    }
    case "aggregate":
      return perRow(node, uses);
    default:
      // A filter (WHERE, HAVING), join, ORDER BY or LIMIT between the two would see groups, not rows.
      return undefined;
  }
}

/** The aggregate's input rows, each carrying its group's keys and what it adds to each aggregate. */
function perRow(aggregate: Extract<PlanNode, { kind: "aggregate" }>, uses: Uses): PlanNode | undefined {
  const keys = aggregate.groupBy.length;
  // Without GROUP BY there is one row even for no input (COUNT 0), which no per-row projection gives.
  if (keys === 0 || aggregate.rows !== aggregate.input.rows) return undefined;
  for (let column = 0; column < aggregate.columns.length; column++) {
    for (const use of uses[column]) {
      if (!absorbs(use, column < keys ? undefined : aggregate.aggregates[column - keys])) return undefined;
    }
  }
  const expressions = [...aggregate.groupBy];
  for (let index = 0; index < aggregate.aggregates.length; index++) {
    const expression = rowValue(aggregate.aggregates[index], aggregate.columns[keys + index], aggregate.groupBy[0].at);
    if (!expression) return undefined;
    expressions.push(expression);
  }
  // The projection must produce exactly the columns the aggregate did, or something above would read them differently.
  if (!expressions.every((expression, index) => sameType(expression, aggregate.columns[index]))) return undefined;
  const projection: PlanNode = { kind: "project", input: aggregate.input, expressions, columns: aggregate.columns, rows: aggregate.rows };
  fusedProjections.add(projection);
  return projection;
}

/**
 * Whether an outer use of an inner column gives the same over the inner rows as over the inner groups. A group
 * key is the same on every row of its group, so grouping by it, or its MIN or MAX, is unchanged; its SUM is not.
 * A SUM of COUNTs or SUMs, a MIN of MINs and a MAX of MAXes are unchanged, NULLs included (each skips NULLs and
 * is NULL only when every value is).
 */
function absorbs(use: Use, inner: BoundAggregate | undefined): boolean {
  if (!inner) return use !== "sum";
  switch (use) {
    case "group": return false;
    case "sum": return inner.function === "COUNT" || inner.function === "SUM";
    case "min": return inner.function === "MIN";
    case "max": return inner.function === "MAX";
  }
}

/** One row's share of an inner aggregate, typed as the aggregate's result column (COUNT and SUM widen to it). */
export function rowValue(aggregate: BoundAggregate, column: BoundColumn, at: BoundExpression["at"]): BoundExpression | undefined {
  const argument = aggregate.argument;
  const one: BoundExpression = { kind: "literal", value: 1n, type: column.type, nullable: false, at };
  switch (aggregate.function) {
    case "COUNT":
      // A 1 needs two signed bits (a count is that narrow only over no rows at all).
      if (column.type.kind !== "int" || column.type.bits < 2) return undefined;
      if (!argument || !argument.nullable) return one;
      // 1 where the value is present, else 0: the flag zero-extended, never NULL.
      return {
        kind: "cast", type: column.type, nullable: false, at: argument.at,
        operand: { kind: "isNull", operand: argument, negated: true, type: { kind: "bool" }, nullable: false, at: argument.at },
      };
    case "SUM": {
      // A SUM of BOOLs cast to an integer may be only as wide as a count: take the BOOL itself, 0 or 1.
      const summand = argument!.kind === "cast" && argument!.operand.type.kind === "bool" ? argument!.operand : argument!;
      // Never cut a value to fit: sign-extend integers, zero-extend BOOLs.
      if (column.type.kind !== "int" || (summand.type.kind === "int" && summand.type.bits > column.type.bits)) return undefined;
      return { kind: "cast", operand: summand, type: column.type, nullable: summand.nullable, at: summand.at };
    }
    case "MIN":
    case "MAX":
      return argument;
    case "AVG":
      return undefined;
  }
}

function sameType(expression: BoundExpression, column: BoundColumn): boolean {
  return JSON.stringify(expression.type) === JSON.stringify(column.type) && expression.nullable === column.nullable;
}

/**
 * A row value made narrower, whose sign extension to the expression's type is the same value: a BOOL cast to an
 * integer (0 or 1: two bits) or an integer literal (its two's complement width). Undefined when nothing is saved.
 */
export function narrowRowValue(expression: BoundExpression): BoundExpression | undefined {
  if (expression.type.kind !== "int") return undefined;
  if (expression.kind === "cast" && expression.operand.type.kind === "bool" && expression.type.bits > 2) return { ...expression, type: { kind: "int", bits: 2 } };
  if (expression.kind === "literal" && typeof expression.value === "bigint") {
    // At least two bits, as the cast's.
    const bits = Math.max(2, bitsForInteger(expression.value));
    if (bits < expression.type.bits) return { ...expression, type: { kind: "int", bits } };
  }
  return undefined;
}
