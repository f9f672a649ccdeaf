/**
 * Issue 6's S3 path against Ceph's radosgw, a real S3 that checks signatures: grant → share → upload → pull,
 * what a presigned URL cannot do (read, list, overwrite, skip the signed If-None-Match), and expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { listFiles, removeFolder, runCli, temporaryFolder } from "../helpers/cli.js";
import { grantFile, http } from "../helpers/grants.js";
import { startRadosgw, type TestRadosgw } from "../helpers/radosgw.js";
import { createTestStudy, GOOD_VISITS_CSV, type TestStudy } from "../helpers/study.js";

let radosgw: TestRadosgw;
let setup: TestStudy;

/** The CLI with the S3 environment a site would have (AWS_* variables, never flags). */
const asSite = (args: string[], withCredentials = true) => runCli(args, {
  env: withCredentials ? radosgw.environment : { AWS_ENDPOINT_URL: radosgw.environment.AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" },
});

async function grant(party: "garbler" | "evaluator", bucket: string, expires = "1h"): Promise<string> {
  const out = join(setup.dir, `grants-${bucket}`);
  const run = await asSite(["grant", "--study", setup.study, "--party", party, "--store", `s3://${bucket}/study-1`, "--create", "--expires", expires, "--out", out]);
  expect(run.stderr).toBe(`created s3://${bucket}/study-1\n`);
  expect(run.code).toBe(0);
  return out;
}

const upload = (garblerGrant: string, evaluatorGrant: string) =>
  asSite(["upload", "--study", setup.study, "--partner", "siteA", "--from", join(setup.dir, "shares"), "--to-garbler", garblerGrant, "--to-evaluator", evaluatorGrant, "--json"]);

const pull = (key: string, bucket: string, out: string) =>
  asSite(["inbox", "pull", "--study", setup.study, "--key", key, "--store", `s3://${bucket}/study-1`, "--out", out, "--json"]);

beforeAll(async () => {
  radosgw = await startRadosgw();
  setup = await createTestStudy(await temporaryFolder());
  await writeFile(join(setup.dir, "visits.csv"), GOOD_VISITS_CSV);
  await writeFile(join(setup.dir, "labs.csv"), "patid,value\n1,7\n2,-3\n");
  for (const table of ["visits", "labs"]) {
    const run = await runCli(["share", "--study", setup.study, "--partner", "siteA", "--table", table, "--csv", join(setup.dir, `${table}.csv`), "--out", join(setup.dir, "shares")]);
    expect(run.code).toBe(0);
  }
}, 300_000);
afterAll(async () => {
  await radosgw?.stop();
  await removeFolder(setup.dir);
});

describe("buckets through radosgw (S3)", () => {
  it("grants, uploads with the store's MD5 checked, and pulls what each party may read", async () => {
    const garblerGrants = await grant("garbler", "inbox-nm");
    const evaluatorGrants = await grant("evaluator", "inbox-ac");
    const run = await upload(join(garblerGrants, "siteA.nm.grant.json"), join(evaluatorGrants, "siteA.ac.grant.json"));
    expect(run.stderr).toBe("");
    expect(run.json.files.map((file: { status: string }) => file.status)).toEqual(["uploaded", "uploaded", "uploaded", "uploaded"]);
    expect(run.json.files.every((file: { storeDigest?: string }) => /^md5:/.test(file.storeDigest ?? ""))).toBe(true);
    for (const [key, bucket, party] of [[setup.keys.garbler, "inbox-nm", "nm"], [setup.keys.evaluator, "inbox-ac", "ac"]]) {
      const out = join(setup.dir, `pulled-${party}`);
      const pulled = await pull(key, bucket, out);
      expect(pulled.code).toBe(5);
      expect(pulled.json).toMatchObject({ complete: false, invalid: [], missing: [{ partner: "siteB", table: "visits" }] });
      expect(await listFiles(out)).toEqual([".catalyst-pulled.json", `siteA/labs.${party}.share`, `siteA/visits.${party}.share`]);
      // S3 ETags are not trusted as MD5s (SSE-KMS), so a second pull knows its copies by the record instead.
      const again = await asSite(["inbox", "pull", "--study", setup.study, "--key", key, "--store", `s3://${bucket}/study-1`, "--out", out, "--json"]);
      expect(again.json.pulled.map((file: { status: string }) => file.status)).toEqual(["already-here", "already-here"]);
      // Byte for byte what the partner shared.
      expect(await readFile(join(out, "siteA", `labs.${party}.share`))).toEqual(await readFile(join(setup.dir, "shares", "siteA", `labs.${party}.share`)));
    }
  });

  it("gives URLs that cannot read, list, overwrite or drop the signed If-None-Match", async () => {
    const folder = await grant("garbler", "rights-nm");
    const { json } = await grantFile(folder, "siteA", "nm");
    const [first, second] = json.uploads;
    expect(first.headers).toEqual({ "If-None-Match": "*" });
    expect((await http("PUT", first.url, Buffer.from("without the header"))).status).toBe(403);
    expect((await http("PUT", first.url, Buffer.from("first"), first.headers)).status).toBe(200);
    expect((await http("PUT", first.url, Buffer.from("second"), first.headers)).status).toBe(412);
    expect((await http("GET", first.url)).status).toBe(403);
    const url = new URL(first.url);
    expect((await http("GET", `${url.origin}/rights-nm?list-type=2&${url.search.slice(1)}`)).status).toBe(403);
    expect((await http("PUT", `${url.origin}${url.pathname.replace(first.name.split("/")[1], "other.share")}${url.search}`, Buffer.from("x"), first.headers)).status).toBe(403);
    expect((await http("DELETE", first.url)).status).toBe(403);
    // The CLI sees the taken name as someone else's and refuses; the second file is never sent.
    const evaluatorGrants = await grant("evaluator", "rights-ac");
    const run = await upload(join(folder, "siteA.nm.grant.json"), join(evaluatorGrants, "siteA.ac.grant.json"));
    expect(run.code).toBe(4);
    expect(run.json.error.code).toBe("exists");
    expect(second.name).toBe("siteA/labs.nm.share");
  });

  it("refuses an expired grant, an edited expiry, a too-long one, and missing credentials", async () => {
    const folder = await grant("garbler", "expiry-nm", "1s");
    const evaluatorGrants = await grant("evaluator", "expiry-ac");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { path, json } = await grantFile(folder, "siteA", "nm");
    const refused = await upload(path, join(evaluatorGrants, "siteA.ac.grant.json"));
    expect(refused.code).toBe(4);
    expect(refused.json.error.code).toBe("grant-expired");
    const edited = join(setup.dir, "edited.grant.json");
    await writeFile(edited, JSON.stringify({ ...json, expires: new Date(Date.now() + 3600_000).toISOString() }));
    const forged = await upload(edited, join(evaluatorGrants, "siteA.ac.grant.json"));
    expect(forged.code).toBe(4);
    expect(forged.stderr).toMatch(/HTTP 403/);
    expect(forged.stderr).not.toMatch(/X-Amz-Signature=[0-9a-f]/);

    const tooLong = await asSite(["grant", "--study", setup.study, "--party", "garbler", "--store", "s3://expiry-nm", "--expires", "8d", "--out", join(setup.dir, "g8")]);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/at most 7 days/);
    const anonymous = await asSite(["inbox", "pull", "--study", setup.study, "--key", setup.keys.garbler, "--store", "s3://expiry-nm", "--out", join(setup.dir, "anon")], false);
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/s3:\/\/expiry-nm: no AWS credentials/);
  });
});
