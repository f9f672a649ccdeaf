/**
 * bench:portal — in-browser sharing: a data partner's N-row (default 200,000) phame_demographic CSV checked,
 * split and sealed by the portal's Web Worker in real headless Chromium, then uploaded through Azurite
 * grants; `catalyst share` on the same CSV for comparison. Prints rows/s and MB/s.
 * Usage: npm run bench:portal -- [--rows N]
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFile, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { writePhameFixtures } from "../../src/share/synthetic/writePhame.js";
import { startAzurite } from "../helpers/azurite.js";
import { launchChromium } from "../helpers/chromium.js";
import { repositoryRoot } from "../helpers/cli.js";

const flag = (name: string, fallback: string) => { const at = process.argv.indexOf(name); return at > 0 ? process.argv[at + 1] : fallback; };
const rows = Number(flag("--rows", "200000"));

const dir = await mkdtemp(join(tmpdir(), "catalyst-bench-portal-"));
const azurite = await startAzurite();
const environment = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, CATALYST_AUDIT_LOG: join(dir, "audit.jsonl") };
const catalyst = (args: string[]) => execFileSync(process.execPath, [join(repositoryRoot, "bin", "catalyst"), ...args], { stdio: ["ignore", "pipe", "inherit"], env: environment });
const browser = await launchChromium();
const portal = { process: undefined as ReturnType<typeof spawn> | undefined };
try {
  await BlobServiceClient.fromConnectionString(azurite.connectionString).setProperties({ cors: [{ allowedOrigins: "*", allowedMethods: "PUT,OPTIONS", allowedHeaders: "*", exposedHeaders: "*", maxAgeInSeconds: 60 }] });
  await writePhameFixtures({ sites: 1, patients: rows, seed: 7, out: join(dir, "csv") });
  const csv = join(dir, "csv", "site1", "phame_demographic.csv");
  await copyFile(join(repositoryRoot, "fixtures", "phame", "tables.sql"), join(dir, "tables.sql"));
  await copyFile(join(repositoryRoot, "fixtures", "phame", "simple-queries", "row_level_patients.sql"), join(dir, "row_level_patients.sql"));
  for (const name of ["nm", "ac", "investigator"]) catalyst(["keys", "generate", "--name", name, "--dir", join(dir, "keys"), "-q"]);
  const study = join(dir, "study.json");
  catalyst(["study", "init", "--name", "bench", "--tables", join(dir, "tables.sql"), "--query", join(dir, "row_level_patients.sql"), "--partner", "site1:phame_demographic",
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", study, "-q"]);
  for (const [party, container] of [["garbler", "bench-nm"], ["evaluator", "bench-ac"]]) {
    catalyst(["grant", "--study", study, "--party", party, "--store", `azure://devstoreaccount1/${container}`, "--create", "--out", join(dir, "grants"), "-q"]);
  }
  const child = spawn(process.execPath, [join(repositoryRoot, "bin", "catalyst"), "--json", "portal", "--port", "0", "--study", study, "--grants", join(dir, "grants")], { stdio: ["ignore", "pipe", "inherit"], env: environment });
  portal.process = child;
  const link = await new Promise<string>((resolve) => {
    let text = "";
    child.stdout!.on("data", (chunk) => { text += chunk; try { resolve(JSON.parse(text).partnerLinks.site1); } catch { /* not whole yet */ } });
  });
  const page = await browser.newPage();
  await page.goto(link);
  await page.waitForSelector('#partner-name option[value="site1"]', { state: "attached" });
  await page.waitForFunction(() => document.getElementById("grant-source")?.textContent?.includes("2 grant file"));
  await page.setInputFiles("#csv-phame_demographic", csv);
  const started = performance.now();
  await page.click("#share-upload");
  await page.waitForSelector("#receipt-section:not([hidden]), #share-error:not(:empty)", { timeout: 600_000 });
  const total = (performance.now() - started) / 1000;
  const failure = await page.textContent("#share-error");
  if (failure) throw new Error(`the page refused the CSV: ${failure}`);
  const receipt = JSON.parse((await page.textContent("#receipt"))!);
  const megabytes = (await stat(csv)).size / 1e6;
  const shareBytes = receipt.tables[0].shares[0].bytes / 1e6;
  const cliStarted = performance.now();
  catalyst(["share", "--study", study, "--partner", "site1", "--table", "phame_demographic", "--csv", csv, "--out", join(dir, "cli-shares"), "-q"]);
  const cliSeconds = (performance.now() - cliStarted) / 1000;
  const browserVersion = browser.version();
  console.log(`bench:portal  ${receipt.tables[0].rows.toLocaleString("en-US")} rows of phame_demographic, CSV ${megabytes.toFixed(1)} MB, shares ${shareBytes.toFixed(1)} MB each, Chromium ${browserVersion}`);
  console.log(`  in the page (Web Worker: validate, encode, split, seal both): ${receipt.shareSeconds.toFixed(2)} s  ${Math.round(receipt.tables[0].rows / receipt.shareSeconds).toLocaleString("en-US")} rows/s  ${(megabytes / receipt.shareSeconds).toFixed(1)} MB/s of CSV`);
  console.log(`  in the page, share and both uploads (Azurite):               ${total.toFixed(2)} s`);
  console.log(`  catalyst share, same CSV (Node, process start included):      ${cliSeconds.toFixed(2)} s  ${Math.round(receipt.tables[0].rows / cliSeconds).toLocaleString("en-US")} rows/s`);
} finally {
  portal.process?.kill("SIGTERM");
  await browser.close();
  await azurite.stop();
  await rm(dir, { recursive: true, force: true });
}
