/**
 * Columns as share wires (circuit/shareWires.ts) and back: one byte per wire while a long step does not read
 * them, labels (one correlated OT per wire) for the step that does. A GROUP BY's totals wait this way for the
 * output, where only the disclosure rules read them, a chunk of lanes at a time.
 */
import type { Backend } from "../circuit/backend.js";
import { labelsOfShareWires, toShareWires } from "../circuit/shareWires.js";
import type { Relation, RelationColumn } from "./relation.js";

/** The column as this party's share wires: free and local. */
export function shareWiresOfColumn(backend: Backend, column: RelationColumn): RelationColumn {
  return { ...column, value: { ...column.value, wires: toShareWires(backend, column.value.wires) }, isNull: column.isNull && toShareWires(backend, column.isNull) };
}

/** The rows as this party's share wires: free, but no gate can read them after. */
export function shareWiresOfRelation(backend: Backend, relation: Relation): Relation {
  return { lanes: relation.lanes, valid: toShareWires(backend, relation.valid), columns: relation.columns.map((column) => shareWiresOfColumn(backend, column)) };
}

/** A share-wire column as labels again, one correlated OT per wire. Both parties call it at the same point. */
export async function labelsOfColumn(backend: Backend, column: RelationColumn): Promise<RelationColumn> {
  const { value, isNull } = column;
  return {
    ...column,
    value: { ...value, wires: await labelsOfShareWires(backend, value.wires, value.width, value.lanes) },
    isNull: isNull && (await labelsOfShareWires(backend, isNull, 1, value.lanes)),
  };
}
