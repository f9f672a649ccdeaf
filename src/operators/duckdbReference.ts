/**
 * An independent answer to a study query: DuckDB runs the same SQL over the partners' CSVs (each table the
 * union of its partners' files with `_site` added), then the same minimum-cell-count rule is applied in
 * plain code. Nothing here shares code with the circuits, which is the point.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { Cell } from "../share/rowCodec.js";
import type { ColumnType } from "../share/schema.js";
import { findTable, type Query, type Study } from "../share/study.js";
import { bindQuery } from "./sql/binder.js";
import { parseQuery, standardSql } from "./sql/parser.js";

function duckdbType(type: ColumnType): string {
  switch (type.kind) {
    // Wide enough that DuckDB never overflows where the circuit widens (INT64 extremes, products).
    case "int32":
    case "int64":
    case "int": return "HUGEINT";
    case "bool": return "BOOLEAN";
    case "char":
    case "varchar": return "VARCHAR";
  }
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The released rows DuckDB gives for `query`, after the minimum cell count. */
export async function queryWithDuckDb(study: Study, query: Query, csvOf: (partner: string, table: string) => string): Promise<Cell[][]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const table of study.tables) {
      const columns = `{${table.columns.map((column) => `${quoteLiteral(column.name)}: ${quoteLiteral(duckdbType(column.type))}`).join(", ")}}`;
      const parts = study.partners.map((partner, index) => ({ partner, index })).filter(({ partner }) => partner.tables.includes(table.name))
        .map(({ partner, index }) => `SELECT *, ${index}::INTEGER AS _site FROM read_csv(${quoteLiteral(csvOf(partner.name, table.name))}, header = true, columns = ${columns}, all_varchar = false, nullstr = '\u0001never\u0001')`);
      const empty = `SELECT ${table.columns.map((column) => `NULL::${duckdbType(column.type)} AS "${column.name}"`).join(", ")}, NULL::INTEGER AS _site WHERE false`;
      await connection.run(`CREATE TABLE "${table.name}" AS ${parts.length > 0 ? parts.join(" UNION ALL ") : empty}`);
    }
    const reader = await connection.runAndReadAll(standardSql(query.sql, `${query.name}.sql`).replace(/;\s*$/, ""));
    const rows = reader.getRows() as unknown[][];
    const plan = bindQuery(parseQuery(query.sql, `${query.name}.sql`), study, (table) => Math.max(1, rows.length + findTable(study, table).columns.length), `${query.name}.sql`);
    const countColumns = plan.columns.map((column, index) => (column.countLike ? index : -1)).filter((index) => index >= 0);
    const groupSizeColumns = plan.columns.map((column, index) => (column.groupSize ? index : -1)).filter((index) => index >= 0);
    const released: Cell[][] = [];
    for (const row of rows) {
      const cells: Cell[] = row.map((value, index): Cell => {
        if (value === null || value === undefined) return { null: true };
        if (countColumns.includes(index)) {
          const number = BigInt(value as bigint | number);
          if (number >= 1n && number < BigInt(study.minCellCount)) return { suppressed: true };
        }
        return typeof value === "number" || typeof value === "bigint" ? BigInt(value) : (value as string | boolean);
      });
      // A row whose count cells are all suppressed, zero or NULL has nothing to release.
      const releasesUnsuppressed = plan.columns.some((column) => column.unsuppressed);
      if (countColumns.length > 0 && !releasesUnsuppressed && countColumns.every((index) => typeof cells[index] === "object" || cells[index] === 0n)) continue;
      // A group whose COUNT(*) is under the threshold is not released at all.
      if (groupSizeColumns.some((index) => typeof cells[index] === "object" && "suppressed" in (cells[index] as object))) continue;
      released.push(cells);
    }
    return released;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
