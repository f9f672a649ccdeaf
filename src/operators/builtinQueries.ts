/**
 * The three query shapes `catalyst compute` runs before the full compiler exists:
 *   SELECT COUNT(*) FROM t
 *   SELECT SUM(col) FROM t                      (INT32, INT64 or BOOL columns)
 *   SELECT COUNT(*) FROM t WHERE col = literal
 * Each becomes a circuit over the union of all partners' rows of `t`, with the minimum cell count
 * applied inside the circuit: a count from 1 to t−1 is suppressed, and so is a sum over 1 to t−1 rows
 * (or whose value is from 1 to t−1). The compiler takes these texts over unchanged later.
 */
import type { Backend } from "../circuit/backend.js";
import { constantInteger, signExtend, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { encodeCharStrings } from "../circuit/bitVector/charString.js";
import { equal } from "../circuit/bitVector/compare.js";
import type { WireVector } from "../circuit/wireVector.js";
import { InputError } from "../share/errors.js";
import { findTable, type Query as StudyQuery, type Study } from "../share/study.js";
import { typeName, valueBits, type Column, type ColumnType } from "../share/schema.js";
import type { Expression } from "./sql/ast.js";
import { parseQuery } from "./sql/parser.js";
import { countSet, maskLanes, sumLanes } from "./aggregate.js";
import { bitLength } from "../circuit/bitVector/integer.js";
import { select as multiplex } from "../circuit/bitVector/select.js";
import { suppressSmallCells, type SuppressedCell } from "./suppression.js";
import { tableFromInputWires, tableToOutputWires, type CircuitTable } from "./table.js";

export interface QueryPlan {
  query: string;
  /** The one input table (the union of every partner's upload of it). */
  table: string;
  /** The output schema for this many input rows (a SUM widens with the row count). */
  outputColumns(rows: number): Column[];
  /** Output rows: always 1 for these aggregates. */
  outputRows: number;
  /** Builds the circuit: input wires of the table (row layout, plane-major) → output wires (row layout). */
  circuit(backend: Backend, inputWires: WireVector, rows: number): Promise<WireVector>;
}

const OUTPUT_INTEGER = { kind: "int64" } as const;

function unsupported(query: StudyQuery, at?: { line: number; column: number }): never {
  throw new InputError(
    `query ${query.name} is not one this version can compute: supported are SELECT COUNT(*) FROM t, SELECT SUM(col) FROM t, and SELECT COUNT(*) FROM t WHERE col = literal`,
    { file: `${query.name}.sql`, ...(at ?? {}) },
    "unsupported-query",
  );
}

/** Recognises a study query and plans its circuit; refuses anything else with a clear message. */
export function planBuiltinQuery(study: Study, query: StudyQuery): QueryPlan {
  const parsed = parseQuery(query.sql, `${query.name}.sql`);
  const select = parsed.parts[0];
  if (parsed.parts.length !== 1 || parsed.orderBy.length > 0 || parsed.limit !== undefined || select.join || select.groupBy.length > 0 || select.having || select.items.length !== 1) unsupported(query, select.at);
  if (select.from.kind !== "table") unsupported(query, select.from.at);
  const schema = findTable(study, select.from.name);
  const item = select.items[0];
  const expression = item.expression;
  if (!expression || expression.kind !== "aggregate") unsupported(query, item.at);
  const columnOf = (reference: Expression) => {
    if (reference.kind !== "column" || (reference.table && reference.table !== select.from.alias && reference.table !== schema.name)) unsupported(query, reference.at);
    const column = schema.columns.find((candidate) => candidate.name.toLowerCase() === (reference as { name: string }).name.toLowerCase());
    if (!column) throw new InputError(`table ${schema.name} has no column ${(reference as { name: string }).name}`, { file: `${query.name}.sql`, ...reference.at }, "invalid-query");
    return column;
  };

  let filter: { column: Column; literal: bigint | string | boolean } | undefined;
  if (select.where) {
    const where = select.where;
    if (where.kind !== "binary" || where.operator !== "=" || where.right.kind !== "literal" || where.right.value === null) unsupported(query, where.at);
    const column = columnOf(where.left);
    const literal = where.right.value;
    const expected = column.type.kind === "bool" ? "boolean" : column.type.kind === "char" || column.type.kind === "varchar" ? "string" : "bigint";
    if (typeof literal !== expected) throw new InputError(`column ${column.name} is ${typeName(column.type)} and cannot be compared with ${JSON.stringify(String(literal))}`, { file: `${query.name}.sql`, ...where.right.at }, "invalid-query");
    if (typeof literal === "bigint" && literal !== BigInt.asIntN(valueBits(column.type), literal)) {
      throw new InputError(`${literal} is outside the range of ${column.name} (${typeName(column.type)}) and can never match`, { file: `${query.name}.sql`, ...where.right.at }, "invalid-query");
    }
    if (typeof literal === "string" && new TextEncoder().encode(literal).length > valueBits(column.type) / 8) {
      throw new InputError(`'${literal}' is longer than ${column.name} (${typeName(column.type)}) and can never match`, { file: `${query.name}.sql`, ...where.right.at }, "invalid-query");
    }
    filter = { column, literal: literal! };
  }

  const name = item.alias ?? (expression.function === "COUNT" ? "count" : "sum");
  let summed: Column | undefined;
  if (expression.function === "COUNT" && !expression.argument) {
    // COUNT(*)
  } else if (expression.function === "SUM" && expression.argument && !filter) {
    summed = columnOf(expression.argument);
    if (!["int32", "int64", "bool"].includes(summed.type.kind)) throw new InputError(`SUM needs an INT32, INT64 or BOOL column; ${summed.name} is ${typeName(summed.type)}`, { file: `${query.name}.sql`, ...expression.argument.at }, "invalid-query");
  } else {
    unsupported(query, expression.at);
  }

  // A SUM is as wide as it must be never to overflow for the public row count; a COUNT fits INT64.
  const outputType = (rows: number): ColumnType => (summed && summed.type.kind !== "bool" ? { kind: "int", bits: Math.max(64, valueBits(summed.type) + bitLength(Math.max(0, rows - 1))) } : OUTPUT_INTEGER);
  const outputColumns = (rows: number): Column[] => [{ name, type: outputType(rows), suppressible: true }];
  return {
    query: query.name,
    table: schema.name,
    outputColumns,
    outputRows: 1,
    async circuit(backend, inputWires, rows) {
      const table = tableFromInputWires(backend, inputWires, schema.columns, rows);
      let keep = table.valid;
      if (filter) {
        const cell = table.columns.find((entry) => entry.column === filter!.column)!.value;
        keep = await backend.and(keep, await equal(backend, cell, literalPlanes(backend, filter.column, filter.literal, rows)));
      }
      const width = valueBits(outputType(rows));
      const count = await countSet(backend, keep);
      let cell: SuppressedCell;
      if (summed) {
        const values = table.columns.find((entry) => entry.column === summed)!.value;
        const signed = summed.type.kind !== "bool";
        const sum = await sumLanes(backend, await maskLanes(backend, values, keep), signed);
        const total = signed ? signExtend(backend, sum, width) : zeroExtend(backend, sum, width);
        // A sum over fewer than t rows would release those few rows' values: suppress it like a small count.
        const byValue = await suppressSmallCells(backend, total, study.minCellCount);
        const byRows = await suppressSmallCells(backend, zeroExtend(backend, count, count.width + 1), study.minCellCount);
        const suppressed = backend.xor(backend.xor(byValue.suppressed, byRows.suppressed), await backend.and(byValue.suppressed, byRows.suppressed));
        cell = { value: await multiplex(backend, suppressed, constantInteger(backend, 0n, width, 1), total), suppressed };
      } else {
        cell = await suppressSmallCells(backend, zeroExtend(backend, count, width), study.minCellCount);
      }
      const output: CircuitTable = {
        rows: 1,
        valid: backend.constant([1]),
        columns: [{ column: outputColumns(rows)[0], value: cell.value, suppressed: cell.suppressed }],
      };
      return tableToOutputWires(backend, output);
    },
  };
}

function literalPlanes(backend: Backend, column: Column, literal: bigint | string | boolean, lanes: number): BitPlanes {
  const width = valueBits(column.type);
  if (typeof literal === "boolean") return constantInteger(backend, literal ? 1n : 0n, 1, lanes);
  if (typeof literal === "bigint") return constantInteger(backend, literal, width, lanes);
  return { wires: backend.constant(encodeCharStrings(new Array<string>(lanes).fill(literal), width / 8)), width, lanes };
}
