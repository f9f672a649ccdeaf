/** The audit trail a data steward reads: one JSON line per share, upload, grant, pull, compute and reveal; digests, never values. */
import { appendFile, mkdir } from "node:fs/promises";
import { homedir, hostname, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { CatalystError } from "../share/errors.js";
import type { Study } from "../share/study.js";
import { redactSecrets } from "../transport/redact.js";
import type { GlobalOptions, Reporter } from "./output.js";

export interface AuditContext {
  action: "share" | "upload" | "grant" | "pull" | "compute" | "reveal";
  study: Study;
  /** Whom the user acts as in the study: `partner siteA`, `garbler nm`, `investigator`. */
  actingAs: string;
}

/** `--audit-log`, else CATALYST_AUDIT_LOG, else ~/.catalyst/audit.jsonl. */
export function auditLogPath(options: GlobalOptions): string {
  return options.auditLog ?? process.env.CATALYST_AUDIT_LOG ?? join(homedir(), ".catalyst", "audit.jsonl");
}

function who(actingAs: string): Record<string, string> {
  let user = "unknown";
  try { user = userInfo().username; } catch { /* no passwd entry in some containers */ }
  return { user, host: hostname(), as: actingAs };
}

/**
 * Runs a command's body and appends one line saying what it did (`details` returned by the body: names, row
 * counts, digests) or how it failed. A line is one append of under a few KB, so concurrent runs do not interleave.
 */
export async function audited<Result>(
  options: GlobalOptions,
  reporter: Reporter,
  context: AuditContext,
  body: () => Promise<{ result: Result; details: Record<string, unknown> }>,
): Promise<Result> {
  const started = Date.now();
  const base = () => ({ time: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000, action: context.action, study: { id: context.study.id, name: context.study.name, digest: context.study.digest }, who: who(context.actingAs) });
  try {
    const { result, details } = await body();
    await append(options, reporter, { ...base(), outcome: "ok", ...details });
    return result;
  } catch (error) {
    const failure = error instanceof CatalystError ? { code: error.code, message: redactSecrets(error.describe()) } : { code: "failure", message: redactSecrets(String((error as Error)?.message ?? error)) };
    // What was done before the failure (say, two of four shares sent) travels in the error's details.
    const partial = error instanceof CatalystError ? error.details : undefined;
    await append(options, reporter, { ...base(), outcome: "failed", error: failure, ...(partial ? { partial } : {}) });
    throw error;
  }
}

async function append(options: GlobalOptions, reporter: Reporter, entry: Record<string, unknown>): Promise<void> {
  const path = auditLogPath(options);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await appendFile(path, JSON.stringify(entry, (_key, value) => (typeof value === "bigint" ? value.toString() : value)) + "\n", { mode: 0o600 });
  } catch (error) {
    // The work itself is done and committed; a missing audit line must still be seen.
    reporter.warn(`could not append to the audit log ${path}: ${(error as Error).message}`);
  }
}
