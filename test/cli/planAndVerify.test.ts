/**
 * The pilot's queries end to end: `catalyst plan` explains them, two `catalyst compute` processes run one,
 * `catalyst reveal` opens it, and `catalyst verify` finds it equal to the circuits in the clear and to DuckDB.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { removeFolder, repositoryRoot, runCli, temporaryFolder } from "../helpers/cli.js";
import { computeOverTcp } from "../helpers/computeParties.js";

let dir: string;
let study: string;
let manifest: { sites: Array<{ name: string; tables: Record<string, { file: string; rows: number }> }> };

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-pilot-");
  expect((await runCli(["fixtures", "phame", "--sites", "3", "--patients", "60", "--seed", "4", "--out", join(dir, "data")])).code).toBe(0);
  manifest = JSON.parse(await readFile(join(dir, "data", "sites.json"), "utf8"));
  for (const name of ["nm", "ac", "investigator"]) expect((await runCli(["keys", "generate", "--name", name, "--dir", join(dir, "keys")])).code).toBe(0);
  const queryFolder = join(repositoryRoot, "fixtures", "phame", "queries");
  const queries = (await readdir(queryFolder)).flatMap((file) => ["--query", join(queryFolder, file)]);
  study = join(dir, "study.json");
  const init = await runCli(["study", "init", "--name", "pilot", "--tables", join(dir, "data", "tables.sql"), ...queries, "--min-cell-count", "2",
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
afterAll(async () => { await removeFolder(dir); });

describe("pilot queries through the CLI", () => {
  it("catalyst plan explains each operator's exact cost, for inbox or hypothetical sizes", async () => {
    const fromInbox = await runCli(["--json", "plan", "--study", study, "--query", "diagnosis_rollup", "--inbox", join(dir, "in-nm"), "--key", join(dir, "keys", "nm.key")]);
    expect(fromInbox.code).toBe(0);
    const plan = fromInbox.json.queries[0];
    expect(plan.andGates).toBeGreaterThan(0);
    expect(plan.operators.some((operator: { operator: string }) => operator.operator.startsWith("left join on 2 keys"))).toBe(true);
    expect(plan.operators.reduce((sum: number, operator: { andGates: number }) => sum + operator.andGates, 0)).toBe(plan.andGates);
    const hypothetical = await runCli(["plan", "--study", study, "--query", "cohort_counts", "--rows", "phame_cohort_counts=90"]);
    expect(hypothetical.code).toBe(0);
    expect(hypothetical.stdout).toMatch(/cohort_counts: [\d,]+ AND gates/);
    const missing = await runCli(["plan", "--study", study, "--query", "cohort_counts"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no row count for phame_cohort_counts/);
  });

  it("computes a pilot rollup in MPC and verify finds it equal to the cleartext answers", async () => {
    const run = await computeOverTcp(
      { study, key: join(dir, "keys", "nm.key"), inbox: join(dir, "in-nm"), out: join(dir, "out", "nm"), extra: ["--query", "rollup_by_age_gender"] },
      { study, key: join(dir, "keys", "ac.key"), inbox: join(dir, "in-ac"), out: join(dir, "out", "ac"), extra: ["--query", "rollup_by_age_gender"] });
    expect(run.garbler.stderr).not.toMatch(/catalyst:/);
    expect([run.garbler.code, run.evaluator.code]).toEqual([0, 0]);
    const result = join(dir, "out", "rollup.csv");
    const revealed = await runCli(["reveal", "--study", study, "--key", join(dir, "keys", "investigator.key"), "--garbler", join(dir, "out", "nm", "rollup_by_age_gender.nm.result"), "--evaluator", join(dir, "out", "ac", "rollup_by_age_gender.ac.result"), "--out", result]);
    expect(revealed.stderr).toBe("");
    const csvRoot = join(dir, "data");
    const verified = await runCli(["--json", "verify", "--study", study, "--csv-root", csvRoot, "--query", "rollup_by_age_gender", "--result", result]);
    expect(verified.stderr).toBe("");
    expect(verified.json.queries[0]).toMatchObject({ circuitMatchesDuckDb: true, resultMatches: true });
    expect(verified.json.queries[0].rows).toBeGreaterThan(2);

    // A changed cell is reported where it is.
    const lines = (await readFile(result, "utf8")).split("\n");
    lines[1] = lines[1].replace(/,(\d+)(,|$)/, (_match, digits: string, end: string) => `,${Number(digits) + 1}${end}`);
    await writeFile(join(dir, "out", "changed.csv"), lines.join("\n"));
    const changed = await runCli(["verify", "--study", study, "--csv-root", csvRoot, "--query", "rollup_by_age_gender", "--result", join(dir, "out", "changed.csv")]);
    expect(changed.code).toBe(6);
    expect(changed.stdout).toMatch(/MPC result DIFFERS/);
    expect(changed.stdout).toMatch(/row 1, column \d: expected "\d+", found "\d+"/);
  });

  it("verify checks every pilot query against DuckDB", async () => {
    const verified = await runCli(["--json", "verify", "--study", study, "--csv-root", join(dir, "data")]);
    expect(verified.code).toBe(0);
    expect(verified.json.queries.map((query: { query: string; circuitMatchesDuckDb: boolean }) => [query.query, query.circuitMatchesDuckDb])).toEqual([
      ["cohort_counts", true], ["diagnosis_rollup", true], ["rollup_by_age_gender", true], ["rollup_by_zip", true],
    ]);
  });
});
