import { beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { adderCircuit } from "./bristolBuilder.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bristol = resolve(root, "..", "shared", "bristol");

function catalyst(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, "bin", "catalyst"), ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("catalyst circuit run", () => {
  beforeAll(() => {
    if (!existsSync(bristol)) throw new Error(`the Bristol conformance circuits are missing: expected them in ${bristol}`);
    // The CLI and its worker run from the compiled build, which `npm test` makes before jest starts. Build only
    // when it is missing: rebuilding here would rewrite dist/ under other suites' running CLI processes.
    const needed = ["src/cli/main.js", "src/cli/circuit.js", "src/circuit/bristolWorker.js"].map((file) => join(root, "dist", file));
    if (needed.some((file) => !existsSync(file))) {
      try {
        execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root], { stdio: "pipe" });
      } catch {
        // tsc emits even when other folders have type errors; the check below is what matters.
      }
    }
    for (const file of needed) if (!existsSync(file)) throw new Error(`${file} was not built: run \`npm test\` (it compiles first)`);
  }, 120_000);

  it("prints AES-128 of the FIPS-197 vector in plaintext and garbled in two workers", () => {
    for (const backend of ["plaintext", "garbled"]) {
      const run = catalyst("circuit", "run", join(bristol, "aes_128.txt"), "--input", "000102030405060708090a0b0c0d0e0f", "--input", "00112233445566778899aabbccddeeff", "--backend", backend);
      expect(run.stderr).not.toMatch(/catalyst:/);
      expect(run.status).toBe(0);
      expect(run.stdout).toBe("69c4e0d86a7b0430d8cdb78070b4c55a\n");
    }
  });

  it("gives one JSON document with the SHA-256 of \"abc\" when garbled", () => {
    const block = Buffer.alloc(64);
    block.write("abc");
    block[3] = 0x80;
    block.writeUInt32BE(24, 60);
    const run = catalyst("--json", "circuit", "run", join(bristol, "sha256.txt"), "--input", block.toString("hex"), "--input", "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19", "--backend", "garbled");
    expect(run.status).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({ ok: true, backend: "garbled", outputs: ["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"], andGates: 22573, streamBytes: 16 + 32 * 22573 });
  });

  it("counts gates and table bytes", () => {
    const run = catalyst("circuit", "run", join(bristol, "aes_256.txt"), "--backend", "count");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("AND 8832\nXOR 39008\nINV 2826\n");
    expect(run.stdout).toContain(`garbled table bytes ${32 * 8832}`);
  });

  it("runs a circuit of the user's own with several outputs", () => {
    const file = join(mkdtempSync(join(tmpdir(), "catalyst-circuit-")), "adder16.txt");
    writeFileSync(file, adderCircuit(16));
    const run = catalyst("--json", "circuit", "run", file, "--input", "ffff", "--input", "0002", "--backend", "garbled");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).outputs).toEqual(["0001", "1"]);
  });

  it("fails with a one-line reason and the documented exit codes", () => {
    const aes = join(bristol, "aes_128.txt");
    const tooFew = catalyst("circuit", "run", aes, "--input", "00");
    expect(tooFew.status).toBe(2);
    expect(tooFew.stderr).toMatch(/takes 2 inputs/);
    const badBackend = catalyst("circuit", "run", aes, "--backend", "quantum");
    expect(badBackend.status).toBe(2);
    const badHex = catalyst("circuit", "run", aes, "--input", "zz", "--input", "00");
    expect(badHex.status).toBe(3);
    expect(badHex.stderr).toMatch(/input 1: "zz" is not a hex string/);
    const missing = catalyst("--json", "circuit", "run", "/nonexistent/circuit.txt", "--backend", "count");
    expect(missing.status).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { exitCode: 3 } });
  });
});
