import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AtomicFile, commitAll } from "../../src/share/atomicFile.js";
import { listFiles, removeFolder, temporaryFolder } from "../helpers/cli.js";

let dir: string;
beforeAll(async () => { dir = await temporaryFolder(); });
afterAll(async () => { await removeFolder(dir); });

describe("atomic files", () => {
  it("commit several files together, and on failure restore what they replaced", async () => {
    await writeFile(join(dir, "a.result"), "old a");
    const first = await AtomicFile.create(join(dir, "a.result"));
    await first.write(new TextEncoder().encode("new a"));
    // The second target is a folder, so renaming onto it fails after the first file was committed.
    await mkdir(join(dir, "b.result", "inside"), { recursive: true });
    const second = await AtomicFile.create(join(dir, "b.result"));
    await second.write(new TextEncoder().encode("new b"));
    await expect(commitAll([first, second])).rejects.toThrow();
    expect(await readFile(join(dir, "a.result"), "utf8")).toBe("old a");
    expect((await listFiles(dir)).filter((name) => name.includes(".partial"))).toEqual([]);
  });

  it("replace earlier files on success and leave no backups", async () => {
    const file = await AtomicFile.create(join(dir, "a.result"));
    await file.write(new TextEncoder().encode("newer a"));
    await commitAll([file]);
    expect(await readFile(join(dir, "a.result"), "utf8")).toBe("newer a");
    expect((await listFiles(dir)).filter((name) => name.endsWith(".previous"))).toEqual([]);
  });
});
