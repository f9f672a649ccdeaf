/**
 * `catalyst verify`: the study's queries in the clear over the partners' CSVs, twice (the compiled circuits on
 * the plaintext backend, and DuckDB), with the same suppression rules; optionally checked against a revealed
 * MPC result, cell by cell. For synthetic or non-sensitive data only.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { parse } from "csv-parse/sync";
import { queryInTheClear } from "../operators/clearRun.js";
import { queryWithDuckDb } from "../operators/duckdbReference.js";
import { CatalystError, ExitCode, InputError, UsageError } from "../share/errors.js";
import type { Cell } from "../share/rowCodec.js";
import { formatValue } from "../share/values.js";
import { action, collect } from "./command.js";
import { loadStudy, readText } from "./files.js";

interface VerifyOptions {
  study: string;
  csvRoot: string;
  query?: string[];
  result?: string;
}

function cellText(cell: Cell): string {
  return typeof cell === "object" ? "" : formatValue(cell);
}

/** Row-by-row differences between two tables of text cells, at most `limit` of them. */
function differences(expected: string[][], actual: string[][], ordered: boolean, limit = 10): string[] {
  const sort = (rows: string[][]) => (ordered ? rows : [...rows].sort((a, b) => (a.join("\u0000") < b.join("\u0000") ? -1 : 1)));
  const [a, b] = [sort(expected), sort(actual)];
  const found: string[] = [];
  if (a.length !== b.length) found.push(`${a.length} rows expected, ${b.length} found`);
  for (let row = 0; row < Math.min(a.length, b.length) && found.length < limit; row++) {
    for (let column = 0; column < Math.max(a[row].length, b[row].length); column++) {
      if (a[row][column] !== b[row][column]) found.push(`row ${row + 1}, column ${column + 1}: expected "${a[row][column] ?? ""}", found "${b[row][column] ?? ""}"`);
    }
  }
  return found.slice(0, limit);
}

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("run the queries in the clear (circuits on plaintext, and DuckDB) over CSV_ROOT/PARTNER/TABLE.csv and compare")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--csv-root <dir>", "folder with one sub-folder per partner holding TABLE.csv files")
    .option("--query <name>", "only this query (repeatable)", collect)
    .option("--result <file>", "a revealed MPC result (CSV) of the one --query to compare cell by cell")
    .action(action<VerifyOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      const selected = options.query?.length ? options.query : study.queries.map((query) => query.name);
      if (options.result && selected.length !== 1) throw new UsageError("--result compares one query: name it with --query");
      const csvOf = (partner: string, table: string) => {
        const path = join(options.csvRoot, partner, `${table}.csv`);
        if (!existsSync(path)) throw new InputError(`missing ${partner}'s ${table}: expected ${path}`, { file: path }, "unreadable");
        return path;
      };
      const report = [];
      for (const name of selected) {
        const query = study.queries.find((candidate) => candidate.name === name);
        if (!query) throw new InputError(`query ${name} is not in the study`);
        const ordered = /\bORDER\s+BY\b/i.test(query.sql);
        const circuit = (await queryInTheClear(study, query, csvOf)).map((row) => row.map(cellText));
        const duckdb = (await queryWithDuckDb(study, query, csvOf)).map((row) => row.map(cellText));
        const engines = differences(duckdb, circuit, ordered);
        let result: string[] | undefined;
        if (options.result) {
          const rows = (parse(await readText(options.result, "the revealed result")) as string[][]).slice(1);
          result = differences(circuit, rows, ordered);
        }
        report.push({ query: name, rows: circuit.length, circuitMatchesDuckDb: engines.length === 0, engineDifferences: engines, ...(result ? { resultMatches: result.length === 0, resultDifferences: result } : {}) });
      }
      const ok = report.every((entry) => entry.circuitMatchesDuckDb && entry.resultMatches !== false);
      for (const entry of report) {
        reporter.line(`${entry.query}: ${entry.rows} released rows; circuits in the clear ${entry.circuitMatchesDuckDb ? "= DuckDB" : "≠ DuckDB"}${entry.resultMatches === undefined ? "" : entry.resultMatches ? "; MPC result matches" : "; MPC result DIFFERS"}`);
        for (const line of [...entry.engineDifferences, ...(entry.resultDifferences ?? [])]) reporter.line(`    ${line}`);
      }
      if (!ok) {
        const failure = new CatalystError("mismatch", "verification found differences (listed above)", ExitCode.mismatch);
        failure.details = { queries: report };
        throw failure;
      }
      reporter.result({ study: study.id, queries: report });
    }));
}
