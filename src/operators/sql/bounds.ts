/**
 * Public bounds on non-negative integer columns, which size sums by what they can add up to rather than by
 * their type times the row count: a COUNT's groups together hold at most its input rows, and a column a
 * TABLES.sql CHECK bounds (`BETWEEN 0 AND m`, `SUM(x) <= n`) sums to at most what the partners declared.
 */
import type { Column } from "../../share/schema.js";
import type { BoundExpression } from "./binder.js";
import { bitsForInteger, type SqlType } from "./types.js";

/** Every value lies in [0, each], and the values of all lanes add up to at most `total`. */
export interface NonNegativeBound {
  each: bigint;
  total: bigint;
}

function bound(each: bigint, total: bigint, rows: number): NonNegativeBound {
  const most = each * BigInt(rows);
  return { each, total: total < most ? total : most };
}

/**
 * The type and bound of an input column as the circuit reads it: a declared range narrows the integer
 * (values are checked against it at `catalyst share`), and each of the `holders` partners adds at most
 * its declared sum.
 */
export function scanned(column: Column, type: SqlType, holders: number, rows: number): { type: SqlType; bound?: NonNegativeBound } {
  const range = column.range;
  if (type.kind !== "int" || !range) return { type };
  let max = range.max;
  if (column.sumAtMost !== undefined && column.sumAtMost < max) max = column.sumAtMost;
  const bits = Math.max(bitsForInteger(range.min), bitsForInteger(max));
  const narrowed: SqlType = { kind: "int", bits: Math.min(bits, type.bits) };
  if (range.min < 0n) return { type: narrowed };
  const total = column.sumAtMost === undefined ? max * BigInt(rows) : column.sumAtMost * BigInt(holders);
  return { type: narrowed, bound: bound(max, total, rows) };
}

/** The bound of an expression's values over `rows` lanes whose columns are `columns`, where one is known. */
export function boundOf(expression: BoundExpression, columns: ReadonlyArray<{ bound?: NonNegativeBound } | undefined>, rows: number): NonNegativeBound | undefined {
  switch (expression.kind) {
    case "column":
      return columns[expression.index]?.bound;
    case "literal":
      return typeof expression.value === "bigint" && expression.value >= 0n ? bound(expression.value, expression.value * BigInt(rows), rows) : undefined;
    case "cast":
      // A BOOL becomes 0 or 1.
      if (expression.operand.type.kind === "bool") return bound(1n, BigInt(rows), rows);
      return expression.operand.type.kind === "int" ? boundOf(expression.operand, columns, rows) : undefined;
    case "arithmetic": {
      if (expression.operator !== "+") return undefined;
      const left = boundOf(expression.left, columns, rows);
      const right = boundOf(expression.right, columns, rows);
      return left && right ? bound(left.each + right.each, left.total + right.total, rows) : undefined;
    }
    case "case": {
      // Each lane takes one branch, or NULL, which adds nothing.
      const outcomes = [...expression.branches.map((branch) => branch.then), ...(expression.otherwise ? [expression.otherwise] : [])];
      return unionBound(outcomes.map((outcome) => (outcome.kind === "literal" && outcome.value === null ? { each: 0n, total: 0n } : boundOf(outcome, columns, rows))), rows);
    }
    default:
      return undefined;
  }
}

/** Several parts' lanes side by side (UNION ALL, or a CASE's branches): the largest value, the totals added. */
export function unionBound(bounds: ReadonlyArray<NonNegativeBound | undefined>, rows: number): NonNegativeBound | undefined {
  if (bounds.length === 0 || bounds.some((part) => part === undefined)) return undefined;
  const each = bounds.reduce((most, part) => (part!.each > most ? part!.each : most), 0n);
  return bound(each, bounds.reduce((sum, part) => sum + part!.total, 0n), rows);
}

/** A column whose lanes may repeat one input value many times (the right side of a join): only `each` holds. */
export function repeatedBound(value: NonNegativeBound | undefined, rows: number): NonNegativeBound | undefined {
  return value && { each: value.each, total: value.each * BigInt(rows) };
}

/** A SUM or COUNT per group of `rows` lanes: no group exceeds the whole total, and the groups share it. */
export function groupSumBound(argument: NonNegativeBound, rows: number): NonNegativeBound {
  return bound(argument.total, argument.total, rows);
}

/** Signed bits for every value a bound allows. */
export function bitsFor(value: NonNegativeBound): number {
  return bitsForInteger(value.each);
}
