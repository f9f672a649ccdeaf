/**
 * Bound expressions on one row of clear values, with the circuit's semantics (see expressions.ts): for a
 * pushdown partner's own rows at its own site, never for anything inside MPC.
 */
import { compareBytes } from "../share/byteOrder.js";
import type { BoundExpression } from "./sql/binder.js";

export type ClearValue = bigint | string | boolean | null;

const utf8 = new TextEncoder();

/** The circuit's order: integers signed, strings by UTF-8 bytes zero-padded, FALSE before TRUE. */
export function compareValues(a: Exclude<ClearValue, null>, b: Exclude<ClearValue, null>): number {
  if (typeof a === "bigint") return a < (b as bigint) ? -1 : a > (b as bigint) ? 1 : 0;
  if (typeof a === "boolean") return Number(a) - Number(b as boolean);
  const [x, y] = [a, b as string];
  // ASCII compares the same as its bytes; anything else by its UTF-8 bytes, as the circuit does.
  if (/^[\x00-\x7f]*$/.test(x) && /^[\x00-\x7f]*$/.test(y)) return x < y ? -1 : x > y ? 1 : 0;
  return compareBytes(utf8.encode(x), utf8.encode(y));
}

function kleeneAnd(a: ClearValue, b: ClearValue): ClearValue {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

function kleeneOr(a: ClearValue, b: ClearValue): ClearValue {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

function kleeneNot(a: ClearValue): ClearValue {
  return a === null ? null : !a;
}

function compared(a: ClearValue, b: ClearValue, test: (order: number) => boolean): ClearValue {
  return a === null || b === null ? null : test(compareValues(a, b));
}

export function evaluateRow(expression: BoundExpression, row: readonly ClearValue[]): ClearValue {
  const wrap = (value: bigint) => (expression.type.kind === "int" ? BigInt.asIntN(expression.type.bits, value) : value);
  switch (expression.kind) {
    case "column": return row[expression.index];
    case "literal": return expression.value;
    case "negate": {
      const value = evaluateRow(expression.operand, row);
      return value === null ? null : wrap(-(value as bigint));
    }
    case "not": return kleeneNot(evaluateRow(expression.operand, row));
    case "arithmetic": {
      const left = evaluateRow(expression.left, row);
      const right = evaluateRow(expression.right, row);
      if (left === null || right === null) return null;
      const [a, b] = [left as bigint, right as bigint];
      return wrap(expression.operator === "+" ? a + b : expression.operator === "-" ? a - b : a * b);
    }
    case "compare": {
      const tests = { "=": (o: number) => o === 0, "<>": (o: number) => o !== 0, "<": (o: number) => o < 0, ">": (o: number) => o > 0, "<=": (o: number) => o <= 0, ">=": (o: number) => o >= 0 };
      return compared(evaluateRow(expression.left, row), evaluateRow(expression.right, row), tests[expression.operator]);
    }
    case "logical": {
      const left = evaluateRow(expression.left, row);
      const right = evaluateRow(expression.right, row);
      return expression.operator === "AND" ? kleeneAnd(left, right) : kleeneOr(left, right);
    }
    case "in": {
      const operand = evaluateRow(expression.operand, row);
      let found: ClearValue = false;
      for (const candidate of expression.values) found = kleeneOr(found, compared(operand, evaluateRow(candidate, row), (order) => order === 0));
      return expression.negated ? kleeneNot(found) : found;
    }
    case "between": {
      const operand = evaluateRow(expression.operand, row);
      const inside = kleeneAnd(compared(operand, evaluateRow(expression.low, row), (order) => order >= 0), compared(operand, evaluateRow(expression.high, row), (order) => order <= 0));
      return expression.negated ? kleeneNot(inside) : inside;
    }
    case "isNull": return (evaluateRow(expression.operand, row) === null) !== expression.negated;
    case "case": {
      for (const branch of expression.branches) if (evaluateRow(branch.when, row) === true) return evaluateRow(branch.then, row);
      return expression.otherwise ? evaluateRow(expression.otherwise, row) : null;
    }
    case "cast": {
      const value = evaluateRow(expression.operand, row);
      if (typeof value === "boolean" && expression.type.kind === "int") return value ? 1n : 0n;
      return value;
    }
  }
}
