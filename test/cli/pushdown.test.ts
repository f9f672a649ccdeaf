/**
 * Pushdown through the CLI: `study init --pushdown` records which partners push site-local work down,
 * `share --plan` shares their partial aggregates (padded to a public bound if asked), two `catalyst compute`
 * processes over the SSH tunnel merge them with the other partners' rows, and every revealed result equals
 * the all-in-MPC answer that `catalyst verify` computes from every partner's rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { removeFolder, repositoryRoot, runCli, temporaryFolder } from "../helpers/cli.js";
import { computeOverSsh } from "../helpers/computeParties.js";
import { startSshd, type TestSshServer } from "../helpers/sshd.js";

let dir: string;
let study: string;
let sshd: TestSshServer;
let manifest: { sites: Array<{ name: string; kind: string; tables: Record<string, { file: string; rows: number }> }> };
const csv = (site: string, table: string) => join(dir, "data", manifest.sites.find((candidate) => candidate.name === site)!.tables[table].file);
const planCsvs = (site: string) => Object.keys(manifest.sites.find((candidate) => candidate.name === site)!.tables).flatMap((table) => ["--csv", `${table}=${csv(site, table)}`]);

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-pushdown-cli-");
  sshd = await startSshd(join(dir, "sshd"));
  expect((await runCli(["fixtures", "phame", "--sites", "6", "--patients", "90", "--seed", "7", "--out", join(dir, "data")])).code).toBe(0);
  manifest = JSON.parse(await readFile(join(dir, "data", "sites.json"), "utf8"));
  for (const name of ["nm", "ac", "investigator"]) expect((await runCli(["keys", "generate", "--name", name, "--dir", join(dir, "keys")])).code).toBe(0);
  const queryFolder = join(repositoryRoot, "fixtures", "phame", "queries");
  study = join(dir, "study.json");
  const init = await runCli(["study", "init", "--name", "pushdown", "--tables", join(dir, "data", "tables.sql"),
    ...(await readdir(queryFolder)).flatMap((file) => ["--query", join(queryFolder, file)]), "--min-cell-count", "1",
    ...manifest.sites.flatMap((site) => ["--partner", `${site.name}:${Object.keys(site.tables).join(",")}`]),
    // site3 is aggregate-only: it pushes down the outer GROUP BYs over its rollup.
    "--pushdown", "site1:128", "--pushdown", "site2:128", "--pushdown", "site3:128",
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", study]);
  expect(init.stderr).toBe("");
  expect(init.stdout).toMatch(/pushdown: site1, site2, site3 upload partial aggregates \(cohort_counts_partials, diagnosis_rollup_partials1, diagnosis_rollup_partials2, rollup_by_age_gender_partials1, rollup_by_age_gender_partials2, rollup_by_zip_partials1, rollup_by_zip_partials2\)/);
}, 120_000);
afterAll(async () => {
  await sshd?.stop();
  await removeFolder(dir);
});

describe("pushdown through the CLI", () => {
  it("refuses a rollup whose counts or strata break the study's CHECKs, naming the line and column, and writes nothing", async () => {
    const rollup = csv("site6", "phame_diagnosis_rollup");
    const lines = (await readFile(rollup, "utf8")).trimEnd().split("\n");
    const patientColumn = lines[0].split(",").indexOf("patient_cnt");
    const negative = lines.map((line, index) => (index === 2 ? line.split(",").map((field, column) => (column === patientColumn ? "-1" : field)).join(",") : line));
    const huge = lines.map((line, index) => (index === 1 ? line.split(",").map((field, column) => (column === patientColumn ? "4000001" : field)).join(",") : line));
    // A stratum outside the codes its CHECK lists.
    const zipColumn = lines[0].split(",").indexOf("zip");
    const strayZip = lines.map((line, index) => (index === 4 ? line.split(",").map((field, column) => (column === zipColumn ? "90210" : field)).join(",") : line));
    for (const [name, text, line, column, message] of [
      ["negative", negative, 3, patientColumn, /expected a value from 0 to 2147483647 \(the study's CHECK\), got -1/],
      ["huge", huge, 2, patientColumn, /add up to \d+, more than the study's CHECK \(SUM\(patient_cnt\) <= 4000000\)/],
      ["zip", strayZip, 5, zipColumn, /column \d+ \(zip\): expected one of the values the study's CHECK lists \('60201', .* and 73 more\), got '90210'/],
    ] as const) {
      const file = join(dir, `rollup-${name}.csv`);
      await writeFile(file, text.join("\n") + "\n");
      const run = await runCli(["--json", "share", "--study", study, "--partner", "site6", "--table", "phame_diagnosis_rollup", "--csv", file, "--out", join(dir, `refused-${name}`)]);
      expect(run.code).toBe(3);
      expect(run.json).toMatchObject({ ok: false, error: { file, line, column: column + 1 } });
      expect(run.json.error.message).toMatch(message);
      expect(existsSync(join(dir, `refused-${name}`, "site6"))).toBe(false);
    }
  });

  it("refuses what a pushdown study does not allow, and writes nothing", async () => {
    const rows = await runCli(["share", "--study", study, "--partner", "site1", "--table", "phame_demographic", "--csv", csv("site1", "phame_demographic"), "--out", join(dir, "refused")]);
    expect(rows.code).not.toBe(0);
    expect(rows.stderr).toMatch(/site1 pushes site-local work down, so its rows never leave the site; share them with `catalyst share --plan`/);
    const notPushdown = await runCli(["share", "--study", study, "--partner", "site4", "--plan", ...planCsvs("site4"), "--out", join(dir, "refused")]);
    expect(notPushdown.code).toBe(2);
    expect(notPushdown.stderr).toMatch(/partner site4 does not push down in this study/);
    const short = await runCli(["share", "--study", study, "--partner", "site1", "--plan", "--csv", `phame_demographic=${csv("site1", "phame_demographic")}`, "--out", join(dir, "refused")]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--plan needs every table of site1 that the study's queries read: give --csv phame_cohort_counts=FILE --csv phame_diagnosis=FILE/);
    const padTooSmall = await runCli(["share", "--study", study, "--partner", "site1", "--plan", ...planCsvs("site1"), "--pad-to", "20", "--out", join(dir, "refused")]);
    expect(padTooSmall.code).not.toBe(0);
    expect(padTooSmall.stderr).toMatch(/site1 has \d+ groups for diagnosis_rollup_partials2 \(query diagnosis_rollup\), more than --pad-to 20; raise the bound/);
    const tooMany = await runCli(["study", "init", "--name", "x", "--tables", join(dir, "data", "tables.sql"), "--query", join(repositoryRoot, "fixtures", "phame", "queries", "diagnosis_rollup.sql"),
      ...manifest.sites.flatMap((site) => ["--partner", `${site.name}:${Object.keys(site.tables).join(",")}`]), "--pushdown", "site1:50",
      "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", join(dir, "small.json")]);
    expect(tooMany.code).toBe(0);
    // small.json's one query reads no cohort counts, so --plan does not ask for them.
    const readTables = ["phame_demographic", "phame_diagnosis"].flatMap((table) => ["--csv", `${table}=${csv("site1", table)}`]);
    const overBound = await runCli(["share", "--study", join(dir, "small.json"), "--partner", "site1", "--plan", ...readTables, "--out", join(dir, "refused")]);
    expect(overBound.code).not.toBe(0);
    expect(overBound.stderr).toMatch(/phame_demographic has 90 rows, more than the 50 this study allows site1 \(its public bound\)/);
    expect(existsSync(join(dir, "refused"))).toBe(false);
    const mistyped = await runCli(["study", "init", "--name", "x", "--tables", join(dir, "data", "tables.sql"), "--query", join(repositoryRoot, "fixtures", "phame", "queries", "diagnosis_rollup.sql"),
      ...manifest.sites.flatMap((site) => ["--partner", `${site.name}:${Object.keys(site.tables).join(",")}`]), "--pushdown", "site9",
      "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", join(dir, "mistyped.json")]);
    expect(mistyped.code).toBe(3);
    expect(mistyped.stderr).toMatch(/pushdown partner site9 is not a data partner of the study \(partners: site1, site2/);
  });

  it("plans all in MPC with one count per partner that holds a table, pushdown partners too", async () => {
    const rows = ["--rows", "phame_demographic=90,80,70,60", "--rows", "phame_diagnosis=9,8,7,6", "--rows", "phame_diagnosis_rollup=50,40"];
    const allInMpc = await runCli(["--json", "plan", "--study", study, "--query", "diagnosis_rollup", "--all-in-mpc", ...rows]);
    expect(allInMpc.code).toBe(0);
    expect(allInMpc.json.queries[0].tables.sort()).toEqual(["phame_demographic", "phame_diagnosis", "phame_diagnosis_rollup"]);
    expect(allInMpc.json.queries[0].andGates).toBeGreaterThan(0);
    // With pushdown, site1 and site2 upload partials instead, so only two partners upload their rows.
    const pushed = await runCli(["plan", "--study", study, "--query", "diagnosis_rollup", ...rows]);
    expect(pushed.code).toBe(2);
    expect(pushed.stderr).toMatch(/--rows phame_demographic lists 4 counts, but 2 partners upload it \(site4, site5\)/);
  });

  it("shares partials at pushdown partners (padded or not), computes over the tunnel, and equals the all-in-MPC answer", async () => {
    const padded = await runCli(["--json", "share", "--study", study, "--partner", "site1", "--plan", ...planCsvs("site1"), "--pad-to", "120", "--out", join(dir, "shares")]);
    expect(padded.stderr).toBe("");
    const rollup = padded.json.tables.find((table: { table: string }) => table.table === "diagnosis_rollup_partials2");
    // 90 patients over seven strata: nearly one group each, padded to the public bound.
    // Padded: dummy rows follow the sorted ones, so no sort order is claimed.
    expect(rollup).toMatchObject({ rows: 120, paddedTo: 120 });
    expect(rollup.sortedBy).toBeUndefined();
    expect(rollup.groups).toBeLessThanOrEqual(90);
    expect(padded.json.rowsRead).toMatchObject({ phame_demographic: 90 });
    const byAgeGender = padded.json.tables.find((table: { table: string }) => table.table === "rollup_by_age_gender_partials2");
    expect(byAgeGender.groups).toBeLessThan(30);
    const plain = await runCli(["share", "--study", study, "--partner", "site2", "--plan", ...planCsvs("site2"), "--out", join(dir, "shares")]);
    expect(plain.stderr).toMatch(/the number of local groups\) becomes public to both compute parties; --pad-to N hides it/);
    expect(plain.stdout).toMatch(/site2\/diagnosis_rollup_partials2: \d+ groups, sorted by age_cat, gender, race, ethnicity, zip, payer_primary, payer_secondary/);
    // The aggregate-only site shares its rollup's partial sums by the coarser keys: one row per zip, say.
    const rollupSite = await runCli(["--json", "share", "--study", study, "--partner", "site3", "--plan", ...planCsvs("site3"), "--out", join(dir, "shares")]);
    expect(rollupSite.code).toBe(0);
    const byZip = rollupSite.json.tables.find((table: { table: string }) => table.table === "rollup_by_zip_partials1");
    expect(byZip.groups).toBeLessThan(rollupSite.json.rowsRead.phame_diagnosis_rollup);
    expect(rollupSite.json.tables.map((table: { table: string }) => table.table).sort()).toEqual(["cohort_counts_partials", "diagnosis_rollup_partials1", "rollup_by_age_gender_partials1", "rollup_by_zip_partials1"]);
    for (const site of manifest.sites.filter((candidate) => !["site1", "site2", "site3"].includes(candidate.name))) {
      for (const table of Object.keys(site.tables)) {
        expect((await runCli(["share", "--study", study, "--partner", site.name, "--table", table, "--csv", csv(site.name, table), "--out", join(dir, "shares")])).code).toBe(0);
      }
    }
    for (const site of manifest.sites) {
      const uploaded = await runCli(["upload", "--study", study, "--partner", site.name, "--from", join(dir, "shares"), "--to-garbler", join(dir, "in-nm"), "--to-evaluator", join(dir, "in-ac")]);
      expect(uploaded.stderr).toBe("");
    }
    const inbox = await runCli(["--json", "inbox", "check", "--study", study, "--key", join(dir, "keys", "nm.key"), "--inbox", join(dir, "in-nm")]);
    expect(inbox.json.complete).toBe(true);
    expect(inbox.json.present.filter((entry: { partner: string }) => entry.partner === "site1").map((entry: { table: string }) => entry.table).sort())
      .toEqual(["cohort_counts_partials", "diagnosis_rollup_partials2", "rollup_by_age_gender_partials2", "rollup_by_zip_partials2"]);

    const plan = await runCli(["--json", "plan", "--study", study, "--query", "diagnosis_rollup", "--inbox", join(dir, "in-nm"), "--key", join(dir, "keys", "nm.key")]);
    expect(plan.code).toBe(0);
    const operators = plan.json.queries[0].operators.map((operator: { operator: string }) => operator.operator);
    expect(operators.some((operator: string) => operator.startsWith("scan diagnosis_rollup_partials"))).toBe(true);
    // site1's partials are padded with dummy rows, which the GROUP BY's key must mask with gates: no table of the
    // rollup can go in as share wires (the bench's unpadded pilot does, see shareWireInputs.ts).
    expect(operators.filter((operator: string) => operator.includes("as share wires"))).toEqual([]);

    const run = await computeOverSsh(sshd,
      { study, key: join(dir, "keys", "nm.key"), inbox: join(dir, "in-nm"), out: join(dir, "out", "nm") },
      { study, key: join(dir, "keys", "ac.key"), inbox: join(dir, "in-ac"), out: join(dir, "out", "ac") });
    expect([run.garbler.code, run.evaluator.code]).toEqual([0, 0]);
    expect(/query diagnosis_rollup: \d+ input rows, ([\d,]+) AND gates/.exec(run.garbler.stderr)?.[1].replace(/,/g, "")).toBe(String(plan.json.queries[0].andGates));
    for (const query of ["cohort_counts", "diagnosis_rollup", "rollup_by_age_gender", "rollup_by_zip"]) {
      const result = join(dir, "out", `${query}.csv`);
      const revealed = await runCli(["reveal", "--study", study, "--key", join(dir, "keys", "investigator.key"), "--garbler", join(dir, "out", "nm", `${query}.nm.result`), "--evaluator", join(dir, "out", "ac", `${query}.ac.result`), "--out", result]);
      expect(revealed.stderr).toBe("");
      // verify computes the all-in-MPC plan in the clear from every partner's CSVs, and DuckDB the same SQL.
      const verified = await runCli(["--json", "verify", "--study", study, "--csv-root", join(dir, "data"), "--query", query, "--result", result]);
      expect(verified.stderr).toBe("");
      expect(verified.json.queries[0]).toMatchObject({ query, circuitMatchesDuckDb: true, resultMatches: true });
      expect(verified.json.queries[0].rows).toBeGreaterThan(2);
    }
  }, 300_000);
});
