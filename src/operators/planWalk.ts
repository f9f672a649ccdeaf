/** A walk over a query plan's nodes. */
import type { PlanNode } from "./sql/binder.js";

/** Calls `onNode` on every node of a plan, parents first. */
export function eachNode(node: PlanNode, onNode: (node: PlanNode) => void): void {
  onNode(node);
  if (node.kind === "union") node.inputs.forEach((input) => eachNode(input, onNode));
  else if (node.kind === "join") { eachNode(node.left, onNode); eachNode(node.right, onNode); }
  else if (node.kind !== "scan") eachNode(node.input, onNode);
}
