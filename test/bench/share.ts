/**
 * bench:share — rows/s and peak memory of `catalyst share` on one large CSV (default 2,000,000 rows of
 * phame_demographic), then of opening the sealed share again as `inbox check` does.
 * Usage: npm run bench:share -- [--rows N]
 */
import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shareCsv } from "../../src/cli/share.js";
import { parseSecretKey } from "../../src/share/keys.js";
import { openShareFile } from "../../src/share/shareFile.js";
import { parseStudy } from "../../src/share/study.js";
import { repositoryRoot } from "../helpers/cli.js";

const rowsFlag = process.argv.indexOf("--rows");
const rows = rowsFlag > 0 ? Number(process.argv[rowsFlag + 1]) : 2_000_000;
const catalyst = (args: string[]) => execFileSync(process.execPath, [join(repositoryRoot, "bin", "catalyst"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

const dir = await mkdtemp(join(tmpdir(), "catalyst-bench-share-"));
try {
  // Generated in a child process so that this process's peak memory is the sharing alone.
  catalyst(["fixtures", "phame", "--sites", "1", "--patients", String(rows), "--seed", "3", "--out", join(dir, "data")]);
  for (const name of ["nm", "ac", "investigator"]) catalyst(["keys", "generate", "--name", name, "--dir", join(dir, "keys")]);
  catalyst(["study", "init", "--name", "bench", "--tables", join(dir, "data", "tables.sql"), "--partner", "site1:phame_demographic",
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", join(dir, "study.json")]);
  const study = parseStudy(await readFile(join(dir, "study.json"), "utf8"));
  const csv = join(dir, "data", "site1", "phame_demographic.csv");
  const csvBytes = (await stat(csv)).size;

  const baseline = process.memoryUsage().rss;
  const receipt = await shareCsv(study, { partner: "site1", table: "phame_demographic", csv, out: join(dir, "shares") });
  const afterShare = process.resourceUsage().maxRSS * 1024;

  const key = parseSecretKey(await readFile(join(dir, "keys", "nm.key"), "utf8"));
  const started = performance.now();
  const opened = await openShareFile(createReadStream(receipt.shares[0].path), key.secretKey, study, receipt.shares[0].path);
  const openSeconds = (performance.now() - started) / 1000;

  console.log(`bench:share  ${receipt.rows.toLocaleString("en-US")} rows of phame_demographic, CSV ${megabytes(csvBytes)} MB, share files ${megabytes(receipt.shares[0].bytes)} MB each`);
  console.log(`  share (validate, encode, split, seal both): ${receipt.seconds.toFixed(2)} s  ${Math.round(receipt.rows / receipt.seconds).toLocaleString("en-US")} rows/s  ${(csvBytes / 1e6 / receipt.seconds).toFixed(1)} MB/s of CSV`);
  console.log(`  open + verify one share:                    ${openSeconds.toFixed(2)} s  ${Math.round(opened.rows / openSeconds).toLocaleString("en-US")} rows/s`);
  console.log(`  peak RSS ${megabytes(afterShare)} MB (process baseline ${megabytes(baseline)} MB; the CSV alone is ${megabytes(csvBytes)} MB)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
