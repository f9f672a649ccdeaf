/**
 * bench:rollup — the pilot's diagnosis rollup end to end through the real CLI: synthetic PHAME fixtures at
 * S sites × N patients, share, upload, two `catalyst compute` processes with the evaluator through the SSH
 * tunnel to a real OpenSSH sshd, reveal, and `catalyst verify` against DuckDB. Prints time, ANDs, bytes and
 * peak memory per phase. Usage: npm run bench:rollup -- [--sites 6] [--patients 200] [--query diagnosis_rollup] [--pushdown]
 * With --pushdown every site pushes its site-local GROUP BYs down (`share --plan`), with its patients rounded up
 * to a power of two as its public bound. Above 300,000 input rows the result is checked against DuckDB alone
 * (`catalyst verify`'s plaintext circuit would take longer than the benchmark).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStudy } from "../../src/share/study.js";
import { repositoryRoot } from "../helpers/cli.js";
import { startParty } from "../helpers/computeParties.js";
import { freePort, startSshd } from "../helpers/sshd.js";
import { resultEqualsDuckDb } from "./duckDbCheck.js";

const flag = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const sites = Number(flag("--sites", "6"));
const patients = Number(flag("--patients", "200"));
const queryName = flag("--query", "diagnosis_rollup");
const pushdown = process.argv.includes("--pushdown");
const catalyst = (args: string[]) => execFileSync(process.execPath, [join(repositoryRoot, "bin", "catalyst"), ...args], { stdio: ["ignore", "pipe", "inherit"] }).toString();
const timed = <T>(work: () => T): [T, number] => { const started = performance.now(); const result = work(); return [result, (performance.now() - started) / 1000]; };

const dir = await mkdtemp(join(tmpdir(), "catalyst-bench-rollup-"));
const sshd = await startSshd(join(dir, "sshd"));
try {
  catalyst(["fixtures", "phame", "--sites", String(sites), "--patients", String(patients), "--seed", "5", "--out", join(dir, "data"), "-q"]);
  const manifest = JSON.parse(await readFile(join(dir, "data", "sites.json"), "utf8")) as { sites: Array<{ name: string; patients: number; tables: Record<string, { file: string; rows: number }> }> };
  for (const name of ["nm", "ac", "investigator"]) catalyst(["keys", "generate", "--name", name, "--dir", join(dir, "keys"), "-q"]);
  const study = join(dir, "study.json");
  catalyst(["study", "init", "--name", "bench", "--tables", join(dir, "data", "tables.sql"), "--query", join(repositoryRoot, "fixtures", "phame", "queries", `${queryName}.sql`),
    ...manifest.sites.flatMap((site) => ["--partner", `${site.name}:${Object.keys(site.tables).join(",")}`]),
    ...(pushdown ? manifest.sites.flatMap((site) => ["--pushdown", `${site.name}:${2 ** Math.ceil(Math.log2(Math.max(2, site.patients)))}`]) : []),
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", study, "-q"]);
  const [, shareSeconds] = timed(() => {
    for (const site of manifest.sites) {
      if (pushdown) catalyst(["share", "--study", study, "--partner", site.name, "--plan", ...Object.entries(site.tables).flatMap(([table, { file }]) => ["--csv", `${table}=${join(dir, "data", file)}`]), "--out", join(dir, "shares"), "-q"]);
      else for (const [table, { file }] of Object.entries(site.tables)) catalyst(["share", "--study", study, "--partner", site.name, "--table", table, "--csv", join(dir, "data", file), "--out", join(dir, "shares"), "-q"]);
    }
  });
  const [, uploadSeconds] = timed(() => {
    for (const site of manifest.sites) catalyst(["upload", "--study", study, "--partner", site.name, "--from", join(dir, "shares"), "--to-garbler", join(dir, "in-nm"), "--to-evaluator", join(dir, "in-ac"), "-q"]);
  });
  const plan = JSON.parse(catalyst(["--json", "plan", "--study", study, "--inbox", join(dir, "in-nm"), "--key", join(dir, "keys", "nm.key")]));
  const port = await freePort();
  const started = performance.now();
  const common = ["--json", "compute", "--study", study, "--idle-timeout", "600"];
  const garbler = startParty([...common, "--party=garbler", "--key", join(dir, "keys", "nm.key"), "--inbox", join(dir, "in-nm"), "--out", join(dir, "out-nm"), "--listen", `127.0.0.1:${port}`]);
  const evaluator = startParty([...common, "--party=evaluator", "--key", join(dir, "keys", "ac.key"), "--inbox", join(dir, "in-ac"), "--out", join(dir, "out-ac"),
    "--ssh", `${sshd.user}@127.0.0.1:${sshd.port}`, "--ssh-key", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--connect", `127.0.0.1:${port}`]);
  const [g, e] = await Promise.all([garbler.done, evaluator.done]);
  const computeSeconds = (performance.now() - started) / 1000;
  if (g.code !== 0 || e.code !== 0) throw new Error(`compute failed:\n${g.stderr}\n${e.stderr}`);
  const result = join(dir, "result.csv");
  const [, revealSeconds] = timed(() => catalyst(["reveal", "--study", study, "--key", join(dir, "keys", "investigator.key"), "--garbler", join(dir, "out-nm", `${queryName}.nm.result`), "--evaluator", join(dir, "out-ac", `${queryName}.ac.result`), "--out", result, "-q"]));
  const rows = manifest.sites.reduce((sum, site) => sum + Object.values(site.tables).reduce((s, table) => s + table.rows, 0), 0);
  const csvOf = (partner: string, table: string) => join(dir, "data", manifest.sites.find((site) => site.name === partner)!.tables[table].file);
  const reference = await resultEqualsDuckDb(parseStudy(await readFile(study, "utf8"), study), queryName, csvOf, result);
  const verify = rows > 300_000 ? undefined : JSON.parse(catalyst(["--json", "verify", "--study", study, "--csv-root", join(dir, "data"), "--result", result, "--query", queryName]));
  const query = g.json.queries[0];
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  console.log(`bench:rollup  ${queryName} at ${sites} sites × ${patients} patients (${rows.toLocaleString("en-US")} input rows), evaluator via SSH to OpenSSH sshd`);
  console.log(`  share ${shareSeconds.toFixed(1)} s   upload ${uploadSeconds.toFixed(1)} s   reveal ${revealSeconds.toFixed(1)} s`);
  console.log(`  compute ${computeSeconds.toFixed(1)} s wall: OT ${query.seconds.ot.toFixed(1)} s, circuit ${query.seconds.circuit.toFixed(1)} s; ${query.andGates.toLocaleString("en-US")} ANDs (plan predicted ${plan.queries[0].andGates.toLocaleString("en-US")}) = ${(query.andGates / query.seconds.circuit / 1e6).toFixed(2)} M AND/s`);
  console.log(`  bytes: garbler sent ${mb(g.json.bytesSent)} MB, evaluator sent ${mb(e.json.bytesSent)} MB; peak RSS garbler ${mb(g.json.peakRssBytes)} MB, evaluator ${mb(e.json.peakRssBytes)} MB`);
  const matches = reference.matches && (!verify || (verify.queries[0].resultMatches && verify.queries[0].circuitMatchesDuckDb));
  console.log(`  result: ${reference.rows} released rows; equals ${verify ? "the cleartext answer and DuckDB" : "DuckDB"}: ${matches}${pushdown ? " (every site pushed down)" : ""}`);
} finally {
  await sshd.stop();
  await rm(dir, { recursive: true, force: true });
}
