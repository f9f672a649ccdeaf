/** `catalyst share`: validate a partner's CSV, encode it, split it into XOR shares and seal one to each compute party. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { AtomicFile, commitAll } from "../share/atomicFile.js";
import { readCsvRows } from "../share/csvTable.js";
import { InputError } from "../share/errors.js";
import { shareFileName, writeTableShares } from "../share/shareFile.js";
import { findPartner, findTable, partyOf, ROLES, type Role, type Study } from "../share/study.js";
import { mergeKeyOf, uniqueKeysOf } from "../operators/joinKeys.js";
import { audited } from "./auditLog.js";
import { action } from "./command.js";
import { loadStudy } from "./files.js";

interface ShareOptions {
  study: string;
  partner: string;
  table: string;
  csv: string;
  out: string;
}

export interface ShareReceipt {
  partner: string;
  table: string;
  rows: number;
  /** The columns the rows were sorted by before sharing, if a study join merges on them. */
  sortedBy?: string[];
  seconds: number;
  shares: Array<{ role: Role; party: string; path: string; bytes: number; digest: string }>;
}

/** Shares one CSV into OUT/PARTNER/TABLE.PARTY.share for both parties; writes nothing if any row is bad. */
export async function shareCsv(study: Study, options: { partner: string; table: string; csv: string; out: string }, onProgress?: (rows: number) => void): Promise<ShareReceipt> {
  findPartner(study, options.partner);
  const schema = findTable(study, options.table);
  const csvStat = await stat(options.csv).catch(() => undefined);
  if (!csvStat) throw new InputError("cannot read the CSV: no such file", { file: options.csv }, "unreadable");
  if (!csvStat.isFile()) throw new InputError("cannot read the CSV: not a file", { file: options.csv }, "unreadable");

  const paths = Object.fromEntries(ROLES.map((role) => [role, join(options.out, ...shareFileName(study, options.partner, options.table, role).split("/"))])) as Record<Role, string>;
  const files = { garbler: await AtomicFile.create(paths.garbler), evaluator: await AtomicFile.create(paths.evaluator) };
  const started = performance.now();
  try {
    // A join keeps one row per key of its right side, so those keys must not repeat in this upload.
    const queriesByKey = new Map<string, { columns: string[]; queries: string[] }>();
    for (const key of uniqueKeysOf(study, options.table)) {
      const entry = queriesByKey.get(key.columns.join(",")) ?? { columns: key.columns, queries: [] };
      entry.queries.push(key.query);
      queriesByKey.set(key.columns.join(","), entry);
    }
    const uniqueKeys = [...queriesByKey.values()].map(({ columns, queries }) => ({
      columns, reason: `${queries.length > 1 ? "queries" : "query"} ${queries.join(", ")} ${queries.length > 1 ? "join" : "joins"} on ${columns.join(", ")} and need${queries.length > 1 ? "" : "s"} it unique within each partner's ${options.table}`,
    }));
    const rows = readCsvRows(createReadStream(options.csv), schema, { file: options.csv, uniqueKeys });
    // Rows sorted by the within-site join key let MPC merge sorted runs instead of sorting them.
    const sortedBy = mergeKeyOf(study, options.table);
    const outcome = await writeTableShares(study, options.partner, options.table, rows, { garbler: files.garbler.write, evaluator: files.evaluator.write }, onProgress, { sortedBy });
    await commitAll([files.garbler, files.evaluator]);
    return {
      partner: options.partner,
      table: options.table,
      rows: outcome.rows,
      sortedBy,
      seconds: (performance.now() - started) / 1000,
      shares: ROLES.map((role) => ({ role, party: partyOf(study, role).name, path: paths[role], bytes: files[role].bytesWritten, digest: outcome.digests[role] })),
    };
  } catch (error) {
    await AtomicFile.abortAll([files.garbler, files.evaluator]);
    throw error;
  }
}

export function registerShare(program: Command): void {
  program
    .command("share")
    .description("validate a CSV against its table, split it into two XOR shares and seal each to its compute party")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--partner <name>", "your data partner name in the study")
    .requiredOption("--table <name>", "the table this CSV holds")
    .requiredOption("--csv <file>", "the CSV exported from your database (header line required)")
    .requiredOption("--out <dir>", "folder for the sealed shares (written as OUT/PARTNER/TABLE.PARTY.share)")
    .action(action<ShareOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      const progress = reporter.progress(`sharing ${options.csv}`);
      const receipt = await audited(options, reporter, { action: "share", study, actingAs: `partner ${options.partner}` }, async () => {
        try {
          const made = await shareCsv(study, options, (rows) => progress.update(`sharing ${options.csv}: ${rows.toLocaleString("en-US")} rows`));
          return { result: made, details: { partner: made.partner, table: made.table, csv: options.csv, rows: made.rows, shares: made.shares.map(({ role, party, path, bytes, digest }) => ({ role, party, file: path, bytes, digest })) } };
        } finally {
          progress.stop();
        }
      });
      reporter.result({ study: study.id, ...receipt });
      reporter.line(`${options.partner}/${options.table}: ${receipt.rows} rows in ${receipt.seconds.toFixed(1)} s${receipt.sortedBy ? `, sorted by ${receipt.sortedBy.join(", ")}` : ""}`);
      for (const entry of receipt.shares) reporter.line(`  ${entry.role.padEnd(9)} ${entry.path}  ${entry.bytes} bytes  ${entry.digest}`);
      if (receipt.rows === 0) reporter.warn(`${options.csv} has a header but no rows; an empty table was shared`);
    }));
}
