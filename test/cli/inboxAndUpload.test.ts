import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { listFiles, removeFolder, repositoryRoot, runCli, temporaryFolder, testAuditLog } from "../helpers/cli.js";
import { createTestStudy, GOOD_VISITS_CSV, type TestStudy } from "../helpers/study.js";

let setup: TestStudy;
let other: TestStudy;
const LABS_CSV = "patid,value\n1,7\n2,-3\n";

async function shareAll(target: TestStudy, out: string): Promise<void> {
  await writeFile(join(target.dir, "visits.csv"), GOOD_VISITS_CSV);
  await writeFile(join(target.dir, "labs.csv"), LABS_CSV);
  for (const [partner, table] of [["siteA", "visits"], ["siteA", "labs"], ["siteB", "visits"]]) {
    const run = await runCli(["share", "--study", target.study, "--partner", partner, "--table", table, "--csv", join(target.dir, `${table}.csv`), "--out", out]);
    expect(run.code).toBe(0);
  }
}

beforeAll(async () => {
  setup = await createTestStudy(await temporaryFolder());
  // Another study with the same keys and tables, but a different name: its shares must not be accepted here.
  other = await createTestStudy(setup.dir, { name: "Other study" });
  await shareAll(setup, join(setup.dir, "shares"));
  await shareAll(other, join(setup.dir, "other-shares"));
});
afterAll(async () => { await removeFolder(setup.dir); });

const upload = (partner: string, garblerInbox: string, evaluatorInbox: string, extra: string[] = []) =>
  runCli(["upload", "--study", setup.study, "--partner", partner, "--from", join(setup.dir, "shares"), "--to-garbler", garblerInbox, "--to-evaluator", evaluatorInbox, ...extra]);
const check = (key: string, inbox: string, extra: string[] = []) => runCli(["inbox", "check", "--study", setup.study, "--key", key, "--inbox", inbox, ...extra]);

describe("catalyst upload and inbox check", () => {
  it("sends each party only its own shares, reports missing partners, and is idempotent", async () => {
    const garblerInbox = join(setup.dir, "inbox-nm");
    const evaluatorInbox = join(setup.dir, "inbox-ac");
    const first = await upload("siteA", garblerInbox, evaluatorInbox, ["--json"]);
    expect(first.code).toBe(0);
    expect(first.json.files.map((file: { status: string }) => file.status)).toEqual(["uploaded", "uploaded", "uploaded", "uploaded"]);
    expect(await listFiles(garblerInbox)).toEqual(["siteA/labs.nm.share", "siteA/visits.nm.share"]);
    expect(await listFiles(evaluatorInbox)).toEqual(["siteA/labs.ac.share", "siteA/visits.ac.share"]);

    const partial = await check(setup.keys.garbler, garblerInbox, ["--json"]);
    expect(partial.code).toBe(5);
    expect(partial.json).toMatchObject({ ok: false, role: "garbler", complete: false, missing: [{ partner: "siteB", table: "visits" }] });
    expect(partial.json.present.map((entry: { table: string; rows: number }) => [entry.table, entry.rows])).toEqual([["visits", 4], ["labs", 2]]);

    expect((await upload("siteB", garblerInbox, evaluatorInbox)).code).toBe(0);
    const again = await upload("siteA", garblerInbox, evaluatorInbox, ["--json"]);
    expect(again.json.files.map((file: { status: string }) => file.status)).toEqual(["already-present", "already-present", "already-present", "already-present"]);

    for (const [key, inbox] of [[setup.keys.garbler, garblerInbox], [setup.keys.evaluator, evaluatorInbox]]) {
      const complete = await check(key, inbox, ["--json"]);
      expect(complete.code).toBe(0);
      expect(complete.json).toMatchObject({ ok: true, complete: true, missing: [], invalid: [] });
      expect(complete.json.present).toHaveLength(3);
    }
    const human = await check(setup.keys.evaluator, evaluatorInbox);
    expect(human.stdout).toMatch(/ok\s+siteA\/visits\s+4 rows/);
    expect(human.stdout).toContain("3 present, 0 missing, 0 invalid");
  });

  it("refuses to put both shares in one place, and a share file that was swapped for the other party's", async () => {
    const same = await upload("siteA", join(setup.dir, "one"), join(setup.dir, "one"));
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/same place/);
    const swapped = join(setup.dir, "swapped");
    await mkdir(join(swapped, "siteA"), { recursive: true });
    for (const table of ["visits", "labs"]) {
      await copyFile(join(setup.dir, "shares", "siteA", `${table}.ac.share`), join(swapped, "siteA", `${table}.nm.share`));
      await copyFile(join(setup.dir, "shares", "siteA", `${table}.nm.share`), join(swapped, "siteA", `${table}.ac.share`));
    }
    const run = await runCli(["upload", "--study", setup.study, "--partner", "siteA", "--from", swapped, "--to-garbler", join(setup.dir, "g2"), "--to-evaluator", join(setup.dir, "e2")]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/is the evaluator's share \(ac\), not the garbler's \(nm\)/);
    expect(await listFiles(join(setup.dir, "g2"))).toEqual([]);
  });

  it("shows each file's progress with bytes and ETA on a terminal, and never hangs on one without a size", async () => {
    for (const [columns, bar] of [[120, true], [0, false]] as const) {
      const inboxes = [join(setup.dir, `tty-${columns}-g`), join(setup.dir, `tty-${columns}-e`)];
      const command = `stty cols ${columns} rows 40 2>/dev/null; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repositoryRoot, "bin", "catalyst"))} upload --study ${JSON.stringify(setup.study)} --partner siteA --from ${JSON.stringify(join(setup.dir, "shares"))} --to-garbler ${JSON.stringify(inboxes[0])} --to-evaluator ${JSON.stringify(inboxes[1])}`;
      // util-linux `script` gives the command a real pseudo-terminal; CI is unset so the spinner may run.
      const environment: NodeJS.ProcessEnv = { ...process.env, CATALYST_AUDIT_LOG: testAuditLog };
      delete environment.CI;
      const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
        execFile("script", ["-qec", command, "/dev/null"], { env: environment, timeout: 60_000 }, (error, stdout) => resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, output: stdout }));
      });
      expect(run.code).toBe(0);
      if (bar) expect(run.output).toMatch(/siteA\/visits\.nm\.share → garbler \[#*-*\] \d+% [\d.]+ [kKMG]?B\/[\d.]+ [kKMG]?B .*ETA/);
      else expect(run.output).not.toMatch(/ETA/);
      expect(await listFiles(inboxes[0])).toEqual(["siteA/labs.nm.share", "siteA/visits.nm.share"]);
    }
  });

  describe("a compute party's inbox holding a bad file", () => {
    async function inboxWith(name: string, mutate: (inbox: string) => Promise<void>) {
      const inbox = join(setup.dir, `inbox-${name}`);
      for (const partner of ["siteA", "siteB"]) {
        await mkdir(join(inbox, partner), { recursive: true });
      }
      for (const file of ["siteA/visits.nm.share", "siteA/labs.nm.share", "siteB/visits.nm.share"]) {
        await copyFile(join(setup.dir, "shares", file), join(inbox, file));
      }
      await mutate(inbox);
      return inbox;
    }

    it.each<[string, (inbox: string) => Promise<void>, RegExp]>([
      ["tampered", async (inbox) => {
        const path = join(inbox, "siteA/visits.nm.share");
        const bytes = await readFile(path);
        bytes[bytes.length - 40] ^= 0x20;
        await writeFile(path, bytes);
      }, /siteA\/visits\.nm\.share: tampered or truncated: chunk 0 fails authentication/],
      ["truncated", async (inbox) => {
        const path = join(inbox, "siteA/labs.nm.share");
        const bytes = await readFile(path);
        await writeFile(path, bytes.subarray(0, bytes.length - 10));
      }, /siteA\/labs\.nm\.share: tampered or truncated/],
      ["cut inside the header", async (inbox) => {
        const path = join(inbox, "siteA/labs.nm.share");
        await writeFile(path, (await readFile(path)).subarray(0, 30));
      }, /siteA\/labs\.nm\.share: not a sealed Catalyst file or truncated/],
      ["the other party's share", async (inbox) => {
        await copyFile(join(setup.dir, "shares", "siteB/visits.ac.share"), join(inbox, "siteB/visits.nm.share"));
      }, /siteB\/visits\.nm\.share: is the evaluator's share \(ac\), not the garbler's \(nm\)/],
      ["another study's share", async (inbox) => {
        await copyFile(join(setup.dir, "other-shares", "siteB/visits.nm.share"), join(inbox, "siteB/visits.nm.share"));
      }, /siteB\/visits\.nm\.share: belongs to another study/],
      ["a share renamed to another table", async (inbox) => {
        await rename(join(inbox, "siteA/labs.nm.share"), join(inbox, "siteB/visits.nm.share"));
      }, /holds siteA\/labs, but its file name says siteB\/visits/],
      ["not a share at all", async (inbox) => {
        await writeFile(join(inbox, "siteA/visits.nm.share"), "patid,value\n1,2\n");
      }, /siteA\/visits\.nm\.share: not a sealed Catalyst file/],
    ])("names the file and fails: %s", async (name, mutate, message) => {
      const inbox = await inboxWith(name.replace(/\W+/g, "-"), mutate);
      const run = await check(setup.keys.garbler, inbox, ["--json"]);
      expect(run.code).toBe(4);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.json).toMatchObject({ ok: false, complete: false });
      expect(run.json.invalid.length).toBeGreaterThanOrEqual(1);
    });

    it("refuses a key that is not a compute party's", async () => {
      const inbox = await inboxWith("stranger", async () => {});
      const stranger = await check(setup.keys.stranger, inbox);
      expect(stranger.code).toBe(4);
      expect(stranger.stderr).toMatch(/stranger\.key: this key \(SHA256:.*\) is neither compute party's/);
      const evaluatorKey = await check(setup.keys.evaluator, inbox);
      expect(evaluatorKey.code).toBe(4);
      expect(evaluatorKey.stderr).toMatch(/not addressed to this party|sealed to another key|missing/);
    });
  });
});
