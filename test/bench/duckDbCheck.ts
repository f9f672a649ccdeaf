/** For the benchmarks: whether a revealed result CSV holds exactly DuckDB's answer over the partners' CSVs. */
import { parse } from "csv-parse/sync";
import { readFile } from "node:fs/promises";
import { queryWithDuckDb } from "../../src/operators/duckdbReference.js";
import type { Study } from "../../src/share/study.js";
import { formatValue } from "../../src/share/values.js";

/** Rows compared as multisets, cells as the result CSV writes them (suppressed and NULL cells empty). */
export async function resultEqualsDuckDb(study: Study, queryName: string, csvOf: (partner: string, table: string) => string, resultCsv: string): Promise<{ matches: boolean; rows: number }> {
  const reference = await queryWithDuckDb(study, study.queries.find((candidate) => candidate.name === queryName)!, csvOf);
  const expected = reference.map((row) => row.map((cell) => (typeof cell === "object" ? "" : formatValue(cell))).join("\u0000")).sort();
  const revealed = (parse(await readFile(resultCsv, "utf8")) as string[][]).slice(1).map((row) => row.join("\u0000")).sort();
  return { matches: JSON.stringify(expected) === JSON.stringify(revealed), rows: reference.length };
}
