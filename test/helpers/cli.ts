/** Runs the real `bin/catalyst` in a child process, as scripts and CI do. */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { packageRoot } from "../../src/cli/packageRoot.js";

/** The repository root, whether this file runs from test/ under ts-jest or from dist/test/ in a benchmark. */
export const repositoryRoot = packageRoot();
const binary = join(repositoryRoot, "bin", "catalyst");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when --json was given. */
  json: any;
}

/** Tests keep their audit lines out of the user's ~/.catalyst; a test that reads them passes its own path. */
export const testAuditLog = join(tmpdir(), `catalyst-test-audit-${process.pid}.jsonl`);

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [binary, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: "1", CATALYST_AUDIT_LOG: testAuditLog, ...options.env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      let json: unknown;
      if (args.includes("--json")) {
        try { json = JSON.parse(stdout); } catch { json = undefined; }
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

export async function temporaryFolder(prefix = "catalyst-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeFolder(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Every file under `root`, relative to it, sorted: to assert that nothing (or exactly this) was written. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(root, join(entry.parentPath, entry.name))).sort();
}
