/**
 * bench:compute — two `catalyst compute` processes, the evaluator through the SSH tunnel to a real OpenSSH
 * sshd on loopback, running `SELECT SUM(v) FROM t` over N rows of INT64 (≈130 ANDs a row: a 64-bit mask and
 * a tree of adders). Prints OT and circuit time, ANDs, AND/s, bytes each way and each process's peak RSS.
 * Usage: npm run bench:compute -- [--rows N]
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repositoryRoot } from "../helpers/cli.js";
import { startParty } from "../helpers/computeParties.js";
import { freePort, startSshd } from "../helpers/sshd.js";

const rowsFlag = process.argv.indexOf("--rows");
const rows = rowsFlag > 0 ? Number(process.argv[rowsFlag + 1]) : 400_000;
const catalyst = (args: string[]) => execFileSync(process.execPath, [join(repositoryRoot, "bin", "catalyst"), ...args], { stdio: ["ignore", "pipe", "inherit"] });

const dir = await mkdtemp(join(tmpdir(), "catalyst-bench-compute-"));
const sshd = await startSshd(join(dir, "sshd"));
try {
  const lines = ["v"];
  for (let i = 0; i < rows; i++) lines.push(String((i * 7919) % 1_000_003 - 500_000));
  await writeFile(join(dir, "t.csv"), lines.join("\n") + "\n");
  await writeFile(join(dir, "tables.sql"), "CREATE TABLE t (v INT64);\n");
  await writeFile(join(dir, "q_sum.sql"), "SELECT SUM(v) FROM t\n");
  for (const name of ["nm", "ac", "investigator"]) catalyst(["keys", "generate", "--name", name, "--dir", join(dir, "keys"), "-q"]);
  catalyst(["study", "init", "--name", "bench", "--tables", join(dir, "tables.sql"), "--query", join(dir, "q_sum.sql"), "--partner", "site:t",
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", join(dir, "study.json"), "-q"]);
  catalyst(["share", "--study", join(dir, "study.json"), "--partner", "site", "--table", "t", "--csv", join(dir, "t.csv"), "--out", join(dir, "shares"), "-q"]);
  catalyst(["upload", "--study", join(dir, "study.json"), "--partner", "site", "--from", join(dir, "shares"), "--to-garbler", join(dir, "in-nm"), "--to-evaluator", join(dir, "in-ac"), "-q"]);

  const port = await freePort();
  const common = ["--json", "compute", "--study", join(dir, "study.json")];
  const started = performance.now();
  const garbler = startParty([...common, "--party=garbler", "--key", join(dir, "keys", "nm.key"), "--inbox", join(dir, "in-nm"), "--out", join(dir, "out-nm"), "--listen", `127.0.0.1:${port}`]);
  const evaluator = startParty([...common, "--party=evaluator", "--key", join(dir, "keys", "ac.key"), "--inbox", join(dir, "in-ac"), "--out", join(dir, "out-ac"),
    "--ssh", `${sshd.user}@127.0.0.1:${sshd.port}`, "--ssh-key", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--connect", `127.0.0.1:${port}`]);
  const [g, e] = await Promise.all([garbler.done, evaluator.done]);
  const wall = (performance.now() - started) / 1000;
  if (g.code !== 0 || e.code !== 0) throw new Error(`compute failed:\n${g.stderr}\n${e.stderr}`);
  const query = g.json.queries[0];
  const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
  console.log(`bench:compute  SELECT SUM(v) FROM t over ${rows.toLocaleString("en-US")} INT64 rows, evaluator via SSH tunnel to OpenSSH sshd`);
  console.log(`  input bits (one COT each): ${(rows * 65).toLocaleString("en-US")}   OT ${query.seconds.ot.toFixed(2)} s  (${((rows * 65) / query.seconds.ot / 1e6).toFixed(1)} M COT/s incl. base OT)`);
  console.log(`  circuit: ${query.andGates.toLocaleString("en-US")} ANDs in ${query.seconds.circuit.toFixed(2)} s = ${(query.andGates / query.seconds.circuit / 1e6).toFixed(2)} M AND/s   table stream ${mb(query.tableBytes)} MB (${(query.tableBytes / query.andGates).toFixed(1)} B/AND)`);
  console.log(`  garbler sent ${mb(g.json.bytesSent)} MB, evaluator sent ${mb(e.json.bytesSent)} MB; wall clock ${wall.toFixed(1)} s (incl. process start and share loading)`);
  console.log(`  peak RSS garbler ${mb(g.json.peakRssBytes)} MB, evaluator ${mb(e.json.peakRssBytes)} MB`);
} finally {
  await sshd.stop();
  await rm(dir, { recursive: true, force: true });
}
