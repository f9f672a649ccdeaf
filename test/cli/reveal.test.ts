import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Column } from "../../src/share/schema.js";
import { removeFolder, runCli, temporaryFolder } from "../helpers/cli.js";
import { loadStudyFile, makeResultShares, type PlainRow } from "../helpers/resultShares.js";
import { createTestStudy, type TestStudy } from "../helpers/study.js";

const columns: Column[] = [
  { name: "age_cat", type: { kind: "char", length: 1 } },
  { name: "zip", type: { kind: "char", length: 5 } },
  { name: "patient_cnt", type: { kind: "int64" }, suppressible: true },
  { name: "diabetes_cnt", type: { kind: "int64" }, suppressible: true },
  { name: "mean_cost", type: { kind: "int32" }, nullable: true },
  { name: "any_smoker", type: { kind: "bool" } },
];

const rows: PlainRow[] = [
  { cells: ["0", "60601", 120n, 14n, 500, true] },
  { cells: ["9", "99999", 999n, 999n, 1, true], valid: false },
  { cells: ["1", "60614", 35n, { suppressed: true }, { null: true }, false] },
  { cells: ["", "", 0n, 0n, 0, false], valid: false },
  { cells: ["2", "60660,x".slice(0, 5), -4n, 11n, -3, true] },
];

let setup: TestStudy;
let files: { garbler: string; evaluator: string };
beforeAll(async () => {
  setup = await createTestStudy(await temporaryFolder());
  files = await makeResultShares(await loadStudyFile(setup.study), "q_count", columns, rows, setup.dir, join(setup.dir, "keys"), "run-1");
});
afterAll(async () => { await removeFolder(setup.dir); });

const reveal = (extra: Partial<Record<"key" | "garbler" | "evaluator" | "out" | "study", string>> = {}, flags: string[] = []) => runCli([
  "reveal", "--study", extra.study ?? setup.study, "--key", extra.key ?? setup.keys.investigator,
  "--garbler", extra.garbler ?? files.garbler, "--evaluator", extra.evaluator ?? files.evaluator,
  "--out", extra.out ?? join(setup.dir, "result.csv"), ...flags,
]);

describe("catalyst reveal", () => {
  it("XORs both shares, drops dummy rows and writes suppressed and NULL cells empty", async () => {
    expect(files.garbler).toMatch(/q_count\.nm\.result$/);
    const run = await reveal({}, ["--json"]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ ok: true, query: "q_count", run: "run-1", rows: 3, suppressedCells: 1 });
    expect(await readFile(join(setup.dir, "result.csv"), "utf8")).toBe([
      "age_cat,zip,patient_cnt,diabetes_cnt,mean_cost,any_smoker",
      "0,60601,120,14,500,true",
      "1,60614,35,,,false",
      "2,60660,-4,11,-3,true",
      "",
    ].join("\n"));
  });

  it("writes the rows of a result without ORDER BY (shuffled inside MPC) sorted, column by column", async () => {
    const folder = join(setup.dir, "unordered");
    await mkdir(folder);
    const shuffled: PlainRow[] = [
      { cells: ["2", "60614", 35n, 12n, { null: true }, true] },
      { cells: ["", "", 0n, 0n, 0, false], valid: false },
      { cells: ["1", "60601", 120n, 14n, 500, false] },
      { cells: ["2", "60601", 40n, { suppressed: true }, -3, false] },
      { cells: ["2", "60601", 40n, 13n, 7, true] },
    ];
    const unordered = await makeResultShares(await loadStudyFile(setup.study), "q_count", columns, shuffled, folder, join(setup.dir, "keys"), "run-u", false);
    const out = join(folder, "result.csv");
    expect((await reveal({ ...unordered, out })).code).toBe(0);
    expect(await readFile(out, "utf8")).toBe([
      "age_cat,zip,patient_cnt,diabetes_cnt,mean_cost,any_smoker",
      "1,60601,120,14,500,false",
      "2,60601,40,,-3,false",
      "2,60601,40,13,7,true",
      "2,60614,35,12,,true",
      "",
    ].join("\n"));
    // The two shares must agree on the flag, which is sealed with the rest of the header.
    await mkdir(join(folder, "ordered"));
    const ordered = await makeResultShares(await loadStudyFile(setup.study), "q_count", columns, shuffled, join(folder, "ordered"), join(setup.dir, "keys"), "run-u");
    expect((await reveal({ garbler: unordered.garbler, evaluator: ordered.evaluator, out: join(folder, "mixed.csv") })).code).not.toBe(0);
  });

  it("refuses shares from different runs, in the wrong slots, or for another key", async () => {
    const secondRun = join(setup.dir, "run-2");
    await mkdir(secondRun);
    const otherRun = await makeResultShares(await loadStudyFile(setup.study), "q_count", columns, rows, secondRun, join(setup.dir, "keys"), "run-2");
    const out = join(setup.dir, "refused.csv");
    const mixed = await reveal({ evaluator: otherRun.evaluator, out });
    expect(mixed.code).toBe(4);
    expect(mixed.stderr).toMatch(/different runs \(run-1 and run-2\)/);
    const swapped = await reveal({ garbler: files.evaluator, evaluator: files.garbler, out });
    expect(swapped.stderr).toMatch(/is the evaluator's share, expected the garbler's/);
    const wrongKey = await reveal({ key: setup.keys.garbler, out });
    expect(wrongKey.code).toBe(4);
    expect(wrongKey.stderr).toMatch(/not the investigator's key/);
    await expect(stat(out)).rejects.toThrow();
  });

  it("names a missing result file", async () => {
    const run = await reveal({ evaluator: join(setup.dir, "nope.result"), out: join(setup.dir, "m.csv") });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${join(setup.dir, "nope.result")}: cannot read the evaluator's result share: no such file`);
  });

  it("refuses a result share forged without the compute party's key", async () => {
    // Anyone can seal to the investigator; only the evaluator's key makes a file reveal accepts as the evaluator's.
    const forgedDir = join(setup.dir, "forged");
    await mkdir(join(forgedDir, "keys"), { recursive: true });
    for (const [name, from] of [["nm", "nm"], ["ac", "stranger"]]) await writeFile(join(forgedDir, "keys", `${name}.key`), await readFile(join(setup.dir, "keys", `${from}.key`)));
    const forged = await makeResultShares(await loadStudyFile(setup.study), "q_count", columns, rows, forgedDir, join(forgedDir, "keys"), "run-1");
    const run = await reveal({ garbler: files.garbler, evaluator: forged.evaluator, out: join(setup.dir, "forged.csv") });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/tampered or truncated|sealed by another key/);
  });

  it("detects a tampered result share", async () => {
    const tampered = join(setup.dir, "tampered.result");
    const bytes = await readFile(files.evaluator);
    bytes[bytes.length - 20] ^= 1;
    await writeFile(tampered, bytes);
    const run = await reveal({ evaluator: tampered, out: join(setup.dir, "t.csv") });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`${tampered}: tampered or truncated`);
    await expect(stat(join(setup.dir, "t.csv"))).rejects.toThrow();
  });

  it("refuses result shares of another study", async () => {
    const other = await createTestStudy(setup.dir, { name: "Another" });
    const run = await reveal({ study: other.study, out: join(setup.dir, "o.csv") });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/belongs to another study/);
  });
});
