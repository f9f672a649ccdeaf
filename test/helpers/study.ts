/** A small study set up through the real CLI: keys, tables, partners, both compute parties, an investigator. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "@jest/globals";
import { runCli } from "./cli.js";

export const DEMO_TABLES_SQL = `-- test tables
CREATE TABLE visits (patid INT32, age_cat CHAR(1), cost INT64, smoker BOOL, zip CHAR(5), note VARCHAR(12));
CREATE TABLE labs (patid INT32, value INT32);
`;

export interface TestStudy {
  dir: string;
  study: string;
  keys: { garbler: string; evaluator: string; investigator: string; stranger: string };
}

export async function createTestStudy(dir: string, options: { name?: string; extraArgs?: string[] } = {}): Promise<TestStudy> {
  for (const name of ["nm", "ac", "investigator", "stranger"]) {
    const generated = await runCli(["keys", "generate", "--name", name, "--dir", join(dir, "keys")]);
    if (generated.code !== 0 && !generated.stderr.includes("already exists")) throw new Error(generated.stderr);
  }
  await writeFile(join(dir, "tables.sql"), DEMO_TABLES_SQL);
  await writeFile(join(dir, "q_count.sql"), "SELECT COUNT(*) FROM visits\n");
  const study = join(dir, `${options.name ?? "study"}.json`);
  const created = await runCli([
    "study", "init", "--name", options.name ?? "Test study", "--tables", join(dir, "tables.sql"), "--query", join(dir, "q_count.sql"),
    "--partner", "siteA:visits,labs", "--partner", "siteB:visits",
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`,
    "--investigator", join(dir, "keys", "investigator.pub"), "--out", study, ...(options.extraArgs ?? []),
  ]);
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  return {
    dir,
    study,
    keys: {
      garbler: join(dir, "keys", "nm.key"),
      evaluator: join(dir, "keys", "ac.key"),
      investigator: join(dir, "keys", "investigator.key"),
      stranger: join(dir, "keys", "stranger.key"),
    },
  };
}

export const GOOD_VISITS_CSV = [
  "patid,age_cat,cost,smoker,zip,note",
  "1,3,120,true,60614,first",
  "2,0,-5,false,60601,",
  "3,6,9223372036854775807,1,60660,\"a, b\"",
  "-2147483648,1,-9223372036854775808,0,60612,ünïcode",
].join("\n") + "\n";
