import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { listFiles, removeFolder, repositoryRoot, runCli, temporaryFolder } from "../helpers/cli.js";
import { createTestStudy, type TestStudy } from "../helpers/study.js";

let setup: TestStudy;
beforeAll(async () => { setup = await createTestStudy(await temporaryFolder()); });
afterAll(async () => { await removeFolder(setup.dir); });

const init = (extra: string[], tables = join(setup.dir, "tables.sql")) => runCli([
  "study", "init", "--name", "S", "--tables", tables, "--partner", "siteA:visits",
  "--garbler", `nm:${join(setup.dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(setup.dir, "keys", "ac.pub")}`,
  "--investigator", join(setup.dir, "keys", "investigator.pub"), "--out", join(setup.dir, "s.json"), ...extra,
]);

describe("catalyst study", () => {
  it("records schemas, partners, parties, keys, threshold and named queries, and shows them", async () => {
    const study = JSON.parse(await readFile(setup.study, "utf8"));
    expect(study).toMatchObject({
      format: "catalyst-study/1",
      name: "Test study",
      minCellCount: 11,
      partners: [{ name: "siteA", tables: ["visits", "labs"] }, { name: "siteB", tables: ["visits"] }],
      computeParties: { garbler: { name: "nm" }, evaluator: { name: "ac" } },
      queries: [{ name: "q_count", sql: "SELECT COUNT(*) FROM visits" }],
    });
    expect(study.tables[0].columns[1]).toEqual({ name: "age_cat", type: "CHAR(1)" });
    expect(study.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const shown = await runCli(["study", "show", setup.study]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("visits (patid INT32, age_cat CHAR(1), cost INT64, smoker BOOL, zip CHAR(5), note VARCHAR(12))");
    expect(shown.stdout).toContain("q_count: SELECT COUNT(*) FROM visits");
    const json = await runCli(["study", "show", setup.study, "--json"]);
    expect(json.json).toMatchObject({ ok: true, id: study.id, digest: study.digest, minCellCount: 11 });
  });

  it("is deterministic: the same inputs give the same bytes", async () => {
    expect((await init(["--min-cell-count", "5"])).code).toBe(0);
    const first = await readFile(join(setup.dir, "s.json"), "utf8");
    expect((await init(["--min-cell-count", "5"])).code).toBe(0);
    expect(await readFile(join(setup.dir, "s.json"), "utf8")).toBe(first);
    expect(JSON.parse(first).minCellCount).toBe(5);
  });

  it.each([
    [["--partner", "siteB:nope"], 3, /partner siteB contributes table nope, which is not defined/],
    [["--min-cell-count", "abc"], 3, /--min-cell-count must be a whole number/],
    [["--partner", "siteB"], 3, /--partner expects PARTNER:TABLE/],
  ])("rejects %j", async (extra, code, message) => {
    const run = await init(extra);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it("compiles every query at creation and rejects an invalid one at its token, writing nothing", async () => {
    const bad = join(setup.dir, "q_bad.sql");
    await writeFile(bad, "SELECT age_cat, COUNT(*)\nFROM visits\nWHERE cost > 'x'\nGROUP BY age_cat\n");
    const run = await init(["--query", bad, "--out", join(setup.dir, "bad-query.json")]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${bad}:3:12: cannot compare INT64 with CHAR(1)`);
    expect(await listFiles(setup.dir)).not.toContain("bad-query.json");
  });

  it("rejects a bad TABLES.sql at its line and column, and the same key for both parties", async () => {
    const bad = join(setup.dir, "bad.sql");
    await writeFile(bad, "CREATE TABLE visits (\n  patid INT32,\n  age_cat TEXT\n);\n");
    const run = await init([], bad);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${bad}:3:11: unknown or invalid type TEXT for column age_cat`);
    const sameKey = await runCli(["study", "init", "--name", "S", "--tables", join(setup.dir, "tables.sql"), "--partner", "siteA:visits",
      "--garbler", `nm:${join(setup.dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(setup.dir, "keys", "nm.pub")}`,
      "--investigator", join(setup.dir, "keys", "investigator.pub"), "--out", join(setup.dir, "same.json")]);
    expect(sameKey.code).toBe(3);
    expect(sameKey.stderr).toMatch(/same public key/);
    expect(await listFiles(setup.dir)).not.toContain("same.json");
  });
});

describe("catalyst fixtures phame", () => {
  it("writes the pilot's tables per site kind, reproducibly from the seed", async () => {
    const out = join(setup.dir, "fixtures-a");
    const run = await runCli(["fixtures", "phame", "--sites", "3", "--patients", "500", "--seed", "9", "--out", out, "--json"]);
    expect(run.code).toBe(0);
    expect(await listFiles(out)).toEqual([
      "site1/phame_cohort_counts.csv", "site1/phame_demographic.csv", "site1/phame_diagnosis.csv",
      "site2/phame_cohort_counts.csv", "site2/phame_demographic.csv", "site2/phame_diagnosis.csv",
      "site3/phame_cohort_counts.csv", "site3/phame_diagnosis_rollup.csv",
      "sites.json", "tables.sql",
    ]);
    const again = join(setup.dir, "fixtures-b");
    await runCli(["fixtures", "phame", "--sites", "3", "--patients", "500", "--seed", "9", "--out", again]);
    for (const file of await listFiles(out)) expect(await readFile(join(again, file), "utf8")).toBe(await readFile(join(out, file), "utf8"));

    const demographic = (await readFile(join(out, "site1", "phame_demographic.csv"), "utf8")).trim().split("\n");
    expect(demographic).toHaveLength(501);
    const patients = demographic.slice(1).map((line) => line.split(","));
    expect(new Set(patients.map((fields) => fields[0])).size).toBe(500);
    for (const [, age, gender, race, ethnicity, zip, payer, secondary] of patients) {
      expect(age).toMatch(/^[0-6]$/);
      expect(gender).toMatch(/^[MFN0]$/);
      expect(race).toMatch(/^[0-9]$/);
      expect(ethnicity).toMatch(/^[0-6]$/);
      expect(zip).toMatch(/^60[0-9]{3}$/);
      expect(payer + secondary).toMatch(/^[0-6][0-6]$/);
    }
    // The rollup's patient counts add up to the aggregate-only site's patients.
    const rollup = (await readFile(join(out, "site3", "phame_diagnosis_rollup.csv"), "utf8")).trim().split("\n").slice(1);
    expect(rollup.reduce((sum, line) => sum + Number(line.split(",")[7]), 0)).toBe(500);
  });

  it("ships a committed sample that the shipped tables.sql accepts", async () => {
    const sample = join(repositoryRoot, "fixtures", "phame", "sample");
    const manifest = JSON.parse(await readFile(join(sample, "sites.json"), "utf8"));
    expect(manifest.sites).toHaveLength(6);
    expect(await readFile(join(repositoryRoot, "fixtures", "phame", "tables.sql"), "utf8")).toContain("CREATE TABLE phame_diagnosis_rollup");
  });
});

describe("catalyst demo", () => {
  it("runs fixtures → keys → study → share → upload → inbox check → SSH → compute → reveal → check", async () => {
    const dir = join(setup.dir, "demo");
    const run = await runCli(["demo", "--dir", dir, "--patients", "300", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ ok: true, complete: true, dir });
    expect(run.json.steps.map((step: { step: string }) => step.step.split(":")[0])).toEqual(["fixtures", "keys", "study", "share", "upload", "inbox check", "ssh", "compute", "reveal", "check"]);
    expect(run.json.checks.every((check: { matches: boolean }) => check.matches)).toBe(true);
    expect(run.json.results.find((result: { query: string }) => result.query === "row_level_patients").rows).toEqual([[1200]]);
    expect(await listFiles(join(dir, "results"))).toEqual(expect.arrayContaining(["row_level_patients.csv", "nm/row_level_patients.nm.result", "ac/row_level_patients.ac.result"]));
    const human = await runCli(["demo", "--dir", join(setup.dir, "demo2"), "--patients", "100"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("Done: every query's MPC result equals the cleartext answer.");
  });
});
