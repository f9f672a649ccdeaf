/** Walks over a query plan's nodes, and over the columns its expressions read. */
import type { BoundExpression, PlanNode } from "./sql/binder.js";
import type { SqlType } from "./sql/types.js";

/** Calls `onNode` on every node of a plan, parents first; where it returns false, not on that node's inputs. */
export function eachNode(node: PlanNode, onNode: (node: PlanNode) => boolean | void): void {
  if (onNode(node) === false) return;
  if (node.kind === "union") node.inputs.forEach((input) => eachNode(input, onNode));
  else if (node.kind === "join") { eachNode(node.left, onNode); eachNode(node.right, onNode); }
  else if (node.kind !== "scan") eachNode(node.input, onNode);
}

/** A node's whole subtree as text, source positions aside: equal texts compute equal rows from equal inputs. */
export function planText(node: PlanNode): string {
  return JSON.stringify(node, (key, value) => (key === "at" ? undefined : typeof value === "bigint" ? `${value}n` : value));
}

/** The indices of the input columns an expression reads. */
export function columnsReadBy(expression: BoundExpression, into = new Set<number>()): Set<number> {
  switch (expression.kind) {
    case "column": into.add(expression.index); break;
    case "literal": break;
    case "negate": case "not": case "isNull": case "cast": columnsReadBy(expression.operand, into); break;
    case "arithmetic": case "compare": case "logical": columnsReadBy(expression.left, into); columnsReadBy(expression.right, into); break;
    case "in": columnsReadBy(expression.operand, into); expression.values.forEach((value) => columnsReadBy(value, into)); break;
    case "between": for (const part of [expression.operand, expression.low, expression.high]) columnsReadBy(part, into); break;
    case "case":
      for (const branch of expression.branches) { columnsReadBy(branch.when, into); columnsReadBy(branch.then, into); }
      if (expression.otherwise) columnsReadBy(expression.otherwise, into);
      break;
  }
  return into;
}

/** For each input column a list of expressions reads, the index of the last expression that reads it. */
export function lastReaders(expressions: readonly BoundExpression[]): Map<number, number> {
  const last = new Map<number, number>();
  expressions.forEach((expression, index) => { for (const column of columnsReadBy(expression)) last.set(column, index); });
  return last;
}

/** The column an expression reads, with its type, when it is that column or that column cast to a wider integer. */
export function columnOrWidening(expression: BoundExpression): { index: number; type: SqlType } | undefined {
  if (expression.kind === "column") return { index: expression.index, type: expression.type };
  const operand = expression.kind === "cast" ? expression.operand : undefined;
  if (operand?.kind !== "column" || operand.type.kind !== "int" || expression.type.kind !== "int" || expression.type.bits < operand.type.bits) return undefined;
  return { index: operand.index, type: operand.type };
}
