/** `catalyst upload`: deliver a partner's sealed shares, each only to its own compute party's inbox or grant. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { CatalystError, InputError, UsageError } from "../share/errors.js";
import { peekShareHeader, shareFileName } from "../share/shareFile.js";
import { findPartner, partyOf, ROLES, uploadedTables, type Role, type Study } from "../share/study.js";
import { fileDigests } from "../transport/fileDigests.js";
import { checkGrant, grantPlace, parseGrant, type Grant } from "../transport/grant.js";
import { GrantStore } from "../transport/grantStore.js";
import { LocalDirectoryStore } from "../transport/localDirectoryStore.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../transport/presignedUpload.js";
import type { PutResult, ShareStore } from "../transport/shareStore.js";
import { redactUrl } from "../transport/redact.js";
import { looksLikeUrl } from "../transport/storeAddress.js";
import { UploadReceipts } from "../transport/uploadReceipts.js";
import { audited } from "./auditLog.js";
import { action } from "./command.js";
import { readText, loadStudy } from "./files.js";
import { transferLine } from "./progressBar.js";

interface UploadOptions {
  study: string;
  partner: string;
  from: string;
  toGarbler: string;
  toEvaluator: string;
  replace?: boolean;
  attempts: string;
}

/** Where the partner keeps its record of grant uploads, beside the shares it sent. */
export const RECEIPTS_FILE = ".catalyst-uploads.json";

export interface UploadedShare extends PutResult {
  role: Role;
  party: string;
  digest: string;
  target: string;
}

interface OpenedTarget {
  store: ShareStore;
  /** What two targets are compared by, to refuse both shares going to one place. */
  place: string;
  grant?: Grant;
}

/**
 * A --to-… target is a grant file from the compute site (a bucket through pre-signed URLs) or a local folder.
 * A bare bucket URL is refused: using one would need storage credentials that a partner must not hold.
 */
async function openTarget(study: Study, role: Role, target: string, options: { partner: string; replace?: boolean; policy: RetryPolicy }, receipts: () => Promise<UploadReceipts>): Promise<OpenedTarget> {
  if (looksLikeUrl(target)) {
    throw new UsageError(`--to-${role} ${redactUrl(target)} is a URL; give the grant file the ${role}'s site made with \`catalyst grant\` (or a local inbox folder)`);
  }
  const found = await stat(target).catch(() => undefined);
  if (found?.isFile()) {
    const grant = parseGrant(await readText(target, `the ${role}'s grant`), target);
    checkGrant(grant, study, { partner: options.partner, role, now: new Date() }, target);
    return { store: new GrantStore(grant, target, await receipts(), options.policy), place: grantPlace(grant, target), grant };
  }
  // A mistyped grant path must not quietly become a new inbox folder.
  if (!found && /\.json$/i.test(target)) throw new InputError(`cannot read the ${role}'s grant: no such file`, { file: target }, "unreadable");
  if (found && !found.isDirectory()) throw new InputError(`--to-${role} is neither a grant file nor an inbox folder`, { file: target }, "unreadable");
  return { store: new LocalDirectoryStore(target, options), place: resolve(target) };
}

/** Checks every share of a partner, then puts each into its own party's store; all or nothing is checked up front. */
export async function uploadShares(
  study: Study,
  options: { partner: string; from: string; targets: Record<Role, string>; replace?: boolean; policy?: RetryPolicy },
  events: { onFile?: (name: string, role: Role, bytes: number) => void; onBytes?: (sent: number) => void; onRetry?: (name: string, attempt: number, reason: string, delayMs: number) => void } = {},
): Promise<UploadedShare[]> {
  const partner = findPartner(study, options.partner);
  let receipts: UploadReceipts | undefined;
  const openReceipts = async () => (receipts ??= await UploadReceipts.open(join(options.from, RECEIPTS_FILE)));
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const targets = {
    garbler: await openTarget(study, "garbler", options.targets.garbler, { ...options, policy }, openReceipts),
    evaluator: await openTarget(study, "evaluator", options.targets.evaluator, { ...options, policy }, openReceipts),
  };
  if (targets.garbler.place === targets.evaluator.place) {
    throw new UsageError("--to-garbler and --to-evaluator are the same place: one inbox holding both shares could reconstruct the data");
  }
  // Check every file before sending any, so a missing or misrouted share stops the whole upload.
  const planned: Array<{ role: Role; name: string; path: string; bytes: number; digest: string; md5Base64: string }> = [];
  const missing: string[] = [];
  for (const table of uploadedTables(study, partner.name)) {
    for (const role of ROLES) {
      const name = shareFileName(study, partner.name, table, role);
      const path = join(options.from, ...name.split("/"));
      const found = await stat(path).catch(() => undefined);
      if (!found) { missing.push(path); continue; }
      await peekShareHeader(createReadStream(path), study, path, { role, partner: partner.name, table });
      planned.push({ role, name, path, bytes: found.size, ...(await fileDigests(path)) });
    }
  }
  if (missing.length > 0) {
    throw new InputError(`missing share file${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; run \`catalyst share\` for every table of ${partner.name} first`, { file: missing[0] }, "missing-share");
  }
  const uploaded: UploadedShare[] = [];
  try {
    for (const file of planned) {
      const { store } = targets[file.role];
      events.onFile?.(file.name, file.role, file.bytes);
      const put = await store.put(file.name, { read: () => createReadStream(file.path), bytes: file.bytes, digest: file.digest, md5Base64: file.md5Base64 }, {
        onBytes: events.onBytes,
        onRetry: (attempt, reason, delayMs) => events.onRetry?.(file.name, attempt, reason, delayMs),
      });
      uploaded.push({ ...put, role: file.role, party: partyOf(study, file.role).name, digest: file.digest, target: store.description });
    }
  } catch (error) {
    // The files already delivered are part of the answer (and of the audit line) even when a later one fails.
    if (error instanceof CatalystError) error.details = { ...error.details, uploaded: uploaded.map(({ name, role, status, confirmed, digest }) => ({ name, role, status, confirmed, digest })) };
    throw error;
  }
  return uploaded;
}

function attemptsOf(value: string): number {
  const attempts = Number(value);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) throw new UsageError(`--attempts expects a whole number from 1 to 100, got "${value}"`);
  return attempts;
}

export function registerUpload(program: Command): void {
  program
    .command("upload")
    .description("send each sealed share to its compute party's inbox (the garbler's shares only to the garbler, and so on)")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--partner <name>", "your data partner name in the study")
    .requiredOption("--from <dir>", "the folder `catalyst share --out` wrote to")
    .requiredOption("--to-garbler <grant|dir>", "the garbler's grant file (from `catalyst grant`) or inbox folder")
    .requiredOption("--to-evaluator <grant|dir>", "the evaluator's grant file (from `catalyst grant`) or inbox folder")
    .option("--replace", "inbox folders only: overwrite a different share already there (after re-sharing corrected data)")
    .option("--attempts <n>", "tries per file (the first and its retries) before giving up on a flaky network", String(DEFAULT_RETRY_POLICY.attempts))
    .action(action<UploadOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      const policy = { ...DEFAULT_RETRY_POLICY, attempts: attemptsOf(options.attempts) };
      const progress = reporter.progress("uploading");
      let current = { name: "", role: "", bytes: 0, started: 0, shownAt: 0 };
      const uploaded = await audited(options, reporter, { action: "upload", study, actingAs: `partner ${options.partner}` }, async () => {
        try {
          const files = await uploadShares(study, { partner: options.partner, from: options.from, targets: { garbler: options.toGarbler, evaluator: options.toEvaluator }, replace: options.replace, policy }, {
            onFile: (name, role, bytes) => {
              current = { name, role, bytes, started: performance.now(), shownAt: 0 };
              progress.update(transferLine(`${name} → ${role}`, 0, bytes, 0));
            },
            onBytes: (sent) => {
              const now = performance.now();
              if (now - current.shownAt < 100 && sent < current.bytes) return;
              current.shownAt = now;
              progress.update(transferLine(`${current.name} → ${current.role}`, sent, current.bytes, (now - current.started) / 1000));
            },
            onRetry: (name, attempt, reason, delayMs) => reporter.note(`${name}: attempt ${attempt} failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s`),
          });
          return { result: files, details: { partner: options.partner, files: files.map(({ name, role, party, status, confirmed, bytes, digest, storeDigest, target }) => ({ name, role, party, status, confirmed, bytes, digest, storeDigest, target })) } };
        } finally {
          progress.stop();
        }
      });
      reporter.result({ study: study.id, partner: options.partner, files: uploaded });
      for (const file of uploaded) {
        const status = file.status === "uploaded" ? "sent   " : file.confirmed ? "present" : "present (unconfirmed)";
        reporter.line(`${status}  ${file.name} → ${file.role} ${file.party} (${file.target})  ${file.digest}${file.attempts > 1 ? `  after ${file.attempts} attempts` : ""}`);
      }
      const unconfirmed = uploaded.filter((file) => !file.confirmed);
      if (unconfirmed.length > 0) {
        reporter.warn(`${unconfirmed.map((file) => file.name).join(", ")} ${unconfirmed.length > 1 ? "were" : "was"} stored by an attempt whose answer was lost; the compute party's \`catalyst inbox pull\` verifies ${unconfirmed.length > 1 ? "them" : "it"}`);
      }
    }));
}
