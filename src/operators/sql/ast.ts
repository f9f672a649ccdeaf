/** The syntax tree of a query, each node remembering where it was written. */
import type { ColumnType } from "../../share/schema.js";

export interface Position {
  line: number;
  column: number;
}

export type AggregateFunction = "COUNT" | "SUM" | "MIN" | "MAX" | "AVG";
export type BinaryOperator = "+" | "-" | "*" | "=" | "<>" | "<" | "<=" | ">" | ">=" | "AND" | "OR";

export type Expression =
  | { kind: "column"; table?: string; name: string; at: Position }
  | { kind: "literal"; value: bigint | string | boolean | null; at: Position }
  | { kind: "negate"; operand: Expression; at: Position }
  | { kind: "not"; operand: Expression; at: Position }
  | { kind: "binary"; operator: BinaryOperator; left: Expression; right: Expression; at: Position }
  | { kind: "in"; operand: Expression; values: Expression[]; negated: boolean; at: Position }
  | { kind: "between"; operand: Expression; low: Expression; high: Expression; negated: boolean; at: Position }
  | { kind: "isNull"; operand: Expression; negated: boolean; at: Position }
  | { kind: "case"; branches: Array<{ when: Expression; then: Expression }>; otherwise?: Expression; at: Position }
  | { kind: "cast"; operand: Expression; type: ColumnType; at: Position }
  /** `ofAverage`: this SUM or COUNT is one half of an output AVG (see the binder). */
  | { kind: "aggregate"; function: AggregateFunction; argument?: Expression; ofAverage?: boolean; at: Position };

export interface SelectItem {
  /** `undefined` for `*`. */
  expression?: Expression;
  alias?: string;
  /** `… WITHOUT SUPPRESSION`: the investigator opts this output column out of the minimum cell count. */
  unsuppressed?: boolean;
  at: Position;
}

export type Source =
  | { kind: "table"; name: string; alias?: string; at: Position }
  | { kind: "subquery"; query: Query; alias?: string; at: Position };

export interface Join {
  type: "inner" | "left";
  source: Source;
  on: Expression;
  at: Position;
}

export interface Select {
  items: SelectItem[];
  from: Source;
  join?: Join;
  where?: Expression;
  groupBy: Expression[];
  having?: Expression;
  at: Position;
}

export interface OrderItem {
  expression: Expression;
  descending: boolean;
  at: Position;
}

/** One SELECT, or several joined by UNION ALL, with an optional ORDER BY and LIMIT over the whole. */
export interface Query {
  parts: Select[];
  orderBy: OrderItem[];
  limit?: number;
  at: Position;
}
