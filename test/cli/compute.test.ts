/**
 * Two `catalyst compute` processes, over direct TCP and over an SSH tunnel to a real OpenSSH sshd:
 * share → upload → compute → reveal gives exact answers, and every failure (wrong study, missing share,
 * wrong key, unknown host key, a killed peer) ends both sides non-zero, writes no result, and a rerun works.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SeededRandom } from "../../src/share/synthetic/seededRandom.js";
import { listFiles, removeFolder, runCli, temporaryFolder } from "../helpers/cli.js";
import { computeOverTcp, startParty, type PartyArguments } from "../helpers/computeParties.js";
import { freePort, startSshd, type TestSshServer } from "../helpers/sshd.js";
import { connectSocket } from "../../src/transport/tcp.js";

const QUERIES: Record<string, string> = {
  q_count: "SELECT COUNT(*) FROM visits",
  q_cost: "SELECT SUM(cost) AS total_cost FROM visits",
  q_zip: "SELECT COUNT(*) AS n FROM visits WHERE zip = '60614'",
  q_smokers: "SELECT SUM(smoker) FROM visits",
};
const ZIPS = ["60614", "60601", "60660", "60612"];

let dir: string;
let sshd: TestSshServer;
const expected: Record<string, string> = {};

async function makeStudy(name: string): Promise<string> {
  const path = join(dir, `${name}.json`);
  const queryFiles = Object.keys(QUERIES).flatMap((query) => ["--query", join(dir, `${query}.sql`)]);
  const run = await runCli(["study", "init", "--name", name, "--tables", join(dir, "tables.sql"), ...queryFiles,
    "--partner", "siteA:visits", "--partner", "siteB:visits",
    "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`,
    "--investigator", join(dir, "keys", "investigator.pub"), "--out", path]);
  expect(run.code).toBe(0);
  return path;
}

async function shareAndUpload(study: string, prefix: string, csvSuffix = ""): Promise<{ garbler: string; evaluator: string }> {
  const inboxes = { garbler: join(dir, `${prefix}-inbox-nm`), evaluator: join(dir, `${prefix}-inbox-ac`) };
  for (const partner of ["siteA", "siteB"]) {
    expect((await runCli(["share", "--study", study, "--partner", partner, "--table", "visits", "--csv", join(dir, `${partner}${csvSuffix}.csv`), "--out", join(dir, `${prefix}-shares`)])).code).toBe(0);
    expect((await runCli(["upload", "--study", study, "--partner", partner, "--from", join(dir, `${prefix}-shares`), "--to-garbler", inboxes.garbler, "--to-evaluator", inboxes.evaluator])).code).toBe(0);
  }
  return inboxes;
}

let study: string;
let inboxes: { garbler: string; evaluator: string };
const parties = (out: string, extra: { garbler?: string[]; evaluator?: string[] } = {}): [PartyArguments, PartyArguments] => [
  { study, key: join(dir, "keys", "nm.key"), inbox: inboxes.garbler, out: join(dir, out, "nm"), extra: extra.garbler },
  { study, key: join(dir, "keys", "ac.key"), inbox: inboxes.evaluator, out: join(dir, out, "ac"), extra: extra.evaluator },
];

async function revealAll(out: string): Promise<Record<string, string>> {
  const results: Record<string, string> = {};
  for (const query of Object.keys(QUERIES)) {
    const csv = join(dir, out, `${query}.csv`);
    const run = await runCli(["reveal", "--study", study, "--key", join(dir, "keys", "investigator.key"), "--garbler", join(dir, out, "nm", `${query}.nm.result`), "--evaluator", join(dir, out, "ac", `${query}.ac.result`), "--out", csv]);
    expect(run.stderr).toBe("");
    results[query] = await readFile(csv, "utf8");
  }
  return results;
}

/** After any failure, the same command line into the same folder must work. */
async function expectRerunSucceeds(out: string): Promise<void> {
  const run = await computeOverTcp(...parties(out));
  expect([run.garbler.code, run.evaluator.code]).toEqual([0, 0]);
  expect(await revealAll(out)).toEqual(expected);
}

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-compute-");
  for (const name of ["nm", "ac", "investigator", "stranger"]) expect((await runCli(["keys", "generate", "--name", name, "--dir", join(dir, "keys")])).code).toBe(0);
  await writeFile(join(dir, "tables.sql"), "CREATE TABLE visits (patid INT32, cost INT64, smoker BOOL, zip CHAR(5));\n");
  for (const [query, sql] of Object.entries(QUERIES)) await writeFile(join(dir, `${query}.sql`), sql + "\n");
  let count = 0, cost = 0n, zip = 0, smokers = 0;
  // Two data sets of the same shape (row counts) but different values: "" is checked, "-other" only compared.
  for (const [suffix, seed] of [["", 42], ["-other", 7]] as const) {
    const random = new SeededRandom(seed);
    for (const [partner, rows] of [["siteA", 700], ["siteB", 500]] as const) {
      const lines = ["patid,cost,smoker,zip"];
      for (let i = 0; i < rows; i++) {
        const rowCost = BigInt(random.below(2_000_000)) - 500_000n;
        const smoker = random.next() < (suffix ? 0.9 : 0.3);
        const rowZip = ZIPS[random.below(ZIPS.length)];
        lines.push(`${i + 1},${rowCost},${smoker},${rowZip}`);
        if (!suffix) { count++; cost += rowCost; zip += rowZip === "60614" ? 1 : 0; smokers += smoker ? 1 : 0; }
      }
      await writeFile(join(dir, `${partner}${suffix}.csv`), lines.join("\n") + "\n");
    }
  }
  Object.assign(expected, { q_count: `count\n${count}\n`, q_cost: `total_cost\n${cost}\n`, q_zip: `n\n${zip}\n`, q_smokers: `sum\n${smokers}\n` });
  study = await makeStudy("compute test");
  inboxes = await shareAndUpload(study, "main");
  sshd = await startSshd(join(dir, "sshd"));
}, 180_000);

afterAll(async () => {
  await sshd?.stop();
  await removeFolder(dir);
});

describe("catalyst compute", () => {
  it("runs the built-in queries over direct TCP and reveals the exact answers", async () => {
    const [garbler, evaluator] = parties("tcp", { garbler: ["--json"], evaluator: ["--json"] });
    const run = await computeOverTcp(garbler, evaluator);
    expect(run.garbler.stderr).not.toMatch(/catalyst:/);
    expect(run.garbler.code).toBe(0);
    expect(run.evaluator.code).toBe(0);
    expect(run.garbler.json.queries.map((query: { query: string }) => query.query)).toEqual(Object.keys(QUERIES));
    // What the garbler sent is what the evaluator received.
    expect(run.garbler.json.bytesSent).toBe(run.evaluator.json.bytesReceived);
    expect(run.garbler.json.bytesReceived).toBe(run.evaluator.json.bytesSent);
    type Operators = Array<{ operator: string; andGates: number; seconds: number; peakRssBytes: number }>;
    run.garbler.json.queries.forEach((query: { andGates: number; run: string; operators: Operators }, index: number) => {
      const peer = run.evaluator.json.queries[index];
      expect(query.andGates).toBe(peer.andGates);
      expect(query.run).toBe(peer.run);
      expect(query.andGates).toBeGreaterThan(0);
      // Each operator as it ran: its own ANDs add up to the query's, the same on both sides.
      expect(query.operators.reduce((sum, entry) => sum + entry.andGates, 0)).toBe(query.andGates);
      expect(query.operators.map((entry) => entry.operator)).toEqual((peer.operators as Operators).map((entry) => entry.operator));
      expect(query.operators.every((entry) => entry.peakRssBytes > 0 && entry.seconds >= 0)).toBe(true);
    });
    expect(await listFiles(join(dir, "tcp"))).toEqual(["ac/q_cost.ac.result", "ac/q_count.ac.result", "ac/q_smokers.ac.result", "ac/q_zip.ac.result", "nm/q_cost.nm.result", "nm/q_count.nm.result", "nm/q_smokers.nm.result", "nm/q_zip.nm.result"]);
    expect(await revealAll("tcp")).toEqual(expected);
  });

  it("sends exactly as many bytes for other data of the same shape (obliviousness)", async () => {
    const otherInboxes = await shareAndUpload(study, "shape", "-other");
    const [garbler, evaluator] = parties("shape-a", { garbler: ["--json"], evaluator: ["--json"] });
    const first = await computeOverTcp(garbler, evaluator);
    const second = await computeOverTcp({ ...garbler, inbox: otherInboxes.garbler, out: join(dir, "shape-b", "nm") }, { ...evaluator, inbox: otherInboxes.evaluator, out: join(dir, "shape-b", "ac") });
    expect([first.garbler.code, first.evaluator.code, second.garbler.code, second.evaluator.code]).toEqual([0, 0, 0, 0]);
    const shape = (run: { json: { bytesSent: number; bytesReceived: number; queries: Array<{ andGates: number; tableBytes: number }> } }) =>
      [run.json.bytesSent, run.json.bytesReceived, ...run.json.queries.flatMap((query) => [query.andGates, query.tableBytes])];
    expect(shape(second.garbler)).toEqual(shape(first.garbler));
    expect(shape(second.evaluator)).toEqual(shape(first.evaluator));
    // The result files have the same size too.
    for (const file of await listFiles(join(dir, "shape-a"))) {
      expect((await stat(join(dir, "shape-b", file))).size).toBe((await stat(join(dir, "shape-a", file))).size);
    }
  });

  it("computes over a table with no rows at all", async () => {
    await writeFile(join(dir, "empty.csv"), "patid,cost,smoker,zip\n");
    const emptyStudy = join(dir, "empty-study.json");
    expect((await runCli(["study", "init", "--name", "empty", "--tables", join(dir, "tables.sql"), "--query", join(dir, "q_count.sql"), "--query", join(dir, "q_cost.sql"), "--partner", "siteA:visits",
      "--garbler", `nm:${join(dir, "keys", "nm.pub")}`, "--evaluator", `ac:${join(dir, "keys", "ac.pub")}`, "--investigator", join(dir, "keys", "investigator.pub"), "--out", emptyStudy])).code).toBe(0);
    expect((await runCli(["share", "--study", emptyStudy, "--partner", "siteA", "--table", "visits", "--csv", join(dir, "empty.csv"), "--out", join(dir, "empty-shares")])).code).toBe(0);
    expect((await runCli(["upload", "--study", emptyStudy, "--partner", "siteA", "--from", join(dir, "empty-shares"), "--to-garbler", join(dir, "empty-nm"), "--to-evaluator", join(dir, "empty-ac")])).code).toBe(0);
    const run = await computeOverTcp(
      { study: emptyStudy, key: join(dir, "keys", "nm.key"), inbox: join(dir, "empty-nm"), out: join(dir, "empty-out", "nm") },
      { study: emptyStudy, key: join(dir, "keys", "ac.key"), inbox: join(dir, "empty-ac"), out: join(dir, "empty-out", "ac") });
    expect(run.garbler.stderr).not.toMatch(/catalyst:/);
    expect([run.garbler.code, run.evaluator.code]).toEqual([0, 0]);
    // A COUNT of 0 is a row with nothing to release, so it is dropped; the SUM of no rows is NULL (an empty cell).
    for (const [query, expectedCsv] of [["q_count", "count\n"], ["q_cost", "total_cost\n"]]) {
      const out = join(dir, "empty-out", `${query}.csv`);
      const revealed = await runCli(["reveal", "--study", emptyStudy, "--key", join(dir, "keys", "investigator.key"), "--garbler", join(dir, "empty-out", "nm", `${query}.nm.result`), "--evaluator", join(dir, "empty-out", "ac", `${query}.ac.result`), "--out", out]);
      expect(revealed.stderr).toBe("");
      expect(await readFile(out, "utf8")).toBe(expectedCsv);
    }
  });

  it("runs the evaluator through an SSH tunnel to the garbler's loopback listener", async () => {
    const port = await freePort();
    const [garbler, evaluator] = parties("ssh");
    const g = startParty(["compute", "--party=garbler", "--study", study, "--key", garbler.key, "--inbox", garbler.inbox, "--out", garbler.out, "--listen", `127.0.0.1:${port}`]);
    const e = startParty(["compute", "--party=evaluator", "--study", study, "--key", evaluator.key, "--inbox", evaluator.inbox, "--out", evaluator.out,
      "--ssh", `${sshd.user}@127.0.0.1:${sshd.port}`, "--ssh-key", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--connect", `127.0.0.1:${port}`]);
    const [garblerRun, evaluatorRun] = await Promise.all([g.done, e.done]);
    expect(evaluatorRun.stderr).toContain(`host key ${sshd.hostFingerprint}`);
    expect([garblerRun.code, evaluatorRun.code]).toEqual([0, 0]);
    expect(await revealAll("ssh")).toEqual(expected);
  });

  it("runs the queries on two worker pairs, each over its own stream of one SSH connection, with the same answers", async () => {
    const port = await freePort();
    const [garbler, evaluator] = parties("ssh-pairs");
    const g = startParty(["compute", "--party=garbler", "--study", study, "--key", garbler.key, "--inbox", garbler.inbox, "--out", garbler.out, "--listen", `127.0.0.1:${port}`, "--workers", "2"]);
    const e = startParty(["compute", "--party=evaluator", "--study", study, "--key", evaluator.key, "--inbox", evaluator.inbox, "--out", evaluator.out, "--workers", "2",
      "--ssh", `${sshd.user}@127.0.0.1:${sshd.port}`, "--ssh-key", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--connect", `127.0.0.1:${port}`]);
    const [garblerRun, evaluatorRun] = await Promise.all([g.done, e.done]);
    expect([garblerRun.code, evaluatorRun.code]).toEqual([0, 0]);
    expect(evaluatorRun.stderr.match(/SSH tunnel to /g)).toHaveLength(1);
    // Both parties schedule the same queries on the same pairs, from public sizes.
    const schedule = (stderr: string) => /2 worker pairs: (pair 1 runs [^;\n]+; pair 2 runs [^\n]+)/.exec(stderr)?.[1];
    expect(schedule(garblerRun.stderr)).toBeDefined();
    expect(schedule(evaluatorRun.stderr)).toBe(schedule(garblerRun.stderr));
    expect(await revealAll("ssh-pairs")).toEqual(expected);
  });

  it("stops both sides when they run different numbers of worker pairs, and a rerun succeeds", async () => {
    const run = await computeOverTcp(...parties("pair-mismatch", { garbler: ["--workers", "2"] }));
    expect([run.garbler.code, run.evaluator.code]).toEqual([4, 4]);
    expect(run.garbler.stderr).toMatch(/the peer runs 1 worker pair\(s\), we run 2: give both sides the same --workers/);
    expect(run.evaluator.stderr).toMatch(/the peer runs 2 worker pair\(s\), we run 1: give both sides the same --workers/);
    expect(await listFiles(join(dir, "pair-mismatch"))).toEqual([]);
    await expectRerunSucceeds("pair-mismatch");
  });

  it("stops a garbler whose peer connects but never says hello, within its idle timeout", async () => {
    const port = await freePort();
    const [garbler] = parties("silent");
    const g = startParty(["compute", "--party=garbler", "--study", study, "--key", garbler.key, "--inbox", garbler.inbox, "--out", garbler.out, "--listen", `127.0.0.1:${port}`, "--idle-timeout", "2"]);
    const silent = await connectSocket("127.0.0.1", port, { retryForMs: 30_000 });
    try {
      const run = await g.done;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/the peer connected but sent no hello for 2 s/);
    } finally {
      silent.destroy();
    }
    expect(await listFiles(join(dir, "silent"))).toEqual([]);
  });

  it("stops both sides when they run different studies, and a rerun succeeds", async () => {
    const otherStudy = await makeStudy("another study");
    const otherInboxes = await shareAndUpload(otherStudy, "other");
    const [garbler, evaluator] = parties("wrong-study");
    const run = await computeOverTcp(garbler, { ...evaluator, study: otherStudy, inbox: otherInboxes.evaluator });
    expect(run.garbler.code).toBe(4);
    expect(run.evaluator.code).toBe(4);
    expect(run.garbler.stderr).toMatch(/the peer runs study [0-9a-f]+, we run/);
    expect(run.evaluator.stderr).toMatch(/the peer runs study [0-9a-f]+, we run/);
    expect(await listFiles(join(dir, "wrong-study"))).toEqual([]);
    await expectRerunSucceeds("wrong-study");
  });

  it("stops both sides when a share is missing from one inbox, and a rerun succeeds once it is back", async () => {
    const moved = join(dir, "moved.share");
    await rename(join(inboxes.evaluator, "siteB", "visits.ac.share"), moved);
    try {
      const run = await computeOverTcp(...parties("missing"));
      expect(run.garbler.code).not.toBe(0);
      expect(run.evaluator.code).not.toBe(0);
      expect(run.evaluator.stderr).toMatch(/siteB\/visits is missing here but the peer has 500 rows/);
      expect(run.garbler.stderr).toMatch(/siteB\/visits is missing at the peer \(we have 500 rows\)/);
      expect(await listFiles(join(dir, "missing"))).toEqual([]);
      // On two worker pairs, both sides see it in the pair hellos, before either schedules a query on a pair.
      const paired = await computeOverTcp(...parties("missing-pairs", { garbler: ["--workers", "2"], evaluator: ["--workers", "2"] }));
      expect([paired.garbler.code, paired.evaluator.code]).toEqual([4, 4]);
      expect(paired.evaluator.stderr).toMatch(/siteB\/visits is missing here but the peer has 500 rows/);
      expect(paired.garbler.stderr).toMatch(/siteB\/visits is missing at the peer \(we have 500 rows\)/);
      expect(await listFiles(join(dir, "missing-pairs"))).toEqual([]);
    } finally {
      await rename(moved, join(inboxes.evaluator, "siteB", "visits.ac.share"));
    }
    await expectRerunSucceeds("missing");
  });

  it("refuses a wrong key on one side; the other side gives up within its connect timeout; a rerun succeeds", async () => {
    const [garbler, evaluator] = parties("wrong-key", { garbler: ["--connect-timeout", "3"] });
    const run = await computeOverTcp(garbler, { ...evaluator, key: join(dir, "keys", "stranger.key") });
    expect(run.evaluator.code).toBe(4);
    expect(run.evaluator.stderr).toMatch(/stranger\.key: this key .* is neither compute party's/);
    expect(run.garbler.code).not.toBe(0);
    expect(run.garbler.stderr).toMatch(/no peer connected to 127\.0\.0\.1:\d+ within 3000 ms/);
    const swapped = await computeOverTcp(garbler, { ...evaluator, key: join(dir, "keys", "nm.key") });
    expect(swapped.evaluator.code).toBe(2);
    expect(swapped.evaluator.stderr).toMatch(/--party=evaluator, but .*nm\.key is the garbler's key/);
    expect(await listFiles(join(dir, "wrong-key"))).toEqual([]);
    await expectRerunSucceeds("wrong-key");
  });

  it("refuses an SSH server whose host key is not in known_hosts, and a rerun succeeds", async () => {
    const port = await freePort();
    const unknown = join(dir, "unknown_known_hosts");
    await writeFile(unknown, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZB\n`);
    const [garbler, evaluator] = parties("unknown-host");
    const g = startParty(["compute", "--party=garbler", "--study", study, "--key", garbler.key, "--inbox", garbler.inbox, "--out", garbler.out, "--listen", `127.0.0.1:${port}`, "--connect-timeout", "3"]);
    const e = startParty(["compute", "--party=evaluator", "--study", study, "--key", evaluator.key, "--inbox", evaluator.inbox, "--out", evaluator.out,
      "--ssh", `${sshd.user}@127.0.0.1:${sshd.port}`, "--ssh-key", sshd.clientKey, "--known-hosts", unknown, "--connect", `127.0.0.1:${port}`]);
    const [garblerRun, evaluatorRun] = await Promise.all([g.done, e.done]);
    expect(evaluatorRun.code).toBe(4);
    expect(evaluatorRun.stderr).toMatch(/does not match its known_hosts entry/);
    expect(garblerRun.code).not.toBe(0);
    expect(await listFiles(join(dir, "unknown-host"))).toEqual([]);
    await expectRerunSucceeds("unknown-host");
  });

  it.each([["evaluator", 1], ["garbler", 1], ["evaluator", 2]] as const)("ends both sides cleanly when the %s is killed mid-run (%i worker pairs), and a rerun succeeds", async (victim, workers) => {
    const port = await freePort();
    const flags = ["--idle-timeout", "5", "--workers", String(workers)];
    const [garbler, evaluator] = parties(`killed-${victim}-${workers}`, { garbler: flags, evaluator: flags });
    const g = startParty(["compute", "--party=garbler", "--study", study, "--key", garbler.key, "--inbox", garbler.inbox, "--out", garbler.out, "--listen", `127.0.0.1:${port}`, ...garbler.extra!]);
    const e = startParty(["compute", "--party=evaluator", "--study", study, "--key", evaluator.key, "--inbox", evaluator.inbox, "--out", evaluator.out, "--connect", `127.0.0.1:${port}`, ...evaluator.extra!]);
    const target = victim === "garbler" ? g : e;
    const survivor = victim === "garbler" ? e : g;
    await survivor.waitFor(/query q_cost: \d+ input rows/);
    const killedAt = performance.now();
    target.process.kill("SIGKILL");
    const [survivorRun] = await Promise.all([survivor.done, target.done]);
    expect(performance.now() - killedAt).toBeLessThan(20_000);
    expect(survivorRun.code).not.toBe(0);
    expect(survivorRun.stderr).toMatch(/quer(y|ies) q_\w+(, q_\w+)* stopped: .*(closed|reset|no data from the peer)/);
    expect(await listFiles(join(dir, `killed-${victim}-${workers}`))).toEqual([]);

    await expectRerunSucceeds(`killed-${victim}-${workers}`);
  });
});
