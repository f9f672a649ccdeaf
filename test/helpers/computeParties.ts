/** Runs the garbler and the evaluator as two real `catalyst compute` processes. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { repositoryRoot, testAuditLog, type CliRun } from "./cli.js";
import { freePort, type TestSshServer } from "./sshd.js";

export interface RunningParty {
  process: ChildProcess;
  done: Promise<CliRun>;
  /** Resolves when stderr has printed a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
}

/** `nodeArguments` go to node itself (a benchmark's `--cpu-prof`). */
export function startParty(args: string[], env: Record<string, string> = {}, nodeArguments: string[] = []): RunningParty {
  const child = spawn(process.execPath, [...nodeArguments, join(repositoryRoot, "bin", "catalyst"), ...args], { env: { ...process.env, NO_COLOR: "1", CATALYST_AUDIT_LOG: testAuditLog, ...env } });
  let stdout = "";
  let stderr = "";
  const watchers: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout.on("data", (chunk) => { stdout += chunk; });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(stderr)) { watchers.splice(watchers.indexOf(watcher), 1); watcher.resolve(); }
    }
  });
  const done = new Promise<CliRun>((resolve) => {
    child.on("close", (code, signal) => {
      let json: unknown;
      if (args.includes("--json")) { try { json = JSON.parse(stdout); } catch { json = undefined; } }
      // A party the kernel's OOM killer stopped prints nothing: say how it ended.
      const ending = signal ? `(the process was killed by ${signal}${signal === "SIGKILL" ? ", as the kernel does when memory runs out" : ""})\n` : "";
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: stderr + ending, json });
    });
  });
  return {
    process: child,
    done,
    waitFor: (pattern) => (pattern.test(stderr) ? Promise.resolve() : new Promise((resolve) => watchers.push({ pattern, resolve }))),
  };
}

export interface PartyArguments {
  study: string;
  key: string;
  inbox: string;
  out: string;
  extra?: string[];
}

/** Both parties over direct TCP on a fresh loopback port; resolves when both have exited. */
export async function computeOverTcp(garbler: PartyArguments, evaluator: PartyArguments, env: Record<string, string> = {}): Promise<{ garbler: CliRun; evaluator: CliRun }> {
  const port = await freePort();
  const g = startParty(["compute", "--party=garbler", "--study", garbler.study, "--key", garbler.key, "--inbox", garbler.inbox, "--out", garbler.out, "--listen", `127.0.0.1:${port}`, ...(garbler.extra ?? [])], env);
  const e = startParty(["compute", "--party=evaluator", "--study", evaluator.study, "--key", evaluator.key, "--inbox", evaluator.inbox, "--out", evaluator.out, "--connect", `127.0.0.1:${port}`, ...(evaluator.extra ?? [])], env);
  const [garblerRun, evaluatorRun] = await Promise.all([g.done, e.done]);
  return { garbler: garblerRun, evaluator: evaluatorRun };
}

/** Both parties with the evaluator through the SSH tunnel to `sshd` (a real OpenSSH server); resolves when both have exited. */
export async function computeOverSsh(sshd: TestSshServer, garbler: PartyArguments, evaluator: PartyArguments): Promise<{ garbler: CliRun; evaluator: CliRun }> {
  const port = await freePort();
  const g = startParty(["compute", "--party=garbler", "--study", garbler.study, "--key", garbler.key, "--inbox", garbler.inbox, "--out", garbler.out, "--listen", `127.0.0.1:${port}`, ...(garbler.extra ?? [])]);
  const e = startParty(["compute", "--party=evaluator", "--study", evaluator.study, "--key", evaluator.key, "--inbox", evaluator.inbox, "--out", evaluator.out,
    "--ssh", `${sshd.user}@127.0.0.1:${sshd.port}`, "--ssh-key", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--connect", `127.0.0.1:${port}`, ...(evaluator.extra ?? [])]);
  const [garblerRun, evaluatorRun] = await Promise.all([g.done, e.done]);
  return { garbler: garblerRun, evaluator: evaluatorRun };
}
