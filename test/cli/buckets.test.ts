/**
 * Issue 6: write-once buckets behind pre-signed URLs, against a real Azurite. The whole flow (grant → share →
 * upload → pull → compute → reveal), what a granted URL cannot do, expiry, a flaky network, misrouted grants,
 * and the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { BlobServiceClient } from "@azure/storage-blob";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startAzurite, type TestAzurite } from "../helpers/azurite.js";
import { listFiles, removeFolder, runCli, temporaryFolder } from "../helpers/cli.js";
import { computeOverTcp } from "../helpers/computeParties.js";
import { startFlakyProxy } from "../helpers/flakyProxy.js";
import { grantFile, http } from "../helpers/grants.js";
import { createTestStudy, GOOD_VISITS_CSV, type TestStudy } from "../helpers/study.js";

let azurite: TestAzurite;
let setup: TestStudy;
let other: TestStudy;
const LABS_CSV = "patid,value\n1,7\n2,-3\n";
const SITE_B_VISITS_CSV = "patid,age_cat,cost,smoker,zip,note\n10,2,40,false,60614,\n11,2,60,true,60614,x\n";
const auditLog = () => join(setup.dir, "audit.jsonl");

/** Runs the CLI as one site would: with that site's storage credentials only, and the test's audit log. */
function asSite(args: string[], connectionString?: string) {
  return runCli(args, { env: { AZURE_STORAGE_CONNECTION_STRING: connectionString ?? "", CATALYST_AUDIT_LOG: auditLog() } });
}

async function shareAll(target: TestStudy, out: string): Promise<void> {
  await writeFile(join(target.dir, "visits-a.csv"), GOOD_VISITS_CSV);
  await writeFile(join(target.dir, "visits-b.csv"), SITE_B_VISITS_CSV);
  await writeFile(join(target.dir, "labs.csv"), LABS_CSV);
  for (const [partner, table, csv] of [["siteA", "visits", "visits-a.csv"], ["siteA", "labs", "labs.csv"], ["siteB", "visits", "visits-b.csv"]]) {
    const run = await asSite(["share", "--study", target.study, "--partner", partner, "--table", table, "--csv", join(target.dir, csv), "--out", out]);
    expect(run.stderr).toBe("");
  }
}

/** `catalyst grant` as the compute site's delegate; returns the folder of grant files. */
async function grant(party: "garbler" | "evaluator", container: string, options: { connectionString?: string; expires?: string; study?: string; out?: string } = {}): Promise<string> {
  const out = options.out ?? join(setup.dir, `grants-${container}`);
  const run = await asSite(["grant", "--study", options.study ?? setup.study, "--party", party, "--store", `azure://devstoreaccount1/${container}`, "--create", "--expires", options.expires ?? "1h", "--out", out, "--json"], options.connectionString ?? azurite.connectionString);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return out;
}

const uploadWith = (partner: string, garblerGrant: string, evaluatorGrant: string, extra: string[] = [], from = join(setup.dir, "shares")) =>
  asSite(["upload", "--study", setup.study, "--partner", partner, "--from", from, "--to-garbler", garblerGrant, "--to-evaluator", evaluatorGrant, "--json", ...extra]);

const pull = (key: string, container: string, out: string) =>
  asSite(["inbox", "pull", "--study", setup.study, "--key", key, "--store", `azure://devstoreaccount1/${container}`, "--out", out, "--json"], azurite.connectionString);

beforeAll(async () => {
  azurite = await startAzurite();
  setup = await createTestStudy(await temporaryFolder(), { extraArgs: ["--min-cell-count", "1"] });
  other = await createTestStudy(setup.dir, { name: "Other study", extraArgs: ["--min-cell-count", "1"] });
  await shareAll(setup, join(setup.dir, "shares"));
  await shareAll(other, join(setup.dir, "other-shares"));
});
afterAll(async () => {
  await azurite?.stop();
  await removeFolder(setup.dir);
});

describe("buckets through Azurite", () => {
  it("runs the whole flow: grant → share → upload → pull → compute → reveal", async () => {
    const garblerGrants = await grant("garbler", "flow-nm");
    const evaluatorGrants = await grant("evaluator", "flow-ac");
    expect(await listFiles(garblerGrants)).toEqual(["siteA.nm.grant.json", "siteB.nm.grant.json"]);
    for (const partner of ["siteA", "siteB"]) {
      const run = await uploadWith(partner, join(garblerGrants, `${partner}.nm.grant.json`), join(evaluatorGrants, `${partner}.ac.grant.json`));
      expect(run.stderr).toBe("");
      expect(run.json.files.every((file: { status: string; confirmed: boolean }) => file.status === "uploaded" && file.confirmed)).toBe(true);
      // The store's MD5 of what it holds was compared with the file's.
      expect(run.json.files.every((file: { storeDigest?: string }) => /^md5:/.test(file.storeDigest ?? ""))).toBe(true);
    }
    const pulled = { nm: join(setup.dir, "pulled-nm"), ac: join(setup.dir, "pulled-ac") };
    for (const [key, container, out] of [[setup.keys.garbler, "flow-nm", pulled.nm], [setup.keys.evaluator, "flow-ac", pulled.ac]]) {
      const run = await pull(key, container, out);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.json.pulled.map((file: { status: string }) => file.status)).toEqual(["downloaded", "downloaded", "downloaded"]);
      expect(run.json).toMatchObject({ ok: true, complete: true, missing: [], invalid: [] });
    }
    // Beside the shares, the record of what was pulled (object versions and SHA-256s), for the next pull.
    expect(await listFiles(pulled.nm)).toEqual([".catalyst-pulled.json", "siteA/labs.nm.share", "siteA/visits.nm.share", "siteB/visits.nm.share"]);
    // Pulling again downloads nothing: the local copies have the store's MD5.
    const again = await asSite(["inbox", "pull", "--study", setup.study, "--key", setup.keys.garbler, "--store", "azure://devstoreaccount1/flow-nm", "--out", pulled.nm], azurite.connectionString);
    expect(again.stderr).toMatch(/0 downloaded, 3 already here/);
    expect(again.stdout).toMatch(/3 present, 0 missing, 0 invalid/);

    const computed = await computeOverTcp(
      { study: setup.study, key: setup.keys.garbler, inbox: pulled.nm, out: join(setup.dir, "out-nm") },
      // The evaluator reads its bucket directly: compute pulls it into OUT/inbox first.
      { study: setup.study, key: setup.keys.evaluator, inbox: "azure://devstoreaccount1/flow-ac", out: join(setup.dir, "out-ac") },
      { CATALYST_AUDIT_LOG: auditLog(), AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
    );
    expect(computed.evaluator.stderr).toMatch(/pulled 3 shares from azure:\/\/devstoreaccount1\/flow-ac/);
    expect(await listFiles(join(setup.dir, "out-ac", "inbox"))).toEqual([".catalyst-pulled.json", "siteA/labs.ac.share", "siteA/visits.ac.share", "siteB/visits.ac.share"]);
    expect(computed.garbler.code).toBe(0);
    expect(computed.evaluator.code).toBe(0);
    const csv = join(setup.dir, "result.csv");
    const revealed = await asSite(["reveal", "--study", setup.study, "--key", setup.keys.investigator, "--garbler", join(setup.dir, "out-nm", "q_count.nm.result"), "--evaluator", join(setup.dir, "out-ac", "q_count.ac.result"), "--out", csv]);
    expect(revealed.code).toBe(0);
    // Four visits from siteA and two from siteB.
    expect((await readFile(csv, "utf8")).trim().split("\n")).toEqual(["count", "6"]);
  });

  it("grants URLs that can create once but cannot read, list or overwrite", async () => {
    const folder = await grant("garbler", "rights-nm");
    const { json } = await grantFile(folder, "siteA", "nm");
    const upload = json.uploads.find((entry: { table: string }) => entry.table === "labs");
    const bytes = await readFile(join(setup.dir, "shares", "siteA", "labs.nm.share"));
    const created = await http("PUT", upload.url, bytes, upload.headers);
    expect(created.status).toBe(201);
    expect((await http("GET", upload.url)).status).toBe(403);
    expect((await http("HEAD", upload.url)).status).toBe(403);
    const sas = new URL(upload.url).search.slice(1);
    const containerUrl = new URL(upload.url);
    containerUrl.pathname = containerUrl.pathname.split("/").slice(0, 3).join("/");
    expect((await http("GET", `${containerUrl.origin}${containerUrl.pathname}?restype=container&comp=list&${sas}`)).status).toBe(403);
    // Overwriting fails with or without the If-None-Match the grant asks for: the SAS itself only creates.
    for (const headers of [upload.headers, { "x-ms-blob-type": "BlockBlob" }]) {
      const overwrite = await http("PUT", upload.url, Buffer.from("forged"), headers);
      expect(overwrite.status).toBe(403);
      expect(overwrite.body).toContain("AuthorizationPermissionMismatch");
    }
    // Another name with this URL's signature is refused too.
    const elsewhere = upload.url.replace("labs.nm.share", "visits.nm.share");
    expect((await http("PUT", elsewhere, Buffer.from("forged"), upload.headers)).status).toBe(403);
    // The blob still holds the first upload.
    const pulled = await pull(setup.keys.garbler, "rights-nm", join(setup.dir, "rights-pulled"));
    expect(pulled.json.present.map((entry: { table: string }) => entry.table)).toEqual(["labs"]);
  });

  it("refuses an expired grant before sending, and the store refuses one whose expiry was edited", async () => {
    const folder = await grant("garbler", "expiry-nm", { expires: "1s", out: join(setup.dir, "grants-expired") });
    const evaluatorFolder = await grant("evaluator", "expiry-ac");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { path, json } = await grantFile(folder, "siteA", "nm");
    const refused = await uploadWith("siteA", path, join(evaluatorFolder, "siteA.ac.grant.json"));
    expect(refused.code).toBe(4);
    expect(refused.json.error.code).toBe("grant-expired");
    expect(refused.stderr).toMatch(/expired at/);
    // Moving the date forward in the file does not move it in the signature.
    const edited = join(setup.dir, "edited.grant.json");
    await writeFile(edited, JSON.stringify({ ...json, expires: new Date(Date.now() + 3600_000).toISOString() }));
    const forged = await uploadWith("siteA", edited, join(evaluatorFolder, "siteA.ac.grant.json"));
    expect(forged.code).toBe(4);
    expect(forged.stderr).toMatch(/HTTP 403/);
    expect(forged.stderr).not.toMatch(/sig=/);
    const pulled = await pull(setup.keys.garbler, "expiry-nm", join(setup.dir, "expiry-pulled"));
    expect(pulled.json.present).toEqual([]);
  });

  it("retries through a proxy that cuts uploads mid-way, and finishes without duplicates", async () => {
    const proxy = await startFlakyProxy(azurite.port, { failures: 3, mode: "request", cutAfterBytes: 700 });
    try {
      const folder = await grant("garbler", "flaky-nm", { connectionString: azurite.connectionStringVia(proxy.port) });
      const evaluatorFolder = await grant("evaluator", "flaky-ac");
      proxy.arm();
      const run = await uploadWith("siteA", join(folder, "siteA.nm.grant.json"), join(evaluatorFolder, "siteA.ac.grant.json"));
      expect(run.code).toBe(0);
      expect(proxy.broken).toBe(3);
      const garblerFiles = run.json.files.filter((file: { role: string }) => file.role === "garbler");
      expect(garblerFiles.map((file: { status: string }) => file.status)).toEqual(["uploaded", "uploaded"]);
      expect(garblerFiles.reduce((sum: number, file: { attempts: number }) => sum + file.attempts, 0)).toBe(5);
      const pulled = await pull(setup.keys.garbler, "flaky-nm", join(setup.dir, "flaky-pulled"));
      expect(pulled.json.present.map((entry: { table: string }) => entry.table)).toEqual(["visits", "labs"]);
      // A second run sends nothing again: the partner's receipts know what is stored.
      const again = await uploadWith("siteA", join(folder, "siteA.nm.grant.json"), join(evaluatorFolder, "siteA.ac.grant.json"));
      expect(again.json.files.map((file: { status: string }) => file.status)).toEqual(["already-present", "already-present", "already-present", "already-present"]);
    } finally {
      await proxy.stop();
    }
  });

  it("treats a write-once conflict after a lost answer as its own upload, and a re-run after giving up too", async () => {
    const proxy = await startFlakyProxy(azurite.port, { failures: 2, mode: "answer" });
    const from = join(setup.dir, "shares-lost");
    await shareAll(setup, from);
    try {
      const folder = await grant("garbler", "lost-nm", { connectionString: azurite.connectionStringVia(proxy.port) });
      const evaluatorFolder = await grant("evaluator", "lost-ac");
      proxy.arm();
      // The store keeps the share but the answer is lost, and this run may not retry: it stops, like a crash.
      const first = await uploadWith("siteB", join(folder, "siteB.nm.grant.json"), join(evaluatorFolder, "siteB.ac.grant.json"), ["--attempts", "1"], from);
      expect(first.code).toBe(1);
      expect(first.json.error.code).toBe("store-unreachable");
      expect(first.stderr).toMatch(/resumes safely/);
      // The re-run loses one more answer, then finds the name taken: its own receipt says a PUT of these bytes was under way.
      const rerun = await uploadWith("siteB", join(folder, "siteB.nm.grant.json"), join(evaluatorFolder, "siteB.ac.grant.json"), [], from);
      expect(rerun.code).toBe(0);
      const garbler = rerun.json.files.find((file: { role: string }) => file.role === "garbler");
      expect(garbler).toMatchObject({ status: "already-present", confirmed: false, attempts: 2 });
      expect(proxy.broken).toBe(2);
      const pulled = await pull(setup.keys.garbler, "lost-nm", join(setup.dir, "lost-pulled"));
      expect(pulled.json).toMatchObject({ complete: false, invalid: [] });
      expect(pulled.json.present.map((entry: { partner: string }) => entry.partner)).toEqual(["siteB"]);
    } finally {
      await proxy.stop();
    }
  });

  it("refuses to call a stranger's object its own", async () => {
    const folder = await grant("garbler", "stranger-nm");
    const evaluatorFolder = await grant("evaluator", "stranger-ac");
    const { json } = await grantFile(folder, "siteB", "nm");
    expect((await http("PUT", json.uploads[0].url, Buffer.from("not a share"), json.uploads[0].headers)).status).toBe(201);
    const run = await uploadWith("siteB", join(folder, "siteB.nm.grant.json"), join(evaluatorFolder, "siteB.ac.grant.json"), [], join(setup.dir, "shares"));
    expect(run.code).toBe(4);
    expect(run.json.error.code).toBe("exists");
    expect(run.stderr).toMatch(/already holds a file under this name, and grants are write-once/);
    const pulled = await pull(setup.keys.garbler, "stranger-nm", join(setup.dir, "stranger-pulled"));
    expect(pulled.code).toBe(4);
    expect(pulled.json.invalid[0]).toMatchObject({ partner: "siteB", table: "visits", status: "invalid" });
  });

  it("refuses wrong-study, wrong-partner and wrong-party grants, and uploads nothing", async () => {
    const garblerGrants = await grant("garbler", "wrong-nm");
    const evaluatorGrants = await grant("evaluator", "wrong-ac");
    const otherGrants = await grant("garbler", "wrong-other", { study: other.study, out: join(setup.dir, "grants-other") });
    const cases: Array<[string, string, string, RegExp]> = [
      [join(otherGrants, "siteA.nm.grant.json"), join(evaluatorGrants, "siteA.ac.grant.json"), "wrong-study", /for study "Other study"/],
      [join(garblerGrants, "siteB.nm.grant.json"), join(evaluatorGrants, "siteA.ac.grant.json"), "wrong-partner", /for partner siteB, not siteA/],
      [join(evaluatorGrants, "siteA.ac.grant.json"), join(garblerGrants, "siteA.nm.grant.json"), "wrong-party", /leads to the evaluator ac.*must not go to the evaluator/],
    ];
    for (const [garblerGrant, evaluatorGrant, code, message] of cases) {
      const run = await uploadWith("siteA", garblerGrant, evaluatorGrant);
      expect(run.code).toBe(4);
      expect(run.json.error.code).toBe(code);
      expect(run.stderr).toMatch(message);
    }
    for (const [key, container] of [[setup.keys.garbler, "wrong-nm"], [setup.keys.evaluator, "wrong-ac"]]) {
      expect((await pull(key, container, join(setup.dir, `${container}-pulled`))).json.present).toEqual([]);
    }
    // A bucket URL in place of a grant would need the compute site's credentials.
    const bare = await uploadWith("siteA", "azure://devstoreaccount1/wrong-nm", join(evaluatorGrants, "siteA.ac.grant.json"));
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/give the grant file/);
  });

  it("refuses a mistyped grant path, a grant short of a table, URLs that lead elsewhere, and two grants into one container", async () => {
    const garblerGrants = await grant("garbler", "fit-nm");
    const evaluatorGrants = await grant("evaluator", "fit-ac");
    const evaluatorGrant = join(evaluatorGrants, "siteA.ac.grant.json");
    const typo = join(garblerGrants, "siteA.nm.grant.jsn.json");
    const mistyped = await uploadWith("siteA", typo, evaluatorGrant);
    expect(mistyped.code).toBe(3);
    expect(mistyped.stderr).toMatch(/cannot read the garbler's grant: no such file/);
    expect(await listFiles(garblerGrants)).toEqual(["siteA.nm.grant.json", "siteB.nm.grant.json"]);

    const { json } = await grantFile(garblerGrants, "siteA", "nm");
    const short = join(setup.dir, "short.grant.json");
    await writeFile(short, JSON.stringify({ ...json, uploads: json.uploads.slice(0, 1) }));
    const incomplete = await uploadWith("siteA", short, evaluatorGrant);
    expect(incomplete.code).toBe(4);
    expect(incomplete.json.error.code).toBe("grant-incomplete");

    const elsewhere = join(setup.dir, "elsewhere.grant.json");
    await writeFile(elsewhere, JSON.stringify({ ...json, uploads: json.uploads.map((upload: { url: string }) => ({ ...upload, url: upload.url.replace("/fit-nm/", "/fit-ac/") })) }));
    const misdirected = await uploadWith("siteA", elsewhere, evaluatorGrant);
    expect(misdirected.code).toBe(4);
    expect(misdirected.stderr).toMatch(/do not match its store azure:\/\/devstoreaccount1\/fit-nm: the URL for \w+ leads elsewhere/);

    // Two prefixes of one container are one place: whoever holds it could read both shares.
    const shared = join(setup.dir, "grants-shared");
    for (const [party, prefix] of [["garbler", "g"], ["evaluator", "e"]]) {
      const run = await asSite(["grant", "--study", setup.study, "--party", party, "--store", `azure://devstoreaccount1/fit-shared/${prefix}`, "--create", "--partner", "siteA", "--out", shared], azurite.connectionString);
      expect(run.code).toBe(0);
    }
    const samePlace = await uploadWith("siteA", join(shared, "siteA.nm.grant.json"), join(shared, "siteA.ac.grant.json"));
    expect(samePlace.code).toBe(2);
    expect(samePlace.stderr).toMatch(/same place/);
    for (const [key, container] of [[setup.keys.garbler, "fit-nm"], [setup.keys.evaluator, "fit-ac"]]) {
      expect((await pull(key, container, join(setup.dir, `${container}-pulled`))).json.present).toEqual([]);
    }
  });

  it("uploads a corrected share after the delegate removed the old one and granted again", async () => {
    const garblerGrants = await grant("garbler", "again-nm");
    const evaluatorGrants = await grant("evaluator", "again-ac");
    const from = join(setup.dir, "shares-again");
    await shareAll(setup, from);
    const first = await uploadWith("siteB", join(garblerGrants, "siteB.nm.grant.json"), join(evaluatorGrants, "siteB.ac.grant.json"), [], from);
    expect(first.code).toBe(0);
    // Re-sharing makes new random shares; the write-once grant refuses them over the old ones.
    await shareAll(setup, from);
    const refused = await uploadWith("siteB", join(garblerGrants, "siteB.nm.grant.json"), join(evaluatorGrants, "siteB.ac.grant.json"), [], from);
    expect(refused.code).toBe(4);
    expect(refused.json.error.code).toBe("exists");
    expect(refused.stderr).toMatch(/sent a different share/);
    // The delegate removes the old shares (with the site's credentials) and grants again.
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    for (const container of ["again-nm", "again-ac"]) {
      for await (const blob of service.getContainerClient(container).listBlobsFlat()) await service.getContainerClient(container).deleteBlob(blob.name);
    }
    const newGarblerGrants = await grant("garbler", "again-nm", { out: join(setup.dir, "grants-again-nm-2") });
    const newEvaluatorGrants = await grant("evaluator", "again-ac", { out: join(setup.dir, "grants-again-ac-2") });
    const second = await uploadWith("siteB", join(newGarblerGrants, "siteB.nm.grant.json"), join(newEvaluatorGrants, "siteB.ac.grant.json"), [], from);
    expect(second.code).toBe(0);
    expect(second.json.files.map((file: { status: string }) => file.status)).toEqual(["uploaded", "uploaded"]);
    const pulled = await pull(setup.keys.garbler, "again-nm", join(setup.dir, "again-pulled"));
    expect(pulled.json.present.map((entry: { partner: string }) => entry.partner)).toEqual(["siteB"]);
  });

  it("keeps credentials and signatures out of output and the audit trail, which records every step", async () => {
    const run = await asSite(["grant", "--study", setup.study, "--party", "garbler", "--store", "azure://devstoreaccount1/audit-nm", "--create", "--out", join(setup.dir, "grants-audit")], azurite.connectionString);
    expect(run.code).toBe(0);
    const json = await asSite(["grant", "--study", setup.study, "--party", "garbler", "--store", "azure://devstoreaccount1/audit-nm", "--out", join(setup.dir, "grants-audit-2"), "--json"], azurite.connectionString);
    const audit = await readFile(auditLog(), "utf8");
    for (const text of [run.stdout, run.stderr, json.stdout, json.stderr, audit]) {
      expect(text).not.toMatch(/sig=|AccountKey|Eby8vdM02/);
    }
    const lines = audit.trim().split("\n").map((line) => JSON.parse(line));
    const actions = new Set(lines.map((line) => line.action));
    for (const action of ["share", "grant", "upload", "pull", "compute", "reveal"]) expect(actions).toContain(action);
    const upload = lines.find((line) => line.action === "upload" && line.outcome === "ok");
    expect(upload).toMatchObject({ study: { name: "Test study" }, who: { as: "partner siteA" } });
    expect(upload.files[0].digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.some((line) => line.action === "upload" && line.outcome === "failed" && line.error.code === "wrong-study")).toBe(true);
    // Digests and counts only: no CSV value ever reaches the log.
    expect(audit).not.toMatch(/ünïcode|60614|9223372036854775807/);

    const missing = await runCli(["grant", "--study", setup.study, "--party", "garbler", "--store", "azure://devstoreaccount1/audit-nm", "--out", join(setup.dir, "g3")], { env: { AZURE_STORAGE_CONNECTION_STRING: "" } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/set AZURE_STORAGE_CONNECTION_STRING/);
    const absent = await asSite(["grant", "--study", setup.study, "--party", "garbler", "--store", "azure://devstoreaccount1/never-made", "--out", join(setup.dir, "g4")], azurite.connectionString);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/does not exist; pass --create/);
    expect(await listFiles(join(setup.dir, "g4"))).toEqual([]);
  });
});
