/**
 * share → upload → inbox check → (test-made result shares) → reveal, at 6 sites × 50k patients.
 * The "result" of each table is its union over all sites, passed through as each party's own share
 * (what `SELECT * FROM t` would release), so reveal must give back exactly the partners' CSV rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { parseSecretKey } from "../../src/share/keys.js";
import { openShareFile, shareFileName } from "../../src/share/shareFile.js";
import { findTable, ROLES, type Role } from "../../src/share/study.js";
import { removeFolder, runCli, temporaryFolder } from "../helpers/cli.js";
import { loadStudyFile, writeResultSharesOf } from "../helpers/resultShares.js";

const SITES = 6;
const PATIENTS = 50_000;
let dir: string;
let manifest: { sites: Array<{ name: string; tables: Record<string, { file: string; rows: number }> }> };

beforeAll(async () => {
  dir = await temporaryFolder();
  expect((await runCli(["fixtures", "phame", "--sites", String(SITES), "--patients", String(PATIENTS), "--seed", "11", "--out", join(dir, "data")])).code).toBe(0);
  manifest = JSON.parse(await readFile(join(dir, "data", "sites.json"), "utf8"));
  for (const name of ["nm", "ac", "investigator"]) expect((await runCli(["keys", "generate", "--name", name, "--dir", join(dir, "keys")])).code).toBe(0);
  const partners = manifest.sites.flatMap((site) => ["--partner", `${site.name}:${Object.keys(site.tables).join(",")}`]);
  const init = await runCli(["study", "init", "--name", "scale", "--tables", join(dir, "data", "tables.sql"), ...partners,
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", join(dir, "study.json")]);
  expect(init.code).toBe(0);
}, 120_000);
afterAll(async () => { await removeFolder(dir); });

describe(`round trip at ${SITES} sites × ${PATIENTS} patients`, () => {
  it("reveals exactly the rows every partner shared", async () => {
    const studyFile = join(dir, "study.json");
    const inboxes: Record<Role, string> = { garbler: join(dir, "inbox-nm"), evaluator: join(dir, "inbox-ac") };
    await Promise.all(manifest.sites.map(async (site) => {
      for (const [table, { file }] of Object.entries(site.tables)) {
        const shared = await runCli(["share", "--study", studyFile, "--partner", site.name, "--table", table, "--csv", join(dir, "data", file), "--out", join(dir, "shares")]);
        expect(shared.stderr).toBe("");
      }
      const uploaded = await runCli(["upload", "--study", studyFile, "--partner", site.name, "--from", join(dir, "shares"), "--to-garbler", inboxes.garbler, "--to-evaluator", inboxes.evaluator]);
      expect(uploaded.code).toBe(0);
    }));
    for (const role of ROLES) {
      const checked = await runCli(["--json", "inbox", "check", "--study", studyFile, "--key", join(dir, "keys", `${role === "garbler" ? "nm" : "ac"}.key`), "--inbox", inboxes[role]]);
      expect(checked.code).toBe(0);
      expect(checked.json.present.reduce((sum: number, entry: { rows: number }) => sum + entry.rows, 0))
        .toBe(manifest.sites.reduce((sum, site) => sum + Object.values(site.tables).reduce((s, t) => s + t.rows, 0), 0));
    }

    const study = await loadStudyFile(studyFile);
    const tables = [...new Set(manifest.sites.flatMap((site) => Object.keys(site.tables)))];
    for (const table of tables) {
      const sites = manifest.sites.filter((site) => site.tables[table]);
      const shares = {} as Record<Role, Uint8Array>;
      for (const role of ROLES) {
        const key = parseSecretKey(await readFile(join(dir, "keys", `${role === "garbler" ? "nm" : "ac"}.key`), "utf8"));
        const parts: Uint8Array[] = [];
        for (const site of sites) {
          const path = join(inboxes[role], ...shareFileName(study, site.name, table, role).split("/"));
          const opened = await openShareFile(createReadStream(path), key.secretKey, study, path, { role }, true);
          parts.push(opened.data!);
        }
        shares[role] = Buffer.concat(parts);
      }
      const results = await writeResultSharesOf(study, "q_count", shares, findTable(study, table).columns, dir, join(dir, "keys"), `union-${table}`);
      const out = join(dir, `${table}.csv`);
      const revealed = await runCli(["reveal", "--study", studyFile, "--key", join(dir, "keys", "investigator.key"), "--garbler", results.garbler, "--evaluator", results.evaluator, "--out", out]);
      expect(revealed.stderr).toBe("");
      const expected: string[][] = [];
      for (const site of sites) expected.push(...(parse(await readFile(join(dir, "data", site.tables[table].file))) as string[][]).slice(1));
      const actual = (parse(await readFile(out)) as string[][]);
      expect(actual[0]).toEqual(findTable(study, table).columns.map((column) => column.name));
      expect(actual.length - 1).toBe(expected.length);
      expect(actual.slice(1)).toEqual(expected);
    }
  }, 300_000);
});
