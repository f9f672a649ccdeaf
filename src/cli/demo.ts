/** `catalyst demo`: the whole study workflow on synthetic PHAME data in a local folder, no cloud account needed. */
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { writeFileAtomically } from "../share/atomicFile.js";
import { ExitCode } from "../share/errors.js";
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
    .description("run a synthetic multi-site PHAME study end to end in a local folder")
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
        const queryDir = join(packageRoot(), "fixtures", "phame", "queries");
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
      reporter.line();
      reporter.line(complete ? "Both inboxes are complete and verified." : reporter.style.red("An inbox is incomplete or holds an invalid share."));
      reporter.line("Next in this workflow: `catalyst compute` (garbler and evaluator) and `catalyst reveal` — MPC is not wired in yet.");
      reporter.result({ dir, study: studyFile, studyId: study.id, shared: shared.length, complete, steps }, complete);
      if (!complete) process.exitCode = ExitCode.integrity;
    }));
}
