/**
 * One partner's CSV of one table turned into its two sealed shares (or, for a pushdown partner, its
 * partial aggregates), as `catalyst share` and the portal's
 * share worker both do it: validated row by row against the table and the keys the study's joins need
 * unique, sorted the way the study's joins and GROUP BYs merge, split and sealed to each compute party.
 */
import { readCsvRows } from "../share/csvTable.js";
import { InputError, UsageError } from "../share/errors.js";
import type { ByteSink } from "../share/sealedStream.js";
import { writeTableShares } from "../share/shareFile.js";
import { findPartner, findTable, pushdownOf, type Role, type Study } from "../share/study.js";
import { shareSortKeyOf, uniqueKeysOf } from "./joinKeys.js";
import type { ClearValue } from "./rowEvaluator.js";
import { partnerPartials, toCells } from "./sitePartials.js";

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

/** The tables of a pushdown partner that the study's partial aggregates read: only these are ever read. */
export function partialsInputs(study: Study, partner: string): string[] {
  const read = new Set((study.pushdown?.tables ?? []).flatMap((table) => table.reads));
  return findPartner(study, partner).tables.filter((table) => read.has(table));
}

export interface PartialsOutcome {
  /** Rows read from each CSV: never uploaded, never public. */
  rowsRead: Record<string, number>;
  tables: Array<{ table: string; query: string; rows: number; groups: number; paddedTo?: number; sortedBy?: string[]; digests: Record<Role, string> }>;
}

/**
 * A pushdown partner's share, as `catalyst share --plan` and the portal both make it: each site-local GROUP
 * BY of the study computed over the partner's own CSVs in the clear, and only the partial aggregates (one row
 * per local group, padded with dummy rows to `padTo` if given) shared and sealed. Every check runs before the
 * first byte is written to any sink.
 */
export async function sharePartnerPartials(
  study: Study,
  partner: string,
  csvs: Record<string, { csv: AsyncIterable<Uint8Array | string>; file: string }>,
  sinksFor: (table: string) => Promise<Record<Role, ByteSink>>,
  padTo?: number,
): Promise<PartialsOutcome> {
  const holder = findPartner(study, partner);
  const bound = pushdownOf(study, partner);
  if (!bound) throw new UsageError(`partner ${partner} does not push down in this study`);
  const site = BigInt(study.partners.indexOf(holder));
  const rowsByTable = new Map<string, ClearValue[][]>();
  const rowsRead: Record<string, number> = {};
  for (const table of holder.tables.filter((name) => csvs[name])) {
    const { csv, file } = csvs[table];
    const rows: ClearValue[][] = [];
    for await (const batch of readCsvRows(csv, findTable(study, table), { file, uniqueKeys: uniqueKeyChecks(study, table) })) {
      for (const row of batch) rows.push([...row.map((value) => (typeof value === "number" ? BigInt(value) : value)), site]);
    }
    // The circuit's integers are sized from the public bound, so more rows could overflow them.
    if (rows.length > bound.maxRows) throw new InputError(`${table} has ${rows.length} rows, more than the ${bound.maxRows} this study allows ${partner} (its public bound)`, { file });
    rowsByTable.set(table, rows);
    rowsRead[table] = rows.length;
  }
  const partials = partnerPartials(study, partner, (table) => rowsByTable.get(table) ?? []);
  for (const { table, rows } of partials) {
    if (padTo !== undefined && rows.length > padTo) throw new InputError(`${partner} has ${rows.length} groups for ${table.name} (query ${table.query}), more than --pad-to ${padTo}; raise the bound`);
  }
  const tables: PartialsOutcome["tables"] = [];
  for (const { table, rows, sortedBy } of partials) {
    const dummyRows = padTo === undefined ? 0 : padTo - rows.length;
    const batches = (async function* () { for (let start = 0; start < rows.length; start += 8192) yield rows.slice(start, start + 8192).map(toCells); })();
    // Dummy rows break the order, and MPC treats a sorted upload as all valid rows: claim none when padded.
    const claimed = dummyRows === 0 ? sortedBy : undefined;
    const outcome = await writeTableShares(study, partner, table.name, batches, await sinksFor(table.name), undefined, { sortedBy: claimed, presorted: true, dummyRows });
    tables.push({ table: table.name, query: table.query, rows: outcome.rows, groups: rows.length, ...(padTo !== undefined ? { paddedTo: padTo } : {}), ...(claimed ? { sortedBy: claimed } : {}), digests: outcome.digests });
  }
  return { rowsRead, tables };
}
