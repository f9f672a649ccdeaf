/**
 * bench:pilot — the whole PHAME study (all four pilot queries) at a fraction S of the pilot's row counts, with
 * the pilot's site mix, end to end through the real CLI: fixtures, share (with `--plan` at pushdown partners),
 * upload, two `catalyst compute` processes with the evaluator through the SSH tunnel to a real OpenSSH sshd,
 * reveal. Prints time, ANDs, bytes and peak RSS per phase, for the pushdown plan and the all-in-MPC plan, and
 * whether each revealed result equals the cleartext answer (DuckDB over the same CSVs, with the same
 * suppression; at S ≤ 0.1 also `catalyst verify`, which adds the plaintext circuit).
 * Usage: npm run bench:pilot -- --scale 0.01 [--plan pushdown|all-in-mpc|both] [--pushdown-sites all|row-level] [--query NAME …] [--workers N] [--predict-only] [--operators] [--keep] [--profile DIR]
 * `--workers N` runs N garbler/evaluator worker pairs side by side (`catalyst compute --workers`), each over its
 * own channel through the one SSH connection.
 * `--predict-only` stops after share and upload and prints `catalyst plan`'s prediction per query (ANDs, bytes,
 * estimated time), for scales this machine cannot compute. `--keep` leaves the work folder behind and prints where.
 * In the pushdown plan every site pushes down (aggregate-only sites their rollup's outer GROUP BYs), or with
 * `--pushdown-sites row-level` only the row-level sites, as before aggregate-only pushdown.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
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
const scale = Number(flag("--scale", "0.01"));
const plans = flag("--plan", "both") === "both" ? ["pushdown", "all-in-mpc"] : [flag("--plan", "both")];
const pushdownSites = flag("--pushdown-sites", "all");
if (!["all", "row-level"].includes(pushdownSites)) throw new Error(`--pushdown-sites is all or row-level, not ${pushdownSites}`);
const predictOnly = process.argv.includes("--predict-only");
// Every operator of every query, per party: its time, ANDs, the peak RSS and the live ArrayBuffers at its end.
const listOperators = process.argv.includes("--operators");
// Leaves the work folder (fixtures, keys, shares, inboxes) in place, to run `catalyst plan` or `compute` on again.
const keep = process.argv.includes("--keep");
// Profiles both compute processes (node --cpu-prof) into DIR/<plan>/.
const profileDir = flag("--profile", "");
const workers = flag("--workers", "1");
const onlyQueries = process.argv.flatMap((value, index) => (process.argv[index - 1] === "--query" ? [value] : []));
/** The pilot's row-level sites (1, 2, 4, 5) and aggregate-only sites (3, 6), whose rollups total about 238k rows at S = 1. */
const PILOT_PATIENTS = [203_832, 423_852, 160_000, 284_142, 1_275_051, 160_000];
const patients = PILOT_PATIENTS.map((count) => Math.max(10, Math.round(count * scale)));

/** Runs the CLI under GNU time: its stdout and its peak RSS in bytes. */
type QueryOperators = { query: string; operators: Array<{ operator: string; lanes: number; andGates: number; seconds: number; peakRssBytes: number; arrayBufferBytes: number }> };

/** The operator at whose end a party's peak RSS first reached its maximum (a query's OT comes before its first operator). */
function whereThePeakWasSet(queries: QueryOperators[]): string {
  const all = queries.flatMap((query) => query.operators.map((entry, position) => ({ ...entry, query: query.query, first: position === 0 })));
  if (all.length === 0) return "no operators";
  const peak = Math.max(...all.map((entry) => entry.peakRssBytes));
  const index = all.findIndex((entry) => entry.peakRssBytes === peak);
  const before = index > 0 ? all[index - 1].peakRssBytes : 0;
  const live = Math.max(...all.map((entry) => entry.arrayBufferBytes));
  return `peak RSS ${(peak / 1e9).toFixed(2)} GB reached during ${all[index].query}'s ${all[index].operator} (${all[index].lanes.toLocaleString("en-US")} lanes; ${(before / 1e9).toFixed(2)} GB before it${all[index].first ? ", the query's OT included" : ""}); most ArrayBuffer bytes alive at an operator's end ${(live / 1e9).toFixed(2)} GB`;
}

const TIME_ARGUMENTS = ["-f", "PEAK_RSS_KB %M", process.execPath, join(repositoryRoot, "bin", "catalyst")];
const missingTime = (error: Error) => new Error(`bench:pilot measures peak memory with GNU time, which did not run (${error.message}); install it: sudo apt-get install -y time`);

/** A finished CLI run's stdout and peak RSS in bytes, or its failure. */
function finished(args: string[], status: number | null, stdout: string, stderr: string): { stdout: string; peakRss: number } {
  if (status !== 0) throw new Error(`catalyst ${args.join(" ")} failed (${status}):\n${stderr}`);
  const peak = /PEAK_RSS_KB (\d+)/.exec(stderr);
  return { stdout, peakRss: peak ? Number(peak[1]) * 1024 : 0 };
}

function catalyst(args: string[]): { stdout: string; peakRss: number } {
  const run = spawnSync("/usr/bin/time", [...TIME_ARGUMENTS, ...args], { maxBuffer: 1 << 28 });
  if (run.error) throw missingTime(run.error);
  return finished(args, run.status, run.stdout.toString(), run.stderr.toString());
}

/** `catalyst` without waiting: partners run theirs at the same time, each at its own site. */
function catalystAsync(args: string[]): Promise<{ stdout: string; peakRss: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", [...TIME_ARGUMENTS, ...args]);
    const [stdout, stderr]: Buffer[][] = [[], []];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => reject(missingTime(error)));
    child.on("close", (status) => {
      try { resolve(finished(args, status, Buffer.concat(stdout).toString(), Buffer.concat(stderr).toString())); } catch (error) { reject(error); }
    });
  });
}

const timed = <T>(work: () => T): [T, number] => { const started = performance.now(); const result = work(); return [result, (performance.now() - started) / 1000]; };
const timedAsync = async <T>(work: () => Promise<T>): Promise<[T, number]> => { const started = performance.now(); const result = await work(); return [result, (performance.now() - started) / 1000]; };
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const gb = (bytes: number) => (bytes / 1e9).toFixed(2);

const dir = await mkdtemp(join(tmpdir(), "catalyst-bench-pilot-"));
const sshd = await startSshd(join(dir, "sshd"));
try {
  const [, fixtureSeconds] = timed(() => catalyst(["fixtures", "phame", "--sites", "6", "--patients", patients.join(","), "--seed", "5", "--out", join(dir, "data"), "-q"]));
  const manifest = JSON.parse(await readFile(join(dir, "data", "sites.json"), "utf8")) as { sites: Array<{ name: string; kind: string; patients: number; tables: Record<string, { file: string; rows: number }> }> };
  for (const name of ["nm", "ac", "investigator"]) catalyst(["keys", "generate", "--name", name, "--dir", join(dir, "keys"), "-q"]);
  const queryFolder = join(repositoryRoot, "fixtures", "phame", "queries");
  const queryFiles = (await readdir(queryFolder)).filter((file) => file.endsWith(".sql") && (onlyQueries.length === 0 || onlyQueries.includes(file.replace(/\.sql$/, ""))));
  const rows = manifest.sites.reduce((sum, site) => sum + Object.values(site.tables).reduce((s, table) => s + table.rows, 0), 0);
  console.log(`bench:pilot at S = ${scale}: ${rows.toLocaleString("en-US")} input rows (fixtures ${fixtureSeconds.toFixed(1)} s); evaluator via SSH to OpenSSH sshd`);
  for (const site of manifest.sites) console.log(`  ${site.name} (${site.kind}): ${Object.entries(site.tables).map(([table, { rows: count }]) => `${table} ${count.toLocaleString("en-US")}`).join(", ")}`);

  for (const plan of plans) {
    const run = join(dir, plan);
    const study = join(run, "study.json");
    const pushers = plan === "pushdown" ? manifest.sites.filter((site) => pushdownSites === "all" || site.kind === "row-level") : [];
    // The public bound of each pushdown partner: its patients rounded up to a power of two (a rollup has no more rows).
    const pushdown = plan === "pushdown" ? pushers.flatMap((site) => ["--pushdown", `${site.name}:${2 ** Math.ceil(Math.log2(Math.max(2, site.patients)))}`]) : [];
    catalyst(["study", "init", "--name", `pilot ${plan}`, "--tables", join(dir, "data", "tables.sql"), ...queryFiles.flatMap((file) => ["--query", join(queryFolder, file)]),
      ...manifest.sites.flatMap((site) => ["--partner", `${site.name}:${Object.keys(site.tables).join(",")}`]), ...pushdown,
      "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", study, "-q"]);
    // Every partner shares, and then uploads, at the same time, as they would at their own sites (here they
    // contend for this machine's two cores). Each partner's own time is printed too.
    let sharePeak = 0;
    const siteShareSeconds: number[] = [];
    const shareSite = async (site: (typeof manifest.sites)[number], index: number) => {
      const started = performance.now();
      if (pushers.includes(site)) {
        sharePeak = Math.max(sharePeak, (await catalystAsync(["share", "--study", study, "--partner", site.name, "--plan", ...Object.entries(site.tables).flatMap(([table, { file }]) => ["--csv", `${table}=${join(dir, "data", file)}`]), "--out", join(run, "shares"), "-q"])).peakRss);
      } else {
        for (const [table, { file }] of Object.entries(site.tables)) sharePeak = Math.max(sharePeak, (await catalystAsync(["share", "--study", study, "--partner", site.name, "--table", table, "--csv", join(dir, "data", file), "--out", join(run, "shares"), "-q"])).peakRss);
      }
      siteShareSeconds[index] = (performance.now() - started) / 1000;
    };
    const [, shareSeconds] = await timedAsync(() => Promise.all(manifest.sites.map(shareSite)));
    let uploadPeak = 0;
    const [, uploadSeconds] = await timedAsync(() => Promise.all(manifest.sites.map(async (site) => {
      uploadPeak = Math.max(uploadPeak, (await catalystAsync(["upload", "--study", study, "--partner", site.name, "--from", join(run, "shares"), "--to-garbler", join(run, "in-nm"), "--to-evaluator", join(run, "in-ac"), "-q"])).peakRss);
    })));
    const perSiteShare = `each partner's own: ${manifest.sites.map((site, index) => `${site.name} ${siteShareSeconds[index].toFixed(1)} s`).join(", ")}`;
    const inbox = JSON.parse(catalyst(["--json", "inbox", "check", "--study", study, "--key", join(dir, "keys", "nm.key"), "--inbox", join(run, "in-nm")]).stdout);
    const uploadedRows = (inbox.present as Array<{ rows?: number }>).reduce((sum, entry) => sum + (entry.rows ?? 0), 0);
    const predicted = JSON.parse(catalyst(["--json", "plan", "--study", study, "--inbox", join(run, "in-nm"), "--key", join(dir, "keys", "nm.key")]).stdout);
    if (predictOnly) {
      console.log(`\n${plan}: ${uploadedRows.toLocaleString("en-US")} rows uploaded (public); share ${shareSeconds.toFixed(1)} s, upload ${uploadSeconds.toFixed(1)} s; predicted:`);
      for (const query of predicted.queries) {
        console.log(`    ${query.query}: ${query.andGates.toLocaleString("en-US")} ANDs, ${gb(query.tableBytes + query.otBytes)} GB, about ${(query.estimatedSeconds / 60).toFixed(1)} min`);
        for (const operator of query.operators as Array<{ depth: number; operator: string; lanes: number; andGates: number }>) {
          if (operator.andGates >= query.andGates / 100) console.log(`      ${"  ".repeat(operator.depth)}${operator.operator} [${operator.lanes} lanes] ${operator.andGates.toLocaleString("en-US")} ANDs`);
        }
      }
      continue;
    }
    const port = await freePort();
    const started = performance.now();
    const common = ["--json", "compute", "--study", study, "--idle-timeout", "1200", "--workers", workers];
    const profiling = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, plan)}`] : [];
    const garbler = startParty([...common, "--party=garbler", "--key", join(dir, "keys", "nm.key"), "--inbox", join(run, "in-nm"), "--out", join(run, "out-nm"), "--listen", `127.0.0.1:${port}`], {}, profiling);
    const evaluator = startParty([...common, "--party=evaluator", "--key", join(dir, "keys", "ac.key"), "--inbox", join(run, "in-ac"), "--out", join(run, "out-ac"),
      "--ssh", `${sshd.user}@127.0.0.1:${sshd.port}`, "--ssh-key", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--connect", `127.0.0.1:${port}`], {}, profiling);
    const [g, e] = await Promise.all([garbler.done, evaluator.done]);
    const computeSeconds = (performance.now() - started) / 1000;
    if (g.code !== 0 || e.code !== 0) throw new Error(`compute failed:\n${g.stderr}\n${e.stderr}`);
    // Printed before the checks, so that a failing check does not lose a long run's figures.
    const queries = g.json.queries as Array<{ andGates: number; seconds: { ot: number; circuit: number } }>;
    const ands = queries.reduce((sum, query) => sum + query.andGates, 0);
    const ot = queries.reduce((sum, query) => sum + query.seconds.ot, 0);
    const circuit = queries.reduce((sum, query) => sum + query.seconds.circuit, 0);
    console.log(`\n${plan}: ${uploadedRows.toLocaleString("en-US")} rows uploaded (public)`);
    console.log(`  share   ${shareSeconds.toFixed(1)} s, all partners at once (${perSiteShare}), peak RSS ${mb(sharePeak)} MB`);
    console.log(`  upload  ${uploadSeconds.toFixed(1)} s, peak RSS ${mb(uploadPeak)} MB`);
    console.log(`  compute ${computeSeconds.toFixed(1)} s wall${workers === "1" ? "" : ` on ${workers} worker pairs (OT and circuit summed over the queries)`}: OT ${ot.toFixed(1)} s, circuit ${circuit.toFixed(1)} s, ${ands.toLocaleString("en-US")} ANDs; garbler sent ${gb(g.json.bytesSent)} GB, evaluator ${gb(e.json.bytesSent)} GB; peak RSS garbler ${gb(g.json.peakRssBytes)} GB, evaluator ${gb(e.json.peakRssBytes)} GB`);
    const studyValue = parseStudy(await readFile(study, "utf8"), study);
    const csvOf = (partner: string, table: string) => join(dir, "data", manifest.sites.find((site) => site.name === partner)!.tables[table].file);
    let revealSeconds = 0;
    let revealPeak = 0;
    const outcomes: string[] = [];
    let allMatch = true;
    for (const query of g.json.queries as Array<{ query: string; andGates: number; seconds: { ot: number; circuit: number } }>) {
      const result = join(run, `${query.query}.csv`);
      const [revealed, seconds] = timed(() => catalyst(["reveal", "--study", study, "--key", join(dir, "keys", "investigator.key"), "--garbler", join(run, "out-nm", `${query.query}.nm.result`), "--evaluator", join(run, "out-ac", `${query.query}.ac.result`), "--out", result, "-q"]));
      revealSeconds += seconds;
      revealPeak = Math.max(revealPeak, revealed.peakRss);
      const reference = await resultEqualsDuckDb(studyValue, query.query, csvOf, result);
      let matches = reference.matches;
      if (scale <= 0.1) {
        const verify = JSON.parse(catalyst(["--json", "verify", "--study", study, "--csv-root", join(dir, "data"), "--result", result, "--query", query.query]).stdout);
        matches &&= verify.queries[0].resultMatches && verify.queries[0].circuitMatchesDuckDb;
      }
      allMatch &&= matches;
      const plan = predicted.queries.find((entry: { query: string }) => entry.query === query.query);
      const measuredSeconds = query.seconds.ot + query.seconds.circuit;
      outcomes.push(`    ${query.query}: ${query.andGates.toLocaleString("en-US")} ANDs (plan ${plan.andGates.toLocaleString("en-US")}), OT ${query.seconds.ot.toFixed(1)} s, circuit ${query.seconds.circuit.toFixed(1)} s (${(query.andGates / Math.max(query.seconds.circuit, 1e-9) / 1e6).toFixed(2)} M AND/s; OT and circuit ${measuredSeconds.toFixed(1)} s against the plan's ${plan.estimatedSeconds.toFixed(1)} s for ${plan.interactionBytes.toLocaleString("en-US")} interaction bytes, ${plan.rounds} rounds, ${plan.inputBits.toLocaleString("en-US")} input bits), ${reference.rows} released rows, equals cleartext: ${matches}`);
    }
    for (const [party, json] of [["garbler", g.json], ["evaluator", e.json]] as const) {
      console.log(`  ${party}: ${whereThePeakWasSet(json.queries)}`);
      if (!listOperators) continue;
      for (const query of json.queries as QueryOperators[]) {
        for (const entry of query.operators) console.log(`    ${query.query}: ${entry.operator} (${entry.lanes.toLocaleString("en-US")} lanes): ${entry.seconds.toFixed(1)} s, ${entry.andGates.toLocaleString("en-US")} ANDs, peak RSS ${gb(entry.peakRssBytes)} GB, ArrayBuffers ${gb(entry.arrayBufferBytes)} GB`);
      }
    }
    const costliest = (g.json.queries as QueryOperators[]).flatMap((query) => query.operators.map((entry) => ({ ...entry, query: query.query }))).sort((a, b) => b.seconds - a.seconds).slice(0, 4);
    console.log(`  garbler's slowest operators: ${costliest.map((entry) => `${entry.query} ${entry.operator} (${entry.lanes.toLocaleString("en-US")} lanes) ${entry.seconds.toFixed(1)} s, ${(entry.andGates / 1e6).toFixed(1)} M ANDs`).join("; ")}`);
    const total = shareSeconds + uploadSeconds + computeSeconds + revealSeconds;
    console.log(`  reveal  ${revealSeconds.toFixed(1)} s, peak RSS ${mb(revealPeak)} MB`);
    console.log(`  total   ${total.toFixed(1)} s (${(total / 60).toFixed(1)} min); every result equals the cleartext answer: ${allMatch}`);
    for (const line of outcomes) console.log(line);
  }
} finally {
  await sshd.stop();
  if (keep) console.log(`\nwork folder kept: ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
