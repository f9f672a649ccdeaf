/** `catalyst inbox check`: open and verify every share in a compute party's inbox and list what is missing. */
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { Command } from "commander";
import { CatalystError, ExitCode, InputError, IntegrityError } from "../share/errors.js";
import { fingerprint } from "../share/keys.js";
import { openShareFile, shareFileName } from "../share/shareFile.js";
import { partyOf, roleOfKey, uploadedTables, type Role, type Study } from "../share/study.js";
import { openBucket } from "../transport/bucket.js";
import { pullShares, type PullOutcome } from "../transport/bucketPull.js";
import { fileDigest } from "../transport/fileDigests.js";
import { parseStoreAddress } from "../transport/storeAddress.js";
import { audited } from "./auditLog.js";
import { action } from "./command.js";
import type { Reporter } from "./output.js";
import { formatBytes } from "./progressBar.js";
import { loadSecretKey, loadStudy } from "./files.js";

interface CheckOptions {
  study: string;
  key: string;
  inbox: string;
}

interface PullOptions {
  study: string;
  key: string;
  store: string;
  out: string;
}

export interface InboxEntry {
  partner: string;
  table: string;
  file: string;
  status: "ok" | "missing" | "invalid";
  rows?: number;
  error?: string;
  /** `sha256:HEX` of the file, where one was read. */
  digest?: string;
  /** The columns the partner sorted the rows by (see joinKeys.ts), when it did. */
  sortedBy?: string[];
}

/** The compute role a secret key plays in the study, or a clear error. */
export function computeRoleOf(study: Study, publicKey: Uint8Array, keyFile: string): Role {
  const role = roleOfKey(study, publicKey);
  if (role === "garbler" || role === "evaluator") return role;
  throw new IntegrityError(`this key (${fingerprint(publicKey)}) is neither compute party's in study "${study.name}": the garbler ${study.garbler.name} has ${fingerprint(study.garbler.publicKey)}, the evaluator ${study.evaluator.name} has ${fingerprint(study.evaluator.publicKey)}`, { file: keyFile }, "wrong-key");
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read the inbox: ${error.code === "ENOENT" ? "no such folder" : error.message}`, { file: root }, "unreadable");
  });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
}

/** Verifies every share in the inbox for `role`; returns one entry per expected or unexpected share file. */
export async function checkInbox(study: Study, role: Role, secretKey: Uint8Array, inbox: string): Promise<InboxEntry[]> {
  const files = (await listFiles(inbox)).filter((path) => path.endsWith(".share"));
  const entries: InboxEntry[] = [];
  const seen = new Set<string>();
  for (const partner of study.partners) {
    for (const table of uploadedTables(study, partner.name)) {
      const name = shareFileName(study, partner.name, table, role);
      const path = join(inbox, ...name.split("/"));
      if (!files.includes(path)) { entries.push({ partner: partner.name, table, file: path, status: "missing" }); continue; }
      seen.add(path);
      try {
        const opened = await openShareFile(createReadStream(path), secretKey, study, path, { role, partner: partner.name, table });
        entries.push({ partner: partner.name, table, file: path, status: "ok", rows: opened.rows, sortedBy: opened.header.sortedBy });
      } catch (error) {
        if (!(error instanceof CatalystError)) throw error;
        entries.push({ partner: partner.name, table, file: path, status: "invalid", error: error.describe() });
      }
    }
  }
  for (const path of files.filter((file) => !seen.has(file))) {
    const [partner = "?", base = ""] = relative(inbox, path).split(sep);
    const expectedName = `${partyOf(study, role).name}.share`;
    const reason = base.endsWith(`.${expectedName}`) ? "this study expects no such partner or table" : `not addressed to this party (expected names ending in .${expectedName})`;
    entries.push({ partner, table: base.split(".")[0], file: path, status: "invalid", error: `${path}: unexpected share file: ${reason}` });
  }
  return entries;
}

/** The digest of each share in the inbox for `role`, for the audit trail of what a computation read. */
export async function inboxDigests(study: Study, role: Role, inbox: string): Promise<Array<{ name: string; digest: string }>> {
  const found: Array<{ name: string; digest: string }> = [];
  for (const partner of study.partners) {
    for (const table of uploadedTables(study, partner.name)) {
      const name = shareFileName(study, partner.name, table, role);
      const digest = await fileDigest(join(inbox, ...name.split("/"))).catch(() => undefined);
      if (digest) found.push({ name, digest });
    }
  }
  return found;
}

/** Names share objects a bucket holds that the study does not expect for this party (they are not pulled). */
export function warnUnexpected(reporter: Reporter, store: string, role: Role, names: string[]): void {
  for (const name of names) reporter.warn(`${store} also holds ${name}, which this study does not expect for the ${role}; left there`);
}

/** Prints an inbox report and sets the exit status: invalid shares fail (4), missing ones are incomplete (5). */
function reportInbox(reporter: Reporter, study: Study, role: Role, inbox: string, entries: InboxEntry[], extra: Record<string, unknown> = {}): void {
  const invalid = entries.filter((entry) => entry.status === "invalid");
  const missing = entries.filter((entry) => entry.status === "missing");
  const present = entries.filter((entry) => entry.status === "ok");
  const report = { study: study.id, role, party: partyOf(study, role).name, ...extra, complete: invalid.length === 0 && missing.length === 0, present, missing, invalid };
  reporter.line(`inbox ${inbox} of the ${role} ${partyOf(study, role).name}, study "${study.name}"`);
  for (const entry of entries) {
    const mark = entry.status === "ok" ? reporter.style.green("ok     ") : entry.status === "missing" ? reporter.style.yellow("missing") : reporter.style.red("INVALID");
    reporter.line(`  ${mark}  ${entry.partner}/${entry.table}${entry.rows !== undefined ? `  ${entry.rows} rows` : ""}${entry.error ? `  ${entry.error}` : ""}`);
  }
  reporter.line(`${present.length} present, ${missing.length} missing, ${invalid.length} invalid`);
  if (invalid.length > 0) {
    // The error line names the first bad file; --json carries the whole report.
    const failure = new IntegrityError(invalid[0].error ?? "invalid share", {}, "invalid-share");
    failure.details = report;
    throw failure;
  }
  reporter.result(report, missing.length === 0);
  if (missing.length > 0) {
    process.exitCode = ExitCode.incomplete;
    reporter.note(`incomplete: ${missing.map((entry) => `${entry.partner}/${entry.table}`).join(", ")} not yet uploaded`);
  }
}

export function registerInbox(program: Command): void {
  const inbox = program.command("inbox").description("inspect a compute party's inbox, or fetch it from the party's bucket");
  inbox
    .command("check")
    .description("decrypt and verify every share in the inbox; list present and missing partners and tables")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--key <file>", "this compute party's secret key (NAME.key)")
    .requiredOption("--inbox <dir>", "the inbox folder")
    .action(action<CheckOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      const key = await loadSecretKey(options.key);
      const role = computeRoleOf(study, key.publicKey, options.key);
      reportInbox(reporter, study, role, options.inbox, await checkInbox(study, role, key.secretKey, options.inbox));
    }));
  inbox
    .command("pull")
    .description("download this compute party's shares from its bucket (its own credentials), then verify them as `inbox check` does")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--key <file>", "this compute party's secret key (NAME.key)")
    .requiredOption("--store <url>", "azure://ACCOUNT/CONTAINER[/PREFIX] (AZURE_STORAGE_CONNECTION_STRING) or s3://BUCKET[/PREFIX] (AWS_* variables)")
    .requiredOption("--out <dir>", "the local inbox folder to fill (then give it to `catalyst compute --inbox`)")
    .action(action<PullOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      const key = await loadSecretKey(options.key);
      const role = computeRoleOf(study, key.publicKey, options.key);
      const bucket = await openBucket(parseStoreAddress(options.store));
      const progress = reporter.progress(`listing ${bucket.description}`);
      const { outcome, entries } = await audited(options, reporter, { action: "pull", study, actingAs: `${role} ${partyOf(study, role).name}` }, async () => {
        let pulled: PullOutcome;
        try {
          pulled = await pullShares(bucket, study, role, options.out, (name, bytes) => progress.update(`downloading ${name} (${formatBytes(bytes)})`));
        } finally {
          progress.stop();
        }
        const checked = await checkInbox(study, role, key.secretKey, options.out);
        // A download that failed its checks left no file: report it as invalid, not merely missing.
        for (const failure of pulled.failed) {
          const entry = checked.find((candidate) => candidate.file === join(options.out, ...failure.name.split("/")));
          if (entry) Object.assign(entry, { status: "invalid", rows: undefined, error: failure.error });
        }
        // Pulled files were hashed while they were read; only a file the bucket no longer holds is read again.
        const pulledDigests = new Map(pulled.pulled.map((file) => [join(options.out, ...file.name.split("/")), file.digest]));
        for (const entry of checked) {
          if (entry.status !== "missing") entry.digest = pulledDigests.get(entry.file) ?? await fileDigest(entry.file);
        }
        return {
          result: { outcome: pulled, entries: checked },
          details: { store: bucket.description, files: checked.map(({ partner, table, status, rows, digest }) => ({ partner, table, status, rows, digest })), unexpected: pulled.unexpected, failed: pulled.failed },
        };
      });
      warnUnexpected(reporter, bucket.description, role, outcome.unexpected);
      const downloaded = outcome.pulled.filter((file) => file.status === "downloaded").length;
      reporter.note(`${downloaded} downloaded, ${outcome.pulled.length - downloaded} already here, from ${bucket.description}`);
      reportInbox(reporter, study, role, options.out, entries, { store: bucket.description, pulled: outcome.pulled, failed: outcome.failed, unexpected: outcome.unexpected });
    }));
}
