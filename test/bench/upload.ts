/**
 * bench:upload — a partner's share through a grant into a real store, and the compute party's pull back out.
 * Shares N rows of a wide-ish table (one INT64 and a CHAR(32) per row), grants with the store's credentials,
 * uploads through the write-once URLs and pulls with `inbox pull`. Prints MB, seconds and MB/s per step.
 * Usage: npm run bench:upload -- [--rows N] [--store azurite|radosgw]
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAzurite } from "../helpers/azurite.js";
import { repositoryRoot } from "../helpers/cli.js";
import { startRadosgw } from "../helpers/radosgw.js";

const flag = (name: string, fallback: string) => { const at = process.argv.indexOf(name); return at > 0 ? process.argv[at + 1] : fallback; };
const rows = Number(flag("--rows", "1000000"));
const storeKind = flag("--store", "azurite");

const dir = await mkdtemp(join(tmpdir(), "catalyst-bench-upload-"));
const server = storeKind === "radosgw" ? await startRadosgw() : await startAzurite();
const environment = "environment" in server ? server.environment : { AZURE_STORAGE_CONNECTION_STRING: server.connectionString };
const store = (container: string) => (storeKind === "radosgw" ? `s3://${container}` : `azure://devstoreaccount1/${container}`);
const catalyst = (args: string[]) => execFileSync(process.execPath, [join(repositoryRoot, "bin", "catalyst"), ...args], {
  stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...environment, CATALYST_AUDIT_LOG: join(dir, "audit.jsonl") },
});
const timed = (args: string[]) => { const started = performance.now(); catalyst(args); return (performance.now() - started) / 1000; };

try {
  const lines = ["v,tag"];
  for (let i = 0; i < rows; i++) lines.push(`${(i * 7919) % 1_000_003},${(i * 2654435761 % 2 ** 32).toString(16).padStart(32, "0")}`);
  await writeFile(join(dir, "t.csv"), lines.join("\n") + "\n");
  await writeFile(join(dir, "tables.sql"), "CREATE TABLE t (v INT64, tag CHAR(32));\n");
  await writeFile(join(dir, "q.sql"), "SELECT COUNT(*) FROM t\n");
  for (const name of ["nm", "ac", "investigator"]) catalyst(["keys", "generate", "--name", name, "--dir", join(dir, "keys"), "-q"]);
  const study = join(dir, "study.json");
  catalyst(["study", "init", "--name", "bench", "--tables", join(dir, "tables.sql"), "--query", join(dir, "q.sql"), "--partner", "site:t",
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", study, "-q"]);
  const shareSeconds = timed(["share", "--study", study, "--partner", "site", "--table", "t", "--csv", join(dir, "t.csv"), "--out", join(dir, "shares"), "-q"]);
  const bytes = (await stat(join(dir, "shares", "site", "t.nm.share"))).size;
  const grantSeconds = timed(["grant", "--study", study, "--party", "garbler", "--store", store("bench-nm"), "--create", "--out", join(dir, "grants"), "-q"])
    + timed(["grant", "--study", study, "--party", "evaluator", "--store", store("bench-ac"), "--create", "--out", join(dir, "grants"), "-q"]);
  const upload = ["upload", "--study", study, "--partner", "site", "--from", join(dir, "shares"), "--to-garbler", join(dir, "grants", "site.nm.grant.json"), "--to-evaluator", join(dir, "grants", "site.ac.grant.json"), "-q"];
  const uploadSeconds = timed(upload);
  const rerunSeconds = timed(upload);
  const pullSeconds = timed(["inbox", "pull", "--study", study, "--key", join(dir, "keys", "nm.key"), "--store", store("bench-nm"), "--out", join(dir, "pulled"), "-q"]);
  const megabytes = bytes / 1e6;
  console.log(`store ${storeKind}, ${rows.toLocaleString("en-US")} rows, two shares of ${megabytes.toFixed(1)} MB`);
  console.log(`share   ${shareSeconds.toFixed(2)} s`);
  console.log(`grant   ${grantSeconds.toFixed(2)} s (both parties)`);
  console.log(`upload  ${uploadSeconds.toFixed(2)} s  ${(2 * megabytes / uploadSeconds).toFixed(1)} MB/s (both shares, digests included)`);
  console.log(`re-run  ${rerunSeconds.toFixed(2)} s  (every name already taken; Azure answers before the body)`);
  console.log(`pull    ${pullSeconds.toFixed(2)} s  ${(megabytes / pullSeconds).toFixed(1)} MB/s (one party, download, MD5, open and verify)`);
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
