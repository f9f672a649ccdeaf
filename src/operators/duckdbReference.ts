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
import { tokenize } from "./sql/lexer.js";
import { outputColumns } from "./output.js";
import { divideAverages } from "../share/averages.js";

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

/**
 * Each `AVG(x)` as `SUM(x), COUNT(x)`, the two columns Catalyst releases for it, so that DuckDB's rows line up
 * with the plan's columns and the same suppression rules and division apply (the binder allows AVG only as
 * a whole output column, so this textual rewrite is safe).
 */
function averagesAsParts(sql: string, file: string): string {
  const tokens = tokenize(sql, file);
  let result = "";
  let copied = 0;
  for (let index = 0; index + 1 < tokens.length; index++) {
    const [name, open] = [tokens[index], tokens[index + 1]];
    if (name.kind !== "identifier" || name.text.toUpperCase() !== "AVG" || open.kind !== "symbol" || open.text !== "(") continue;
    let depth = 0;
    let close = index + 1;
    for (; close < tokens.length; close++) {
      if (tokens[close].kind === "symbol" && tokens[close].text === "(") depth++;
      if (tokens[close].kind === "symbol" && tokens[close].text === ")" && --depth === 0) break;
    }
    const argument = sql.slice(open.offset + 1, tokens[close].offset);
    result += `${sql.slice(copied, name.offset)}SUM(${argument}), COUNT(${argument})`;
    copied = tokens[close].offset + 1;
    index = close;
  }
  return result + sql.slice(copied);
}

/** The released rows DuckDB gives for `query`, after the minimum cell count, with AVG divided as reveal does. */
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
    const reader = await connection.runAndReadAll(averagesAsParts(standardSql(query.sql, `${query.name}.sql`), `${query.name}.sql`).replace(/;\s*$/, ""));
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
    return divideAverages(outputColumns(plan.columns), released).rows;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
