/** `catalyst demo`: the whole study workflow on synthetic PHAME data in a local folder, no cloud account needed. */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { writeFileAtomically } from "../share/atomicFile.js";
import { CatalystError, ExitCode, IntegrityError } from "../share/errors.js";
import type { Cell } from "../share/rowCodec.js";
import { queryInTheClear } from "../operators/clearRun.js";
import { generateSshKey, LoopbackSshServer } from "../transport/loopbackSshServer.js";
import { revealFiles } from "./reveal.js";
import { parsePublicKey } from "../share/keys.js";
import { createStudy, serializeStudy, type Study } from "../share/study.js";
import { writePhameFixtures } from "../share/synthetic/writePhame.js";
import { parseTablesSql } from "../share/tablesSql.js";
import { action } from "./command.js";
import { computeRoleOf, checkInbox } from "./inbox.js";
import { writeKeyPair } from "./keys.js";
import { packageRoot } from "./packageRoot.js";
import { shareCsv } from "./share.js";
import { uploadShares } from "./upload.js";
import { loadSecretKey } from "./files.js";

interface DemoOptions {
  dir?: string;
  sites: string;
  patients: string;
  seed: string;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("run a synthetic multi-site PHAME study end to end in a local folder: share, upload, compute over SSH, reveal")
    .option("--dir <dir>", "work folder (default: a new temporary folder, kept afterwards)")
    .option("--sites <n>", "data partner sites", "6")
    .option("--patients <n>", "patients per site", "2000")
    .option("--seed <n>", "seed for the synthetic data", "1")
    .action(action<DemoOptions>(async (options, reporter) => {
      const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "catalyst-demo-")));
      const steps: Array<{ step: string; detail: string; seconds: number }> = [];
      const step = async <T>(name: string, work: () => Promise<T>, describe: (result: T) => string): Promise<T> => {
        const started = performance.now();
        const progress = reporter.progress(name);
        try {
          const result = await work();
          const seconds = (performance.now() - started) / 1000;
          progress.stop();
          steps.push({ step: name, detail: describe(result), seconds });
          reporter.line(`${reporter.style.green("✔")} ${name} ${reporter.style.dim(`(${seconds.toFixed(1)} s)`)}`);
          for (const line of describe(result).split("\n")) reporter.line(`    ${line}`);
          return result;
        } catch (error) {
          progress.stop();
          throw error;
        }
      };
      reporter.line(`Catalyst demo in ${dir}`);

      const sites = await step("fixtures: synthetic PHAME sites", () => writePhameFixtures({
        sites: Number(options.sites), patients: Number(options.patients), seed: Number(options.seed), out: join(dir, "data"),
      }), (written) => written.map((site) => `${site.name} (${site.kind}): ${Object.entries(site.tables).map(([table, { rows }]) => `${table} ${rows}`).join(", ")}`).join("\n"));

      const keyDir = join(dir, "keys");
      const keys = await step("keys: garbler nm, evaluator ac, investigator", async () => ({
        garbler: await writeKeyPair("nm", keyDir, true),
        evaluator: await writeKeyPair("ac", keyDir, true),
        investigator: await writeKeyPair("investigator", keyDir, true),
      }), (written) => Object.entries(written).map(([role, key]) => `${role.padEnd(12)} ${key.publicKey}  ${key.fingerprint}`).join("\n"));

      const studyFile = join(dir, "study.json");
      const study = await step("study: PHAME disease rates", async () => {
        // The queries `catalyst compute` runs today; the pilot's GROUP BY queries join once the compiler lands.
        const queryDir = join(packageRoot(), "fixtures", "phame", "simple-queries");
        const queries = await Promise.all((await readdir(queryDir)).filter((file) => file.endsWith(".sql")).sort().map(async (file) => ({
          name: basename(file, ".sql"), sql: (await readFile(join(queryDir, file), "utf8")).trim(),
        })));
        const publicKey = async (path: string) => parsePublicKey(await readFile(path, "utf8"), path).publicKey;
        const created: Study = createStudy({
          name: "PHAME disease rates (synthetic demo)",
          minCellCount: 11,
          tables: parseTablesSql(await readFile(join(dir, "data", "tables.sql"), "utf8"), "tables.sql"),
          partners: sites.map((site) => ({ name: site.name, tables: Object.keys(site.tables) })),
          garbler: { name: "nm", publicKey: await publicKey(keys.garbler.publicKey) },
          evaluator: { name: "ac", publicKey: await publicKey(keys.evaluator.publicKey) },
          investigator: { publicKey: await publicKey(keys.investigator.publicKey) },
          queries,
        });
        await writeFileAtomically(studyFile, serializeStudy(created));
        return created;
      }, (created) => `${studyFile}: id ${created.id}, ${created.tables.length} tables, ${created.partners.length} partners, queries ${created.queries.map((q) => q.name).join(", ")}`);

      const shared = await step("share: each site validates, splits and seals its CSVs", async () => {
        const receipts = [];
        for (const site of sites) {
          for (const [table, { file }] of Object.entries(site.tables)) {
            receipts.push(await shareCsv(study, { partner: site.name, table, csv: join(dir, "data", file), out: join(dir, "partners", site.name, "shares") }));
          }
        }
        return receipts;
      }, (receipts) => {
        const rows = receipts.reduce((sum, receipt) => sum + receipt.rows, 0);
        const seconds = receipts.reduce((sum, receipt) => sum + receipt.seconds, 0);
        return `${receipts.length} tables, ${rows} rows → ${receipts.length * 2} sealed share files (${Math.round(rows / Math.max(seconds, 1e-9))} rows/s)`;
      });

      const inboxes = { garbler: join(dir, "inbox", "nm"), evaluator: join(dir, "inbox", "ac") };
      await step("upload: garbler shares to nm's inbox, evaluator shares to ac's", async () => {
        const results = [];
        for (const site of sites) {
          results.push(...await uploadShares(study, { partner: site.name, from: join(dir, "partners", site.name, "shares"), targets: inboxes }));
        }
        return results;
      }, (results) => `${results.filter((r) => r.role === "garbler").length} files → ${inboxes.garbler}\n${results.filter((r) => r.role === "evaluator").length} files → ${inboxes.evaluator}`);

      const checks = await step("inbox check: each compute party decrypts and verifies its shares", async () => {
        const report = [];
        for (const [role, keyFile] of [["garbler", keys.garbler.secretKey], ["evaluator", keys.evaluator.secretKey]] as const) {
          const key = await loadSecretKey(keyFile);
          const entries = await checkInbox(study, computeRoleOf(study, key.publicKey, keyFile), key.secretKey, inboxes[role]);
          report.push({ role, entries });
        }
        return report;
      }, (report) => report.map(({ role, entries }) => {
        const ok = entries.filter((entry) => entry.status === "ok");
        return `${role.padEnd(9)} ${ok.length}/${entries.length} shares verified, ${ok.reduce((sum, entry) => sum + (entry.rows ?? 0), 0)} rows`;
      }).join("\n"));

      const complete = checks.every(({ entries }) => entries.every((entry) => entry.status === "ok"));
      if (!complete) {
        reporter.result({ dir, study: studyFile, studyId: study.id, complete, steps }, false);
        throw new IntegrityError("an inbox is incomplete or holds an invalid share; see the lines above", {}, "incomplete");
      }

      const sshDir = join(dir, "ssh");
      const ssh = await step("ssh: nm's site runs an SSH server; ac gets a login key and nm's pinned host key", async () => {
        const hostKey = generateSshKey();
        const loginKey = generateSshKey();
        const server = new LoopbackSshServer(hostKey, loginKey.publicKey);
        await server.listen();
        await writeFileAtomically(join(sshDir, "ac_login_ed25519"), loginKey.privateKey, 0o600);
        await writeFileAtomically(join(sshDir, "known_hosts"), server.knownHostsLine());
        return server;
      }, (server) => `SSH server 127.0.0.1:${server.port}, host key ${server.hostFingerprint} (embedded; production sites use OpenSSH)\nknown_hosts ${join(sshDir, "known_hosts")}`);

      let computed: Record<"garbler" | "evaluator", ComputeProcessResult>;
      try {
        computed = await step("compute: garbler and evaluator as two processes, the evaluator through the SSH tunnel", async () => {
          const port = await freeLoopbackPort();
          const common = ["--json", "compute", "--study", studyFile];
          const garbler = spawnCompute([...common, "--party=garbler", "--key", keys.garbler.secretKey, "--inbox", inboxes.garbler, "--out", join(dir, "results", "nm"), "--listen", `127.0.0.1:${port}`], join(dir, "logs", "garbler.log"));
          const evaluator = spawnCompute([...common, "--party=evaluator", "--key", keys.evaluator.secretKey, "--inbox", inboxes.evaluator, "--out", join(dir, "results", "ac"),
            "--ssh", `catalyst@127.0.0.1:${ssh.port}`, "--ssh-key", join(sshDir, "ac_login_ed25519"), "--known-hosts", join(sshDir, "known_hosts"), "--connect", `127.0.0.1:${port}`], join(dir, "logs", "evaluator.log"));
          const [g, e] = await Promise.all([garbler, evaluator]);
          for (const [role, run] of [["garbler", g], ["evaluator", e]] as const) {
            if (run.code !== 0) throw new CatalystError("demo-compute", `the ${role} failed (exit ${run.code}): ${run.error}; its log is ${run.log}`, ExitCode.failure);
          }
          return { garbler: g, evaluator: e };
        }, (runs) => runs.garbler.summary.queries.map((query: { query: string; andGates: number; seconds: { ot: number; circuit: number } }) =>
          `${query.query}: ${query.andGates.toLocaleString("en-US")} ANDs, OT ${query.seconds.ot.toFixed(2)} s, circuit ${query.seconds.circuit.toFixed(2)} s`).concat(
          `garbler sent ${(runs.garbler.summary.bytesSent / 1e6).toFixed(1)} MB, evaluator sent ${(runs.evaluator.summary.bytesSent / 1e6).toFixed(1)} MB`).join("\n"));
      } finally {
        await ssh.close();
      }

      const investigator = await loadSecretKey(keys.investigator.secretKey);
      const revealed = await step("reveal: the investigator combines both result shares", async () => {
        const results = [];
        for (const query of study.queries) {
          const out = join(dir, "results", `${query.name}.csv`);
          const result = await revealFiles(study, investigator, {
            garbler: join(dir, "results", "nm", `${query.name}.nm.result`), evaluator: join(dir, "results", "ac", `${query.name}.ac.result`), out,
          });
          results.push({ query: query.name, out, result });
        }
        return results;
      }, (results) => results.map(({ query, out, result }) => `${query} → ${out}: ${result.columns.map((column, index) => `${column.name} = ${formatCell(result.rows[0]?.[index])}`).join(", ")}`).join("\n"));

      const checked = await step("check: the same queries in the clear, over the original CSVs", async () => {
        return Promise.all(revealed.map(async ({ query, result }) => {
          const clear = await queryInTheClear(study, study.queries.find((candidate) => candidate.name === query)!, (partner, table) => {
            const site = sites.find((candidate) => candidate.name === partner)!;
            return join(dir, "data", site.tables[table].file);
          });
          return { query, matches: JSON.stringify(clear, bigintText) === JSON.stringify(result.rows, bigintText) };
        }));
      }, (checks) => checks.map(({ query, matches }) => `${query}: ${matches ? "MPC result equals the cleartext answer" : "MISMATCH"}`).join("\n"));

      const allMatch = checked.every((entry) => entry.matches);
      reporter.line();
      reporter.line(allMatch ? "Done: every query's MPC result equals the cleartext answer." : reporter.style.red("An MPC result differs from the cleartext answer."));
      reporter.result({ dir, study: studyFile, studyId: study.id, shared: shared.length, complete, results: revealed.map(({ query, out, result }) => ({ query, out, rows: result.rows })), checks: checked, compute: { garbler: computed.garbler.summary, evaluator: computed.evaluator.summary }, steps }, allMatch);
      if (!allMatch) process.exitCode = ExitCode.failure;
    }));
}

interface ComputeProcessResult {
  code: number;
  summary: any;
  error: string;
  log: string;
}

/** Runs `catalyst compute` as its own process, as a compute site would, keeping its output in a log. */
async function spawnCompute(args: string[], log: string): Promise<ComputeProcessResult> {
  await mkdir(dirname(log), { recursive: true });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot(), "bin", "catalyst"), ...args], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => { stdout += chunk; });
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.on("close", async (code) => {
      await writeFile(log, stderr + stdout);
      let summary: any;
      try { summary = JSON.parse(stdout); } catch { summary = undefined; }
      const error = stderr.split("\n").find((line) => line.startsWith("catalyst: ")) ?? "no error line";
      resolve({ code: code ?? 1, summary, error, log });
    });
  });
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function formatCell(cell: Cell | undefined): string {
  if (cell === undefined) return "(no row)";
  if (typeof cell === "object") return "suppressed" in cell ? "(suppressed)" : "NULL";
  return String(cell);
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
