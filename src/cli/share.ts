/** `catalyst share`: validate a partner's CSV, encode it, split it into XOR shares and seal one to each compute party. */
import { createReadStream, type ReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { AtomicFile, commitAll } from "../share/atomicFile.js";
import { InputError, UsageError } from "../share/errors.js";
import { shareFileName } from "../share/shareFile.js";
import { findPartner, findTable, partyOf, pushdownOf, ROLES, type Role, type Study } from "../share/study.js";
import { partialsInputs, sharePartnerPartials, shareTableCsv } from "../operators/tableShares.js";
import { audited } from "./auditLog.js";
import { action, collect, wholeNumber } from "./command.js";
import type { GlobalOptions, Reporter } from "./output.js";
import { loadStudy } from "./files.js";

interface ShareOptions extends GlobalOptions {
  study: string;
  partner: string;
  table?: string;
  csv?: string[];
  out: string;
  plan?: boolean;
  padTo?: string;
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
  findTable(study, options.table);
  const csvStat = await stat(options.csv).catch(() => undefined);
  if (!csvStat) throw new InputError("cannot read the CSV: no such file", { file: options.csv }, "unreadable");
  if (!csvStat.isFile()) throw new InputError("cannot read the CSV: not a file", { file: options.csv }, "unreadable");

  const paths = Object.fromEntries(ROLES.map((role) => [role, join(options.out, ...shareFileName(study, options.partner, options.table, role).split("/"))])) as Record<Role, string>;
  const files = { garbler: await AtomicFile.create(paths.garbler), evaluator: await AtomicFile.create(paths.evaluator) };
  const started = performance.now();
  try {
    const outcome = await shareTableCsv(study, options.partner, options.table, createReadStream(options.csv), options.csv, { garbler: files.garbler.write, evaluator: files.evaluator.write }, onProgress);
    await commitAll([files.garbler, files.evaluator]);
    return {
      partner: options.partner,
      table: options.table,
      rows: outcome.rows,
      sortedBy: outcome.sortedBy,
      seconds: (performance.now() - started) / 1000,
      shares: ROLES.map((role) => ({ role, party: partyOf(study, role).name, path: paths[role], bytes: files[role].bytesWritten, digest: outcome.digests[role] })),
    };
  } catch (error) {
    await AtomicFile.abortAll([files.garbler, files.evaluator]);
    throw error;
  }
}

export interface PartialsReceipt {
  partner: string;
  /** Rows read from each of the partner's CSVs: never uploaded, never public. */
  rowsRead: Record<string, number>;
  seconds: number;
  tables: Array<Omit<ShareReceipt, "partner" | "seconds"> & { groups: number; paddedTo?: number }>;
}

/**
 * `catalyst share --plan`: a pushdown partner computes each site-local GROUP BY of the study over its own CSVs
 * and shares the partial aggregates (one row per local group, padded to `padTo` if given) instead of its rows.
 * All tables are written or none.
 */
export async function sharePartials(study: Study, options: { partner: string; csvs: Record<string, string>; out: string; padTo?: number }): Promise<PartialsReceipt> {
  const partner = findPartner(study, options.partner);
  if (!pushdownOf(study, options.partner)) throw new UsageError(`partner ${options.partner} does not push down in this study; share each table with --table and --csv, or ask the investigator to list it with \`catalyst study init --pushdown\``);
  for (const table of Object.keys(options.csvs)) {
    if (!partner.tables.includes(table)) throw new UsageError(`--csv ${table}=…: partner ${options.partner} does not hold table ${table} in this study (it holds ${partner.tables.join(", ")})`);
  }
  // Only the tables some partial aggregate reads: a table no query reads never leaves the site in any form.
  const missing = partialsInputs(study, options.partner).filter((table) => !options.csvs[table]);
  if (missing.length > 0) throw new UsageError(`--plan needs every table of ${options.partner} that the study's queries read: give --csv ${missing.map((table) => `${table}=FILE`).join(" --csv ")}`);
  const started = performance.now();
  const csvFiles: Record<string, { csv: ReadStream; file: string }> = {};
  for (const table of partner.tables.filter((name) => options.csvs[name])) {
    const file = options.csvs[table];
    const csvStat = await stat(file).catch(() => undefined);
    if (!csvStat?.isFile()) throw new InputError("cannot read the CSV: no such file", { file }, "unreadable");
    csvFiles[table] = { csv: createReadStream(file), file };
  }
  const written = new Map<string, { paths: Record<Role, string>; files: Record<Role, AtomicFile> }>();
  const opened = () => [...written.values()].flatMap(({ files }) => [files.garbler, files.evaluator]);
  try {
    const outcome = await sharePartnerPartials(study, options.partner, csvFiles, async (table) => {
      const paths = Object.fromEntries(ROLES.map((role) => [role, join(options.out, ...shareFileName(study, options.partner, table, role).split("/"))])) as Record<Role, string>;
      const files = { garbler: await AtomicFile.create(paths.garbler), evaluator: await AtomicFile.create(paths.evaluator) };
      written.set(table, { paths, files });
      return { garbler: files.garbler.write, evaluator: files.evaluator.write };
    }, options.padTo);
    await commitAll(opened());
    const tables: PartialsReceipt["tables"] = outcome.tables.map(({ table, rows, groups, paddedTo, sortedBy, digests }) => ({
      table, rows, groups, ...(paddedTo !== undefined ? { paddedTo } : {}), ...(sortedBy ? { sortedBy } : {}),
      shares: ROLES.map((role) => ({ role, party: partyOf(study, role).name, path: written.get(table)!.paths[role], bytes: written.get(table)!.files[role].bytesWritten, digest: digests[role] })),
    }));
    return { partner: options.partner, rowsRead: outcome.rowsRead, seconds: (performance.now() - started) / 1000, tables };
  } catch (error) {
    await AtomicFile.abortAll(opened());
    // Files of one table are still open when a later read fails: each stream is let go.
    for (const { csv } of Object.values(csvFiles)) csv.destroy();
    throw error;
  }
}

export function registerShare(program: Command): void {
  program
    .command("share")
    .description("validate a CSV against its table, split it into two XOR shares and seal each to its compute party")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--partner <name>", "your data partner name in the study")
    .option("--table <name>", "the table this CSV holds")
    .option("--csv <file>", "the CSV exported from your database (header line required); with --plan, TABLE=FILE for each of your tables", collect)
    .requiredOption("--out <dir>", "folder for the sealed shares (written as OUT/PARTNER/TABLE.PARTY.share)")
    .option("--plan", "push site-local work down: compute each query's GROUP BY over your own rows and share only the partial aggregates (the study must list you with --pushdown)")
    .option("--pad-to <rows>", "with --plan: pad each partial table with dummy rows to this public bound, so the number of local groups stays private")
    .action(action<ShareOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      if (options.plan) return sharePlanCommand(study, options, reporter);
      if (options.padTo !== undefined) throw new UsageError("--pad-to needs --plan");
      if (!options.table || options.csv?.length !== 1) throw new UsageError("give --table and one --csv (or --plan with --csv TABLE=FILE for each table)");
      const shared = { study: options.study, partner: options.partner, table: options.table, csv: options.csv[0], out: options.out };
      const progress = reporter.progress(`sharing ${shared.csv}`);
      const receipt = await audited(options, reporter, { action: "share", study, actingAs: `partner ${options.partner}` }, async () => {
        try {
          const made = await shareCsv(study, shared, (rows) => progress.update(`sharing ${shared.csv}: ${rows.toLocaleString("en-US")} rows`));
          return { result: made, details: { partner: made.partner, table: made.table, csv: shared.csv, rows: made.rows, shares: made.shares.map(({ role, party, path, bytes, digest }) => ({ role, party, file: path, bytes, digest })) } };
        } finally {
          progress.stop();
        }
      });
      reporter.result({ study: study.id, ...receipt });
      reporter.line(`${options.partner}/${shared.table}: ${receipt.rows} rows in ${receipt.seconds.toFixed(1)} s${receipt.sortedBy ? `, sorted by ${receipt.sortedBy.join(", ")}` : ""}`);
      for (const entry of receipt.shares) reporter.line(`  ${entry.role.padEnd(9)} ${entry.path}  ${entry.bytes} bytes  ${entry.digest}`);
      if (receipt.rows === 0) reporter.warn(`${shared.csv} has a header but no rows; an empty table was shared`);
    }));
}

async function sharePlanCommand(study: Study, options: ShareOptions, reporter: Reporter): Promise<void> {
  if (options.table) throw new UsageError("--plan shares every table of the partner at once: give --csv TABLE=FILE for each, not --table");
  const csvs: Record<string, string> = {};
  for (const flag of options.csv ?? []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(flag);
    if (!match) throw new UsageError(`with --plan, --csv expects TABLE=FILE, got "${flag}"`);
    if (csvs[match[1]]) throw new UsageError(`--csv ${match[1]}=… is given twice`);
    csvs[match[1]] = match[2];
  }
  const padTo = options.padTo === undefined ? undefined : wholeNumber(options.padTo, "--pad-to");
  const progress = reporter.progress(`computing ${options.partner}'s partial aggregates`);
  const receipt = await audited(options, reporter, { action: "share", study, actingAs: `partner ${options.partner}` }, async () => {
    try {
      const made = await sharePartials(study, { partner: options.partner, csvs, out: options.out, padTo });
      return {
        result: made,
        details: { partner: made.partner, pushdown: true, csvs, rowsRead: made.rowsRead, tables: made.tables.map(({ table, rows, groups, shares }) => ({ table, rows, groups, shares: shares.map(({ role, party, path, bytes, digest }) => ({ role, party, file: path, bytes, digest })) })) },
      };
    } finally {
      progress.stop();
    }
  });
  reporter.result({ study: study.id, ...receipt });
  reporter.line(`${options.partner}: read ${Object.entries(receipt.rowsRead).map(([table, rows]) => `${table} ${rows} rows`).join(", ")}; only partial aggregates leave the site (${receipt.seconds.toFixed(1)} s)`);
  for (const table of receipt.tables) {
    reporter.line(`${options.partner}/${table.table}: ${table.groups} groups${table.paddedTo !== undefined ? `, padded to ${table.paddedTo} rows` : ""}${table.sortedBy ? `, sorted by ${table.sortedBy.join(", ")}` : ""}`);
    for (const entry of table.shares) reporter.line(`  ${entry.role.padEnd(9)} ${entry.path}  ${entry.bytes} bytes  ${entry.digest}`);
  }
  if (padTo === undefined) reporter.warn(`each partial table's row count (the number of local groups) becomes public to both compute parties; --pad-to N hides it behind a bound`);
}
