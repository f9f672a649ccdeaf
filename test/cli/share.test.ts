import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { listFiles, removeFolder, runCli, temporaryFolder } from "../helpers/cli.js";
import { createTestStudy, GOOD_VISITS_CSV, type TestStudy } from "../helpers/study.js";

let setup: TestStudy;
beforeAll(async () => { setup = await createTestStudy(await temporaryFolder()); });
afterAll(async () => { await removeFolder(setup.dir); });

async function share(csvText: string | Buffer, name: string, extra: string[] = []) {
  const csv = join(setup.dir, `${name}.csv`);
  await writeFile(csv, csvText);
  const out = join(setup.dir, `out-${name}`);
  const run = await runCli(["share", "--study", setup.study, "--partner", "siteA", "--table", "visits", "--csv", csv, "--out", out, ...extra]);
  return { run, csv, out, files: await listFiles(out) };
}

const HEADER = "patid,age_cat,cost,smoker,zip,note";

describe("catalyst share", () => {
  it("writes one sealed share per compute party and prints a receipt", async () => {
    const { run, out, files } = await share(GOOD_VISITS_CSV, "good", ["--json"]);
    expect(run.code).toBe(0);
    expect(files).toEqual(["siteA/visits.ac.share", "siteA/visits.nm.share"]);
    expect(run.json).toMatchObject({ ok: true, partner: "siteA", table: "visits", rows: 4 });
    expect(run.json.shares.map((share: { role: string; digest: string }) => share.role)).toEqual(["garbler", "evaluator"]);
    for (const entry of run.json.shares) expect(entry.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The CSV text appears in neither file.
    for (const file of files) expect((await readFile(join(out, file))).includes(Buffer.from("60614"))).toBe(false);
  });

  it.each([
    ["BOM, CRLF and quoted commas", "\uFEFF" + GOOD_VISITS_CSV.replace(/\n/g, "\r\n")],
    ["columns in another order, header with spaces and capitals", "ZIP, patid ,age_cat,cost,smoker,note\n60614,1,3,120,TRUE,\"x,y\"\n"],
    ["a trailing blank line", GOOD_VISITS_CSV + "\n"],
  ])("accepts real-world CSV: %s", async (_name, text) => {
    const { run, files } = await share(text, `quirk-${_name.length}`);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(files).toHaveLength(2);
  });

  it.each([
    ["wrong header", "patid,age,cost,smoker,zip,note\n1,3,1,true,60614,x\n", 1, 2, /header column 2 "age" is not a column of table visits/],
    ["missing column", "patid,age_cat,cost,smoker,zip\n1,3,1,true,60614\n", 1, 6, /header lacks column note/],
    ["extra column", HEADER + ",extra\n1,3,1,true,60614,x,y\n", 1, 7, /header column 7 "extra" is not a column/],
    ["duplicate header column", "patid,patid,cost,smoker,zip,note\n", 1, 2, /names column "patid" twice/],
    ["row with too many fields", HEADER + "\n1,3,1,true,60614,x\n2,3,1,true,60614,x,surplus\n", 3, 7, /expected 6 fields, found 7/],
    ["row with too few fields", HEADER + "\n1,3,1,true,60614\n", 2, 6, /expected 6 fields, found 5/],
    ["bad int", HEADER + "\n1,3,1,true,60614,x\nabc,3,1,true,60614,x\n", 3, 1, /column 1 \(patid\): expected an INT32 \(a whole number\), got "abc"/],
    ["out-of-range int", HEADER + "\n2147483648,3,1,true,60614,x\n", 2, 1, /expected an INT32 between -2147483648 and 2147483647, got 2147483648/],
    ["out-of-range int64", HEADER + "\n1,3,9223372036854775808,true,60614,x\n", 2, 3, /expected an INT64 between/],
    ["decimal in an int", HEADER + "\n1,3,1.5,true,60614,x\n", 2, 3, /expected an INT64 \(a whole number\), got "1.5"/],
    ["empty int", HEADER + "\n,3,1,true,60614,x\n", 2, 1, /got an empty value/],
    ["over-long CHAR", HEADER + "\n1,3,1,true,606141,x\n", 2, 5, /CHAR\(5\): at most 5 bytes, got 6/],
    ["over-long multibyte VARCHAR", HEADER + "\n1,3,1,true,60614,éééééé1\n", 2, 6, /VARCHAR\(12\): at most 12 bytes, got 13/],
    ["bad bool", HEADER + "\n1,3,1,yes,60614,x\n", 2, 4, /expected a BOOL \(true, false, 1 or 0\), got "yes"/],
    ["empty file", "", 1, 1, /the file is empty: expected a header line/],
  ])("rejects %s with file, line and column, and writes nothing", async (name, text, line, column, message) => {
    const { run, csv, out, files } = await share(text, `bad-${name.replace(/\W+/g, "-")}`, ["--json"]);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`${csv}:${line}:${column}: `);
    expect(run.stderr).toMatch(message);
    expect(run.json).toMatchObject({ ok: false, error: { file: csv, line, column, exitCode: 3 } });
    expect(files).toEqual([]);
    expect(await listFiles(out)).toEqual([]);
  });

  it("rejects an unclosed quote as malformed CSV", async () => {
    const { run, files } = await share(HEADER + "\n1,3,1,true,60614,\"open\n", "unclosed");
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/malformed CSV/);
    expect(files).toEqual([]);
  });

  it("keeps earlier good shares when a later run fails", async () => {
    const out = join(setup.dir, "out-keep");
    const csv = join(setup.dir, "keep.csv");
    await writeFile(csv, GOOD_VISITS_CSV);
    expect((await runCli(["share", "--study", setup.study, "--partner", "siteA", "--table", "visits", "--csv", csv, "--out", out])).code).toBe(0);
    const before = await readFile(join(out, "siteA", "visits.nm.share"));
    await writeFile(csv, GOOD_VISITS_CSV + "oops,3,1,true,60614,x\n");
    expect((await runCli(["share", "--study", setup.study, "--partner", "siteA", "--table", "visits", "--csv", csv, "--out", out])).code).toBe(3);
    expect(await readFile(join(out, "siteA", "visits.nm.share"))).toEqual(before);
    expect(await listFiles(out)).toEqual(["siteA/visits.ac.share", "siteA/visits.nm.share"]);
  });

  it("refuses a table the partner does not contribute, an unknown partner and a missing CSV", async () => {
    const csv = join(setup.dir, "labs.csv");
    await writeFile(csv, "patid,value\n1,2\n");
    const notContributed = await runCli(["share", "--study", setup.study, "--partner", "siteB", "--table", "labs", "--csv", csv, "--out", join(setup.dir, "x")]);
    expect(notContributed.code).toBe(3);
    expect(notContributed.stderr).toMatch(/siteB does not contribute table labs/);
    const unknown = await runCli(["share", "--study", setup.study, "--partner", "siteZ", "--table", "labs", "--csv", csv, "--out", join(setup.dir, "x")]);
    expect(unknown.stderr).toMatch(/partner siteZ is not part of study/);
    const missing = await runCli(["share", "--study", setup.study, "--partner", "siteA", "--table", "labs", "--csv", join(setup.dir, "none.csv"), "--out", join(setup.dir, "x")]);
    expect(missing.stderr).toMatch(/none.csv: cannot read the CSV: no such file/);
    expect(await listFiles(join(setup.dir, "x"))).toEqual([]);
  });

  it("refuses a study file that was edited after creation", async () => {
    const edited = join(setup.dir, "edited.json");
    await writeFile(edited, (await readFile(setup.study, "utf8")).replace('"minCellCount": 11', '"minCellCount": 2'));
    const run = await runCli(["share", "--study", edited, "--partner", "siteA", "--table", "visits", "--csv", join(setup.dir, "good.csv"), "--out", join(setup.dir, "y")]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/edited.json: the study file was changed after it was created/);
  });
});
