/**
 * The portal end to end in real headless Chromium (playwright-core, Debian's chromium): a study made in the
 * page equals the CLI's byte for byte; a fixture site's CSVs are checked, shared, sealed and uploaded by the
 * page through Azurite grants (bad CSVs give the CLI's errors and upload nothing); the compute parties pull,
 * check and compute over them beside CLI-made shares, through the SSH tunnel; the page reveals what
 * `catalyst reveal` reveals. Screenshots of each page go to test-artifacts/portal/.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import type { Browser, Page } from "playwright-core";
import { startAzurite, type TestAzurite } from "../helpers/azurite.js";
import { launchChromium } from "../helpers/chromium.js";
import { removeFolder, repositoryRoot, runCli, temporaryFolder, testAuditLog } from "../helpers/cli.js";
import { computeOverSsh, computeOverTcp } from "../helpers/computeParties.js";
import { startSshd, type TestSshServer } from "../helpers/sshd.js";

const ARTIFACTS = join(repositoryRoot, "test-artifacts", "portal");
const SAMPLE = join(repositoryRoot, "fixtures", "phame", "sample");
const QUERIES = ["cohort_total", "rollup_by_age_gender"];
const PARTNERS: Record<string, string[]> = {
  site1: ["phame_cohort_counts", "phame_demographic", "phame_diagnosis"],
  site2: ["phame_cohort_counts", "phame_demographic", "phame_diagnosis"],
  site3: ["phame_cohort_counts", "phame_diagnosis_rollup"],
};
const CONTAINERS = { garbler: "portal-nm", evaluator: "portal-ac" };

let dir: string;
let azurite: TestAzurite;
let sshd: TestSshServer;
let browser: Browser;
let portal: RunningPortal;
const studyFile = () => join(dir, "study.json");
const key = (name: string) => join(dir, "keys", `${name}.key`);
const asSite = (args: string[], cwd?: string) => runCli(args, { cwd, env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, CATALYST_AUDIT_LOG: testAuditLog } });

interface RunningPortal { process: ChildProcess; url: string; partnerLinks: Record<string, string> }

function startPortal(args: string[]): Promise<RunningPortal> {
  const child = spawn(process.execPath, [join(repositoryRoot, "bin", "catalyst"), "--json", "portal", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
  let stdout = "";
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk) => { stderr += chunk; });
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      try { const printed = JSON.parse(stdout); resolve({ process: child, url: printed.url, partnerLinks: printed.partnerLinks }); } catch { /* the document is not whole yet */ }
    });
    child.once("exit", (code) => reject(new Error(`catalyst portal exited with ${code}: ${stderr}`)));
  });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function blobNames(container: string): Promise<string[]> {
  const client = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
  const names: string[] = [];
  for await (const blob of client.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

/** Types a study into the study page as an investigator would, from the files the CLI was given. */
async function fillStudyPage(page: Page, study: { name: string; queries: string[]; pushdown?: Record<string, number> }): Promise<void> {
  await page.goto(`${portal.url}study.html`);
  await page.fill("#study-name", study.name);
  await page.fill("#tables-sql", await readFile(join(dir, "tables.sql"), "utf8"));
  await page.fill("#min-cell-count", "11");
  for (const [index, [partner, tables]] of Object.entries(PARTNERS).entries()) {
    if (index > 0) await page.click("#add-partner");
    await page.fill(`#partner-${index + 1}-name`, partner);
    for (const table of tables) await page.check(`input[name="partner-${index + 1}-tables"][value="${table}"]`);
    const bound = study.pushdown?.[partner];
    if (bound !== undefined) {
      await page.check(`#partner-${index + 1}-pushdown`);
      await page.fill(`#partner-${index + 1}-max-rows`, String(bound));
    }
  }
  for (const [field, name] of [["garbler", "nm"], ["evaluator", "ac"]]) {
    await page.fill(`#${field}-name`, name);
    await page.fill(`#${field}-key`, await readFile(join(dir, "keys", `${name}.pub`), "utf8"));
  }
  await page.fill("#investigator-key", await readFile(join(dir, "keys", "investigator.pub"), "utf8"));
  for (const [index, query] of study.queries.entries()) {
    if (index > 0) await page.click("#add-query");
    await page.fill(`#query-${index + 1}-name`, query);
    await page.fill(`#query-${index + 1}-sql`, await readFile(join(dir, `${query}.sql`), "utf8"));
  }
}

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-portal-");
  [azurite, browser] = await Promise.all([startAzurite(), launchChromium()]);
  sshd = await startSshd(join(dir, "sshd"));
  // The browser PUTs straight to the store: the store must allow the portal's origin (CORS), as a real one would.
  await BlobServiceClient.fromConnectionString(azurite.connectionString).setProperties({
    cors: [{ allowedOrigins: "*", allowedMethods: "PUT,OPTIONS", allowedHeaders: "*", exposedHeaders: "*", maxAgeInSeconds: 60 }],
  });
  for (const name of ["nm", "ac", "investigator"]) expect((await runCli(["keys", "generate", "--name", name, "--dir", join(dir, "keys")])).code).toBe(0);
  await copyFile(join(repositoryRoot, "fixtures", "phame", "tables.sql"), join(dir, "tables.sql"));
  for (const query of QUERIES) {
    const folder = query === "cohort_total" ? "simple-queries" : "queries";
    await copyFile(join(repositoryRoot, "fixtures", "phame", folder, `${query}.sql`), join(dir, `${query}.sql`));
  }
  const init = await runCli([
    "study", "init", "--name", "Portal study", "--tables", "tables.sql", ...QUERIES.flatMap((query) => ["--query", `${query}.sql`]),
    ...Object.entries(PARTNERS).flatMap(([partner, tables]) => ["--partner", `${partner}:${tables.join(",")}`]),
    "--garbler", "nm:keys/nm.pub", "--evaluator", "ac:keys/ac.pub", "--investigator", "keys/investigator.pub", "--min-cell-count", "11", "--out", "study.json",
  ], { cwd: dir });
  expect(init.stderr).toBe("");
  await mkdir(join(dir, "grants"));
  for (const [role, container] of Object.entries(CONTAINERS)) {
    const granted = await asSite(["grant", "--study", studyFile(), "--party", role, "--store", `azure://devstoreaccount1/${container}`, "--create", "--expires", "1h", "--out", join(dir, "grants")]);
    expect(granted.code).toBe(0);
  }
  portal = await startPortal(["--study", studyFile(), "--grants", join(dir, "grants")]);
}, 180_000);

afterAll(async () => {
  portal?.process.kill("SIGTERM");
  await browser?.close();
  await Promise.all([azurite?.stop(), sshd?.stop()]);
  await removeFolder(dir);
});

describe("the portal server", () => {
  it("serves the pages, the study and each partner's own grants, and accepts no data", async () => {
    const index = await fetch(portal.url);
    expect(index.status).toBe(200);
    const policy = index.headers.get("content-security-policy")!;
    // The pages may reach the portal and the grants' store, nothing else.
    expect(policy).toContain(`connect-src 'self' http://127.0.0.1:${azurite.port}`);
    expect(policy).toContain("default-src 'none'");
    expect(await (await fetch(`${portal.url}api/study`)).text()).toBe(await readFile(studyFile(), "utf8"));
    // A partner's grants are bearer URLs: only its own link's token leads to them, never its name.
    expect(Object.keys(portal.partnerLinks).sort()).toEqual(["site1", "site2", "site3"]);
    const token = /#grant=([0-9a-f]{32})$/.exec(portal.partnerLinks.site3)![1];
    const served = await (await fetch(`${portal.url}api/grants/${token}`)).json() as { partner: string; grants: Array<{ file: string }> };
    expect(served.partner).toBe("site3");
    expect(served.grants.map((grant) => grant.file).sort()).toEqual(["site3.ac.grant.json", "site3.nm.grant.json"]);
    for (const guess of ["site3", "0".repeat(32), "%E0"]) expect((await fetch(`${portal.url}api/grants/${guess}`)).status).toBe(404);
    // Another name for this address (a rebinding attacker's) gets nothing.
    const foreign = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${portal.url}api/study`, { headers: { host: "evil.example" } }, (response) => { response.resume(); resolve(response.statusCode ?? 0); });
      request.on("error", reject);
      request.end();
    });
    expect(foreign).toBe(421);
    for (const method of ["POST", "PUT"]) expect((await fetch(`${portal.url}api/study`, { method, body: "x" })).status).toBe(405);
    expect((await fetch(`${portal.url}assets/nothing.js`)).status).toBe(404);
  });

  it("lays every page out at a phone's width without sideways scrolling", async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    for (const name of ["index", "study", "partner", "reveal"]) {
      await page.goto(`${portal.url}${name}.html`);
      await page.waitForLoadState("networkidle");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect([name, overflow]).toEqual([name, 0]);
      // Every form control has a label that names it.
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea")].filter((control) => !(control as HTMLInputElement).labels?.length && !control.getAttribute("aria-label")).map((control) => control.id));
      expect([name, unlabelled]).toEqual([name, []]);
      await screenshot(page, `narrow-${name}`);
    }
    await page.close();
  });
});

describe("the study page", () => {
  it("makes the study.json that `catalyst study init` makes from the same inputs, byte for byte", async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    await fillStudyPage(page, { name: "Portal study", queries: QUERIES });
    await screenshot(page, "study");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-study")]);
    expect(download.suggestedFilename()).toBe("study.json");
    const made = await readFile((await download.path())!);
    expect(made.equals(await readFile(studyFile()))).toBe(true);
    await page.close();
  });

  it("shows the CLI's errors in place: a bad table at its line and column, a bad query at its token", async () => {
    const page = await browser.newPage();
    await page.goto(`${portal.url}study.html`);
    const badTables = "CREATE TABLE visits (patid INT32,\n  age INT33);\n";
    await page.fill("#tables-sql", badTables);
    const tablesError = await page.textContent("#tables-error");
    await writeFile(join(dir, "TABLES.sql"), badTables);
    await writeFile(join(dir, "bad_query.sql"), "SELECT nope FROM phame_demographic");
    const cliTables = await runCli(["study", "init", "--name", "x", "--tables", "TABLES.sql", "--garbler", "nm:keys/nm.pub", "--evaluator", "ac:keys/ac.pub", "--investigator", "keys/investigator.pub", "--out", "bad.json"], { cwd: dir });
    expect(cliTables.code).toBe(3);
    expect(tablesError).toMatch(/^TABLES\.sql:2:\d+: /);
    expect(cliTables.stderr.trim()).toBe(`catalyst: ${tablesError}`);

    await page.fill("#tables-sql", await readFile(join(dir, "tables.sql"), "utf8"));
    await page.fill("#study-name", "x");
    await page.fill("#partner-1-name", "site1");
    await page.check('input[name="partner-1-tables"][value="phame_demographic"]');
    for (const [field, name] of [["garbler", "nm"], ["evaluator", "ac"]]) {
      await page.fill(`#${field}-name`, name);
      await page.fill(`#${field}-key`, await readFile(join(dir, "keys", `${name}.pub`), "utf8"));
    }
    await page.fill("#investigator-key", await readFile(join(dir, "keys", "investigator.pub"), "utf8"));
    await page.fill("#query-1-name", "bad_query");
    await page.fill("#query-1-sql", "SELECT nope FROM phame_demographic");
    await page.click("#download-study");
    const queryError = await page.textContent("#query-1-error");
    const cliQuery = await runCli(["study", "init", "--name", "x", "--tables", "tables.sql", "--query", "bad_query.sql", "--partner", "site1:phame_demographic", "--garbler", "nm:keys/nm.pub", "--evaluator", "ac:keys/ac.pub", "--investigator", "keys/investigator.pub", "--out", "bad.json"], { cwd: dir });
    expect(queryError).toBe("bad_query.sql:1:8: unknown column nope");
    expect(cliQuery.stderr.trim()).toBe(`catalyst: ${queryError}`);
    await screenshot(page, "study-errors");
    await page.close();
  });
});

describe("the data-partner page, the compute parties and the reveal page", () => {
  const csv = (partner: string, table: string) => join(SAMPLE, partner, `${table}.csv`);

  async function partnerPage(files: Record<string, string>): Promise<Page> {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(portal.partnerLinks.site1);
    await page.waitForSelector('#partner-name option[value="site1"]', { state: "attached" });
    expect(await page.inputValue("#partner-name")).toBe("site1");
    await page.waitForFunction(() => document.getElementById("grant-source")?.textContent?.includes("2 grant file"));
    for (const [table, path] of Object.entries(files)) await page.setInputFiles(`#csv-${table}`, path);
    return page;
  }

  it("refuses a bad CSV with the CLI's error and uploads nothing", async () => {
    const badDir = join(dir, "bad");
    await mkdir(badDir, { recursive: true });
    const lines = (await readFile(csv("site1", "phame_demographic"), "utf8")).split("\n");
    lines[4] = lines[4].replace(/^(\d+),[^,]*/, "$1,9");
    await writeFile(join(badDir, "phame_demographic.csv"), lines.join("\n"));
    const page = await partnerPage({ phame_cohort_counts: csv("site1", "phame_cohort_counts"), phame_demographic: join(badDir, "phame_demographic.csv"), phame_diagnosis: csv("site1", "phame_diagnosis") });
    await page.click("#share-upload");
    await page.waitForFunction(() => (document.getElementById("share-error")?.textContent ?? "").length > 0);
    const shown = await page.textContent("#share-error");
    const cli = await runCli(["share", "--study", studyFile(), "--partner", "site1", "--table", "phame_demographic", "--csv", "phame_demographic.csv", "--out", join(dir, "bad-out")], { cwd: badDir });
    expect(cli.code).toBe(3);
    expect(shown).toMatch(/^phame_demographic\.csv:5:2: column 2 \(age_cat\): expected one of/);
    expect(cli.stderr.trim()).toBe(`catalyst: ${shown}`);
    await screenshot(page, "partner-error");
    // An empty CSV gets the CLI's message too (the browser build of csv-parse cannot end an empty parser).
    await writeFile(join(badDir, "phame_cohort_counts.csv"), "");
    await page.setInputFiles("#csv-phame_cohort_counts", join(badDir, "phame_cohort_counts.csv"));
    await page.setInputFiles("#csv-phame_demographic", csv("site1", "phame_demographic"));
    await page.click("#share-upload");
    await page.waitForFunction(() => (document.getElementById("share-error")?.textContent ?? "").includes("empty"));
    const emptyShown = await page.textContent("#share-error");
    const emptyCli = await runCli(["share", "--study", studyFile(), "--partner", "site1", "--table", "phame_cohort_counts", "--csv", "phame_cohort_counts.csv", "--out", join(dir, "bad-out")], { cwd: badDir });
    expect(emptyCli.stderr.trim()).toBe(`catalyst: ${emptyShown}`);
    expect(await blobNames(CONTAINERS.garbler)).toEqual([]);
    expect(await blobNames(CONTAINERS.evaluator)).toEqual([]);
    await page.close();
  });

  it("shares, seals and uploads a fixture site's CSVs; the parties compute over them beside CLI-made shares; the page reveals what the CLI reveals", async () => {
    const page = await partnerPage(Object.fromEntries(PARTNERS.site1.map((table) => [table, csv("site1", table)])));
    await page.click("#share-upload");
    await page.waitForSelector("#receipt-section:not([hidden])", { timeout: 60_000 });
    expect(await page.textContent("#share-error")).toBe("");
    const receipt = JSON.parse((await page.textContent("#receipt"))!);
    const sites = JSON.parse(await readFile(join(SAMPLE, "sites.json"), "utf8")).sites;
    const site1 = sites.find((site: { name: string }) => site.name === "site1");
    expect(receipt.partner).toBe("site1");
    expect(receipt.tables.map((table: { table: string; rows: number }) => [table.table, table.rows])).toEqual(PARTNERS.site1.map((table) => [table, site1.tables[table].rows]));
    for (const table of receipt.tables) expect(table.shares.map((share: { party: string; outcome: string }) => [share.party, share.outcome])).toEqual([["nm", "uploaded"], ["ac", "uploaded"]]);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#receipt-download")]);
    expect(JSON.parse(await readFile((await download.path())!, "utf8"))).toEqual(receipt);
    await screenshot(page, "partner");
    // Sharing again makes new randomness; a write-once name already taken is refused, never mixed in.
    await page.click("#share-upload");
    await page.waitForFunction(() => (document.getElementById("share-error")?.textContent ?? "").length > 0, undefined, { timeout: 60_000 });
    expect(await page.textContent("#share-error")).toMatch(/^site1\/phame_cohort_counts\.nm\.share → nm: the store already holds a file under this name, and grants are write-once/);
    await page.close();
    expect(await blobNames(CONTAINERS.garbler)).toEqual(PARTNERS.site1.map((table) => `site1/${table}.nm.share`).sort());

    // The other sites share and upload with the CLI.
    for (const partner of ["site2", "site3"]) {
      for (const table of PARTNERS[partner]) {
        const shared = await runCli(["share", "--study", studyFile(), "--partner", partner, "--table", table, "--csv", csv(partner, table), "--out", join(dir, "shares")]);
        expect(shared.stderr).toBe("");
      }
      const uploaded = await asSite(["upload", "--study", studyFile(), "--partner", partner, "--from", join(dir, "shares"), "--to-garbler", join(dir, "grants", `${partner}.nm.grant.json`), "--to-evaluator", join(dir, "grants", `${partner}.ac.grant.json`)]);
      expect(uploaded.code).toBe(0);
    }
    for (const [role, container] of Object.entries(CONTAINERS)) {
      const party = role === "garbler" ? "nm" : "ac";
      const pulled = await asSite(["inbox", "pull", "--study", studyFile(), "--key", key(party), "--store", `azure://devstoreaccount1/${container}`, "--out", join(dir, `inbox-${party}`)]);
      expect(pulled.code).toBe(0);
      const checked = await runCli(["--json", "inbox", "check", "--study", studyFile(), "--key", key(party), "--inbox", join(dir, `inbox-${party}`)]);
      expect(checked.code).toBe(0);
      expect(JSON.stringify(checked.json)).toContain("site1/phame_demographic");
    }
    const computed = await computeOverSsh(sshd,
      { study: studyFile(), key: key("nm"), inbox: join(dir, "inbox-nm"), out: join(dir, "out-nm") },
      { study: studyFile(), key: key("ac"), inbox: join(dir, "inbox-ac"), out: join(dir, "out-ac") });
    expect(computed.garbler.code).toBe(0);
    expect(computed.evaluator.code).toBe(0);

    const revealPage = await browser.newPage({ acceptDownloads: true });
    await revealPage.goto(`${portal.url}reveal.html`);
    await revealPage.waitForFunction(() => document.getElementById("study-source")?.textContent?.includes("served by this portal"));
    // A compute party's key is refused, and nothing is shown.
    await revealPage.setInputFiles("#garbler-result", join(dir, "out-nm", "cohort_total.nm.result"));
    await revealPage.setInputFiles("#evaluator-result", join(dir, "out-ac", "cohort_total.ac.result"));
    await revealPage.setInputFiles("#investigator-key", key("nm"));
    await revealPage.click("#reveal");
    await revealPage.waitForFunction(() => (document.getElementById("reveal-error")?.textContent ?? "").length > 0);
    expect(await revealPage.textContent("#reveal-error")).toMatch(/^nm\.key: this key \(SHA256:.*\) is not the investigator's key of study "Portal study"/);
    expect(await revealPage.isHidden("#result-section")).toBe(true);
    for (const query of QUERIES) {
      const out = join(dir, `${query}.csv`);
      const revealed = await runCli(["reveal", "--study", studyFile(), "--key", key("investigator"), "--garbler", join(dir, "out-nm", `${query}.nm.result`), "--evaluator", join(dir, "out-ac", `${query}.ac.result`), "--out", out]);
      expect(revealed.stderr).toBe("");
      await revealPage.setInputFiles("#garbler-result", join(dir, "out-nm", `${query}.nm.result`));
      await revealPage.setInputFiles("#evaluator-result", join(dir, "out-ac", `${query}.ac.result`));
      await revealPage.setInputFiles("#investigator-key", key("investigator"));
      await revealPage.click("#reveal");
      await revealPage.waitForFunction((name) => document.getElementById("result-title")?.textContent === `Result of ${name}` && !document.getElementById("result-section")!.hidden, query);
      expect(await revealPage.textContent("#reveal-error")).toBe("");
      const [csvDownload] = await Promise.all([revealPage.waitForEvent("download"), revealPage.click("#result-download")]);
      const fromPage = await readFile((await csvDownload.path())!, "utf8");
      expect(fromPage).toBe(await readFile(out, "utf8"));
      const shownRows = await revealPage.locator("#result-table tbody tr").count();
      expect(shownRows).toBe(fromPage.trim().split("\n").length - 1);
      expect(shownRows).toBeGreaterThan(0);
      // Suppressed cells are empty in the CSV and marked in the table.
      const emptyCells = fromPage.trim().split("\n").slice(1).join("\n").split(/,(?=,|$)|^,/m).length - 1;
      if (emptyCells > 0) expect(await revealPage.locator("#result-table td.suppressed").count()).toBeGreaterThan(0);
      await screenshot(revealPage, `reveal-${query}`);
    }
    // The page's shares computed exactly like CLI-made ones: the results equal the cleartext answer.
    for (const query of QUERIES) {
      const verified = await runCli(["verify", "--study", studyFile(), "--csv-root", SAMPLE, "--query", query, "--result", join(dir, `${query}.csv`)]);
      expect(verified.stderr).toBe("");
      expect(verified.code).toBe(0);
    }
    await revealPage.close();
  }, 300_000);
});

describe("the data-partner page for a pushdown partner", () => {
  it("computes and shares only the partial aggregates, padded as asked, like `catalyst share --plan`; compute over them equals the cleartext answer", async () => {
    const pushdownDir = join(dir, "pushdown");
    await mkdir(pushdownDir, { recursive: true });
    const study = join(pushdownDir, "study.json");
    const init = await runCli([
      "study", "init", "--name", "Portal pushdown", "--tables", "tables.sql", "--query", "rollup_by_age_gender.sql",
      ...Object.entries(PARTNERS).flatMap(([partner, tables]) => ["--partner", `${partner}:${tables.join(",")}`]), "--pushdown", "site1:1000",
      "--garbler", "nm:keys/nm.pub", "--evaluator", "ac:keys/ac.pub", "--investigator", "keys/investigator.pub", "--out", study,
    ], { cwd: dir });
    expect(init.code).toBe(0);
    // The study page makes the same pushdown study, byte for byte.
    const studyPage = await browser.newPage({ acceptDownloads: true });
    await fillStudyPage(studyPage, { name: "Portal pushdown", queries: ["rollup_by_age_gender"], pushdown: { site1: 1000 } });
    const [download] = await Promise.all([studyPage.waitForEvent("download"), studyPage.click("#download-study")]);
    expect((await readFile((await download.path())!)).equals(await readFile(study))).toBe(true);
    await studyPage.close();
    const containers = { garbler: "pushdown-nm", evaluator: "pushdown-ac" };
    for (const [role, container] of Object.entries(containers)) {
      expect((await asSite(["grant", "--study", study, "--party", role, "--store", `azure://devstoreaccount1/${container}`, "--create", "--expires", "1h", "--out", join(pushdownDir, "grants")])).code).toBe(0);
    }
    const pushdownPortal = await startPortal(["--study", study, "--grants", join(pushdownDir, "grants")]);
    try {
      const page = await browser.newPage();
      await page.goto(pushdownPortal.partnerLinks.site1);
      await page.waitForSelector('#partner-name option[value="site1"]', { state: "attached" });
      await page.waitForFunction(() => document.getElementById("grant-source")?.textContent?.includes("2 grant file"));
      // Only the tables the partials read are asked for; the cohort counts are not read by this study's query.
      const asked = await page.locator("#table-inputs input[type=file]").evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).dataset.table));
      expect(asked).toEqual(["phame_demographic", "phame_diagnosis"]);
      for (const table of asked) await page.setInputFiles(`#csv-${table}`, join(SAMPLE, "site1", `${table}.csv`));
      await page.fill("#pad-to", "500");
      await page.click("#share-upload");
      await page.waitForSelector("#receipt-section:not([hidden]), #share-error:not(:empty)", { timeout: 60_000 });
      expect(await page.textContent("#share-error")).toBe("");
      const receipt = JSON.parse((await page.textContent("#receipt"))!);
      await screenshot(page, "partner-pushdown");
      await page.close();
      const cli = await runCli(["--json", "share", "--plan", "--study", study, "--partner", "site1", ...asked.flatMap((table) => ["--csv", `${table}=${join(SAMPLE, "site1", `${table}.csv`)}`]), "--pad-to", "500", "--out", join(pushdownDir, "cli-shares")]);
      expect(cli.code).toBe(0);
      const cliTables = (cli.json as { tables: Array<{ table: string; rows: number; groups: number }> }).tables;
      expect(receipt.tables.map((table: { table: string; rows: number; groups: number; paddedTo: number }) => [table.table, table.rows, table.groups, table.paddedTo]))
        .toEqual(cliTables.map((table) => [table.table, 500, table.groups, 500]));

      for (const partner of ["site2", "site3"]) {
        for (const table of PARTNERS[partner]) expect((await runCli(["share", "--study", study, "--partner", partner, "--table", table, "--csv", join(SAMPLE, partner, `${table}.csv`), "--out", join(pushdownDir, "shares")])).code).toBe(0);
        expect((await asSite(["upload", "--study", study, "--partner", partner, "--from", join(pushdownDir, "shares"), "--to-garbler", join(pushdownDir, "grants", `${partner}.nm.grant.json`), "--to-evaluator", join(pushdownDir, "grants", `${partner}.ac.grant.json`)])).code).toBe(0);
      }
      for (const [role, container] of Object.entries(containers)) {
        const party = role === "garbler" ? "nm" : "ac";
        expect((await asSite(["inbox", "pull", "--study", study, "--key", key(party), "--store", `azure://devstoreaccount1/${container}`, "--out", join(pushdownDir, `inbox-${party}`)])).code).toBe(0);
        expect((await runCli(["inbox", "check", "--study", study, "--key", key(party), "--inbox", join(pushdownDir, `inbox-${party}`)])).code).toBe(0);
      }
      const computed = await computeOverTcp(
        { study, key: key("nm"), inbox: join(pushdownDir, "inbox-nm"), out: join(pushdownDir, "out-nm") },
        { study, key: key("ac"), inbox: join(pushdownDir, "inbox-ac"), out: join(pushdownDir, "out-ac") },
        { CATALYST_AUDIT_LOG: testAuditLog });
      expect([computed.garbler.code, computed.evaluator.code]).toEqual([0, 0]);
      const result = join(pushdownDir, "rollup_by_age_gender.csv");
      expect((await runCli(["reveal", "--study", study, "--key", key("investigator"), "--garbler", join(pushdownDir, "out-nm", "rollup_by_age_gender.nm.result"), "--evaluator", join(pushdownDir, "out-ac", "rollup_by_age_gender.ac.result"), "--out", result])).code).toBe(0);
      // The result equals the cleartext answer, which is also the first study's (all-in-MPC) released result.
      const verified = await runCli(["verify", "--study", study, "--csv-root", SAMPLE, "--query", "rollup_by_age_gender", "--result", result]);
      expect(verified.code).toBe(0);
      expect(await readFile(result, "utf8")).toBe(await readFile(join(dir, "rollup_by_age_gender.csv"), "utf8"));
    } finally {
      pushdownPortal.process.kill("SIGTERM");
    }
  }, 300_000);
});
