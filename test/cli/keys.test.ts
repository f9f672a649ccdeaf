import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { removeFolder, runCli, temporaryFolder } from "../helpers/cli.js";

let dir: string;
beforeAll(async () => { dir = await temporaryFolder(); });
afterAll(async () => { await removeFolder(dir); });

describe("catalyst keys generate", () => {
  it("writes a 0600 secret key and a public key, and prints the fingerprint", async () => {
    const run = await runCli(["keys", "generate", "--name", "nm", "--dir", dir, "--json"]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ ok: true, name: "nm", fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/) });
    expect((await stat(join(dir, "nm.key"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "nm.pub"), "utf8")).toMatch(/^catalyst-x25519 [0-9a-f]{64} nm\n$/);
    const human = await runCli(["keys", "generate", "--name", "other", "--dir", dir]);
    expect(human.stdout).toContain("fingerprint SHA256:");
  });

  it("refuses to overwrite a key unless --force is given", async () => {
    const before = await readFile(join(dir, "nm.key"), "utf8");
    const refused = await runCli(["keys", "generate", "--name", "nm", "--dir", dir]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/nm.key already exists/);
    expect(await readFile(join(dir, "nm.key"), "utf8")).toBe(before);
    const forced = await runCli(["keys", "generate", "--name", "nm", "--dir", dir, "--force"]);
    expect(forced.code).toBe(0);
    expect(await readFile(join(dir, "nm.key"), "utf8")).not.toBe(before);
  });

  it("rejects a name that cannot be a file name, and missing flags as a usage error", async () => {
    expect((await runCli(["keys", "generate", "--name", "../evil", "--dir", dir])).code).toBe(3);
    const missing = await runCli(["keys", "generate"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--name");
  });
});
