/**
 * One partner's CSV of one table turned into its two sealed shares, as `catalyst share` and the portal's
 * share worker both do it: validated row by row against the table and the keys the study's joins need
 * unique, sorted the way the study's joins and GROUP BYs merge, split and sealed to each compute party.
 */
import { readCsvRows } from "../share/csvTable.js";
import type { ByteSink } from "../share/sealedStream.js";
import { writeTableShares } from "../share/shareFile.js";
import { findPartner, findTable, type Role, type Study } from "../share/study.js";
import { shareSortKeyOf, uniqueKeysOf } from "./joinKeys.js";

export interface TableSharesOutcome {
  rows: number;
  /** The columns the rows were sorted by before sharing, if a study join or GROUP BY merges on them. */
  sortedBy?: string[];
  digests: Record<Role, string>;
}

/** Reads `csv` (bytes or text chunks, named `file` in errors) and writes both shares; throws on the first bad row. */
export async function shareTableCsv(
  study: Study,
  partner: string,
  table: string,
  csv: AsyncIterable<Uint8Array | string>,
  file: string,
  sinks: Record<Role, ByteSink>,
  onProgress?: (rows: number) => void,
): Promise<TableSharesOutcome> {
  findPartner(study, partner);
  const schema = findTable(study, table);
  // A join keeps one row per key of its right side, so those keys must not repeat in this upload.
  const rows = readCsvRows(csv, schema, { file, uniqueKeys: uniqueKeyChecks(study, table) });
  // Rows sorted by a within-site join key, or else by a group key, let MPC merge sorted runs instead of sorting them.
  const sortedBy = shareSortKeyOf(study, table);
  const outcome = await writeTableShares(study, partner, table, rows, sinks, onProgress, { sortedBy });
  return { rows: outcome.rows, sortedBy, digests: outcome.digests };
}

/** The unique keys a study's joins need of a table, with the reason for the error message. */
export function uniqueKeyChecks(study: Study, table: string): Array<{ columns: string[]; reason: string }> {
  const queriesByKey = new Map<string, { columns: string[]; queries: string[] }>();
  for (const key of uniqueKeysOf(study, table)) {
    const entry = queriesByKey.get(key.columns.join(",")) ?? { columns: key.columns, queries: [] };
    entry.queries.push(key.query);
    queriesByKey.set(key.columns.join(","), entry);
  }
  return [...queriesByKey.values()].map(({ columns, queries }) => ({
    columns, reason: `${queries.length > 1 ? "queries" : "query"} ${queries.join(", ")} ${queries.length > 1 ? "join" : "joins"} on ${columns.join(", ")} and need${queries.length > 1 ? "" : "s"} it unique within each partner's ${table}`,
  }));
}
