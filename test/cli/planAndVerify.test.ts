/**
 * The pilot's queries end to end: `catalyst plan` explains them; two `catalyst compute` processes run them all,
 * the evaluator through the SSH tunnel to a real OpenSSH sshd; `catalyst reveal` opens each result; and
 * `catalyst verify` finds each equal to the circuits in the clear and to DuckDB.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { removeFolder, repositoryRoot, runCli, temporaryFolder } from "../helpers/cli.js";
import { computeOverSsh } from "../helpers/computeParties.js";
import { startSshd, type TestSshServer } from "../helpers/sshd.js";

const PILOT_QUERIES = ["cohort_counts", "diagnosis_rollup", "rollup_by_age_gender", "rollup_by_zip", "mean_cohort_count"];

let dir: string;
let study: string;
let sshd: TestSshServer;
let manifest: { sites: Array<{ name: string; tables: Record<string, { file: string; rows: number }> }> };

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-pilot-");
  sshd = await startSshd(join(dir, "sshd"));
  expect((await runCli(["fixtures", "phame", "--sites", "3", "--patients", "60", "--seed", "4", "--out", join(dir, "data")])).code).toBe(0);
  manifest = JSON.parse(await readFile(join(dir, "data", "sites.json"), "utf8"));
  for (const name of ["nm", "ac", "investigator"]) expect((await runCli(["keys", "generate", "--name", name, "--dir", join(dir, "keys")])).code).toBe(0);
  const queryFolder = join(repositoryRoot, "fixtures", "phame", "queries");
  // A threshold of 1 releases every stratum, so no comparison below is vacuous (suppression has its own tests).
  // Beside the pilot's queries, one with AVG: released as SUM and COUNT, divided by reveal.
  await writeFile(join(dir, "mean_cohort_count.sql"), "SELECT description, AVG(count) AS mean_count, COUNT(*) AS sites FROM phame_cohort_counts GROUP BY description\n");
  const queries = [...(await readdir(queryFolder)).map((file) => join(queryFolder, file)), join(dir, "mean_cohort_count.sql")].flatMap((file) => ["--query", file]);
  study = join(dir, "study.json");
  const init = await runCli(["study", "init", "--name", "pilot", "--tables", join(dir, "data", "tables.sql"), ...queries, "--min-cell-count", "1",
    ...manifest.sites.flatMap((site) => ["--partner", `${site.name}:${Object.keys(site.tables).join(",")}`]),
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", study]);
  expect(init.stderr).toBe("");
  for (const site of manifest.sites) {
    for (const [table, { file }] of Object.entries(site.tables)) {
      expect((await runCli(["share", "--study", study, "--partner", site.name, "--table", table, "--csv", join(dir, "data", file), "--out", join(dir, "shares")])).code).toBe(0);
    }
    expect((await runCli(["upload", "--study", study, "--partner", site.name, "--from", join(dir, "shares"), "--to-garbler", join(dir, "in-nm"), "--to-evaluator", join(dir, "in-ac")])).code).toBe(0);
  }
}, 120_000);
afterAll(async () => {
  await sshd?.stop();
  await removeFolder(dir);
});

/** Each query's ANDs as `plan --inbox` predicts them for the whole study, for the compute test to compare with. */
const plannedAnds = new Map<string, number>();

describe("pilot queries through the CLI", () => {
  it("catalyst plan explains each operator's exact cost, for inbox or hypothetical sizes", async () => {
    const fromInbox = await runCli(["--json", "plan", "--study", study, "--query", "diagnosis_rollup", "--inbox", join(dir, "in-nm"), "--key", join(dir, "keys", "nm.key")]);
    expect(fromInbox.code).toBe(0);
    const plan = fromInbox.json.queries[0];
    expect(plan.andGates).toBeGreaterThan(0);
    // share sorted both tables by patid, so the join within sites merges two sorted runs.
    expect(plan.operators.some((operator: { operator: string }) => operator.operator.startsWith("left join on 2 keys (merge of two sorted runs"))).toBe(true);
    expect(plan.operators.reduce((sum: number, operator: { andGates: number }) => sum + operator.andGates, 0)).toBe(plan.andGates);
    // The whole study as compute runs it: the three rollups read one join, computed by the first of them.
    const whole = await runCli(["--json", "plan", "--study", study, "--inbox", join(dir, "in-nm"), "--key", join(dir, "keys", "nm.key")]);
    const operatorsOf = (query: string) => (whole.json.queries.find((entry: { query: string }) => entry.query === query).operators as Array<{ operator: string; andGates: number }>);
    for (const entry of whole.json.queries) plannedAnds.set(entry.query, entry.andGates);
    expect(plannedAnds.get("diagnosis_rollup")).toBe(plan.andGates);
    expect(operatorsOf("diagnosis_rollup").some((operator) => operator.operator.endsWith("kept as shares to be taken up 2 times later"))).toBe(true);
    for (const query of ["rollup_by_age_gender", "rollup_by_zip"]) {
      expect(operatorsOf(query).find((operator) => operator.operator.includes("join"))).toEqual(expect.objectContaining({ operator: "left join computed earlier in the session, taken up from its shares (one OT per wire)", andGates: 0 }));
      expect(operatorsOf(query).some((operator) => operator.operator.startsWith("scan phame_demographic"))).toBe(false);
    }
    // On three worker pairs the two later rollups run beside the first once its join is parked.
    const paired = await runCli(["--json", "plan", "--study", study, "--inbox", join(dir, "in-nm"), "--key", join(dir, "keys", "nm.key"), "--workers", "3"]);
    const pairOf = (query: string) => (paired.json.pairs.queries as string[][]).findIndex((names) => names.includes(query));
    expect(paired.json.pairs.queries[pairOf("diagnosis_rollup")]).toEqual(["diagnosis_rollup"]);
    expect(new Set(["diagnosis_rollup", "rollup_by_age_gender", "rollup_by_zip"].map(pairOf)).size).toBe(3);
    const sessionAnds = [...plannedAnds.values()].reduce((sum, ands) => sum + ands, 0);
    expect(paired.json.pairs.estimatedSeconds).toBeGreaterThanOrEqual(plannedAnds.get("diagnosis_rollup")! / paired.json.andRate);
    expect(paired.json.pairs.estimatedSeconds).toBeLessThan(0.8 * sessionAnds / paired.json.andRate);
    const hypothetical = await runCli(["plan", "--study", study, "--query", "cohort_counts", "--rows", "phame_cohort_counts=90"]);
    expect(hypothetical.code).toBe(0);
    expect(hypothetical.stdout).toMatch(/cohort_counts: [\d,]+ AND gates/);
    const missing = await runCli(["plan", "--study", study, "--query", "cohort_counts"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no row count for phame_cohort_counts/);
  });

  it("computes every pilot query in MPC over the SSH tunnel, and verify finds each equal to the cleartext answers", async () => {
    const run = await computeOverSsh(sshd,
      { study, key: join(dir, "keys", "nm.key"), inbox: join(dir, "in-nm"), out: join(dir, "out", "nm") },
      { study, key: join(dir, "keys", "ac.key"), inbox: join(dir, "in-ac"), out: join(dir, "out", "ac") });
    expect(run.garbler.stderr).not.toMatch(/catalyst:/);
    expect(run.evaluator.stderr).not.toMatch(/catalyst:/);
    expect([run.garbler.code, run.evaluator.code]).toEqual([0, 0]);
    // Compute ran exactly the planned circuits, merge and shared join included.
    for (const query of PILOT_QUERIES) {
      expect(new RegExp(`query ${query}: \\d+ input rows, ([\\d,]+) AND gates`).exec(run.garbler.stderr)?.[1].replace(/,/g, "")).toBe(String(plannedAnds.get(query)));
    }
    const csvRoot = join(dir, "data");
    for (const query of PILOT_QUERIES) {
      const result = join(dir, "out", `${query}.csv`);
      const revealed = await runCli(["reveal", "--study", study, "--key", join(dir, "keys", "investigator.key"), "--garbler", join(dir, "out", "nm", `${query}.nm.result`), "--evaluator", join(dir, "out", "ac", `${query}.ac.result`), "--out", result]);
      expect(revealed.stderr).toBe("");
      const verified = await runCli(["--json", "verify", "--study", study, "--csv-root", csvRoot, "--query", query, "--result", result]);
      expect(verified.stderr).toBe("");
      expect(verified.json.queries[0]).toMatchObject({ query, circuitMatchesDuckDb: true, resultMatches: true });
      expect(verified.json.queries[0].rows).toBeGreaterThan(2);
    }
    // The AVG arrives divided: one column, with fractions.
    const means = (await readFile(join(dir, "out", "mean_cohort_count.csv"), "utf8")).trim().split("\n");
    expect(means[0]).toBe("description,mean_count,sites");
    expect(means.slice(1).some((line) => /,\d+\.\d+,/.test(line))).toBe(true);

    // A changed cell is reported where it is.
    const lines = (await readFile(join(dir, "out", "rollup_by_age_gender.csv"), "utf8")).split("\n");
    lines[1] = lines[1].replace(/,(\d+)(,|$)/, (_match, digits: string, end: string) => `,${Number(digits) + 1}${end}`);
    await writeFile(join(dir, "out", "changed.csv"), lines.join("\n"));
    const changed = await runCli(["verify", "--study", study, "--csv-root", csvRoot, "--query", "rollup_by_age_gender", "--result", join(dir, "out", "changed.csv")]);
    expect(changed.code).toBe(6);
    expect(changed.stdout).toMatch(/MPC result DIFFERS/);
    expect(changed.stdout).toMatch(/row 1, column \d: expected "\d+", found "\d+"/);
  });

  it("stops quietly when the reader of its output goes away (catalyst plan | head)", async () => {
    const child = spawn(process.execPath, [join(repositoryRoot, "bin", "catalyst"), "plan", "--study", study, "--rows", "phame_demographic=400", "--rows", "phame_diagnosis=60", "--rows", "phame_diagnosis_rollup=100", "--rows", "phame_cohort_counts=45"]);
    let stderr = "";
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    // Like `| head -0`: the reader is gone before the first line is written (start-up takes far longer).
    child.stdout.destroy();
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });

  it("share sorts a table by the key a join within sites merges on, else by a GROUP BY's key, and says so", async () => {
    const site = manifest.sites.find((candidate) => candidate.tables.phame_demographic)!;
    const out = join(dir, "sorted-shares");
    const demographic = await runCli(["--json", "share", "--study", study, "--partner", site.name, "--table", "phame_demographic", "--csv", join(dir, "data", site.tables.phame_demographic.file), "--out", out]);
    expect(demographic.json).toMatchObject({ ok: true, sortedBy: ["patid"] });
    const cohort = await runCli(["--json", "share", "--study", study, "--partner", site.name, "--table", "phame_cohort_counts", "--csv", join(dir, "data", site.tables.phame_cohort_counts.file), "--out", out]);
    // The cohort counts reach their GROUP BY unchanged, so they arrive as sorted runs to merge.
    expect(cohort.json).toMatchObject({ ok: true, sortedBy: ["description"] });
    const rollupSite = manifest.sites.find((candidate) => candidate.tables.phame_diagnosis_rollup)!;
    const rollup = await runCli(["--json", "share", "--study", study, "--partner", rollupSite.name, "--table", "phame_diagnosis_rollup", "--csv", join(dir, "data", rollupSite.tables.phame_diagnosis_rollup.file), "--out", out]);
    // The seven strata serve the rollup and, as a prefix, the age and gender rollup.
    expect(rollup.json).toMatchObject({ ok: true, sortedBy: ["age_cat", "gender", "race", "ethnicity", "zip", "payer_primary", "payer_secondary"] });
  });

  it("share refuses a diagnosis export whose patid repeats, since the rollups join on it, and writes nothing", async () => {
    const site = manifest.sites.find((entry) => entry.tables.phame_diagnosis)!;
    const lines = (await readFile(join(dir, "data", site.tables.phame_diagnosis.file), "utf8")).trim().split("\n");
    const repeated = [...lines, lines[1].replace(/,(true|false)/, ",true")];
    const csv = join(dir, "repeated_diagnosis.csv");
    await writeFile(csv, repeated.join("\n") + "\n");
    const out = join(dir, "repeated-shares");
    const run = await runCli(["--json", "share", "--study", study, "--partner", site.name, "--table", "phame_diagnosis", "--csv", csv, "--out", out]);
    expect(run.code).toBe(3);
    expect(run.json.error).toMatchObject({ code: "duplicate-key", file: csv, line: repeated.length, column: 1 });
    expect(run.json.error.message).toMatch(/: patid \d+ appears again \(first on line 2\): queries diagnosis_rollup, rollup_by_age_gender, rollup_by_zip join on patid and need it unique within each partner's phame_diagnosis$/);
    await expect(readdir(out)).rejects.toThrow();
  });

  it("verify checks every pilot query against DuckDB", async () => {
    const verified = await runCli(["--json", "verify", "--study", study, "--csv-root", join(dir, "data")]);
    expect(verified.code).toBe(0);
    expect(verified.json.queries.map((query: { query: string; circuitMatchesDuckDb: boolean }) => [query.query, query.circuitMatchesDuckDb])).toEqual([
      ["cohort_counts", true], ["diagnosis_rollup", true], ["rollup_by_age_gender", true], ["rollup_by_zip", true], ["mean_cohort_count", true],
    ]);
  });
});
