/** Sorting a partner's rows by a key before sharing, in exactly the order the circuit compares encoded values. */
import { UsageError } from "./errors.js";
import type { ColumnType, TableSchema } from "./schema.js";
import type { Value } from "./values.js";

const utf8 = new TextEncoder();

/** Signed integers by value, false before true, strings by their UTF-8 bytes (as the zero-padded encoding). */
function compareValues(type: ColumnType, a: Value, b: Value): number {
  switch (type.kind) {
    case "bool":
      return Number(a) - Number(b);
    case "char":
    case "varchar": {
      const left = utf8.encode(String(a));
      const right = utf8.encode(String(b));
      for (let i = 0; i < Math.min(left.length, right.length); i++) if (left[i] !== right[i]) return left[i] - right[i];
      return left.length - right.length;
    }
    default: {
      const left = BigInt(a as number | bigint);
      const right = BigInt(b as number | bigint);
      return left < right ? -1 : left > right ? 1 : 0;
    }
  }
}

/** A comparator of rows by `columns` of `schema`, first column most significant. */
export function rowComparator(schema: TableSchema, columns: readonly string[]): (a: Value[], b: Value[]) => number {
  const keys = columns.map((name) => {
    const index = schema.columns.findIndex((column) => column.name === name);
    if (index < 0) throw new UsageError(`table ${schema.name} has no column ${name} to sort by`);
    return { index, type: schema.columns[index].type };
  });
  return (a, b) => {
    for (const { index, type } of keys) {
      const order = compareValues(type, a[index], b[index]);
      if (order !== 0) return order;
    }
    return 0;
  };
}
