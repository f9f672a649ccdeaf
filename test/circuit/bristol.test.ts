import { beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bristolBitsToHex, bristolProgram, hexToBristolBits, parseBristol, type BristolCircuit } from "../../src/circuit/bristol.js";
import { runCounting, runGarbled, runPlaintext } from "../../src/circuit/twoParty.js";
import { InputError } from "../../src/share/errors.js";
import { adderCircuit, comparatorCircuit, multiplierCircuit } from "./bristolBuilder.js";
import { edgeValues } from "./harness.js";

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const conformanceFolder = resolve(repositoryRoot, "..", "shared", "bristol");

/** Published counts from ../shared/bristol/README.md. */
const PUBLISHED = [
  { file: "aes_128.txt", gates: 36663, wires: 36919, inputs: [128, 128], outputs: [128], and: 6400, xor: 28176, inv: 2087 },
  { file: "aes_192.txt", gates: 41565, wires: 41885, inputs: [192, 128], outputs: [128], and: 7168, xor: 32080, inv: 2317 },
  { file: "aes_256.txt", gates: 50666, wires: 51050, inputs: [256, 128], outputs: [128], and: 8832, xor: 39008, inv: 2826 },
  { file: "sha256.txt", gates: 135073, wires: 135841, inputs: [512, 256], outputs: [256], and: 22573, xor: 110644, inv: 1856 },
];

const sequence = (bytes: number) => Array.from({ length: bytes }, (_, i) => i.toString(16).padStart(2, "0")).join("");
const FIPS_PLAINTEXT = "00112233445566778899aabbccddeeff";
const SHA256_IV = "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19";
const paddedBlock = (message: string) => {
  const block = Buffer.alloc(64);
  Buffer.from(message).copy(block);
  block[message.length] = 0x80;
  block.writeUInt32BE(message.length * 8, 60);
  return block.toString("hex");
};

const VECTORS = [
  { file: "aes_128.txt", inputs: [sequence(16), FIPS_PLAINTEXT], output: "69c4e0d86a7b0430d8cdb78070b4c55a" },
  { file: "aes_128.txt", inputs: ["2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734"], output: "3925841d02dc09fbdc118597196a0b32" },
  { file: "aes_192.txt", inputs: [sequence(24), FIPS_PLAINTEXT], output: "dda97ca4864cdfe06eaf70a0ec0d7191" },
  { file: "aes_256.txt", inputs: [sequence(32), FIPS_PLAINTEXT], output: "8ea2b7ca516745bfeafc49904b496089" },
  { file: "sha256.txt", inputs: [paddedBlock(""), SHA256_IV], output: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  { file: "sha256.txt", inputs: [paddedBlock("abc"), SHA256_IV], output: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
];

const circuits = new Map<string, BristolCircuit>();

describe("Bristol Fashion conformance circuits", () => {
  beforeAll(() => {
    // Never skip: a missing conformance suite is a broken checkout, not a pass.
    if (!existsSync(conformanceFolder)) throw new Error(`the Bristol conformance circuits are missing: expected them in ${conformanceFolder}`);
    for (const { file } of PUBLISHED) circuits.set(file, parseBristol(readFileSync(join(conformanceFolder, file), "utf8"), file));
  });

  it.each(PUBLISHED)("$file parses with the published header and gate counts", async (published) => {
    const circuit = circuits.get(published.file)!;
    expect([circuit.gateCount, circuit.wireCount, circuit.inputBits, circuit.outputBits, circuit.andCount])
      .toEqual([published.gates, published.wires, published.inputs, published.outputs, published.and]);
    const counts = await runCounting(bristolProgram(circuit), circuit.inputBits);
    expect([counts.and, counts.xor, counts.not, counts.tableBytes]).toEqual([published.and, published.xor, published.inv, 32 * published.and]);
  });

  it.each(VECTORS)("$file gives $output in plaintext and through garbling", async (vector) => {
    const circuit = circuits.get(vector.file)!;
    const inputs = vector.inputs.map((hex, i) => hexToBristolBits(hex, circuit.inputBits[i]));
    const plain = await runPlaintext(bristolProgram(circuit), inputs);
    expect(bristolBitsToHex(plain[0])).toBe(vector.output);
    const garbled = await runGarbled(bristolProgram(circuit), inputs);
    expect(bristolBitsToHex(garbled.outputs[0])).toBe(vector.output);
    expect(garbled.andGates).toBe(circuit.andCount);
  });

  it("batches AND gates by layer: AES-128 needs far fewer AND calls than gates", () => {
    const circuit = circuits.get("aes_128.txt")!;
    const andSteps = circuit.steps.filter((step) => step.operation === "AND").length;
    expect(andSteps).toBe(circuit.andDepth);
    expect(andSteps).toBeLessThan(100);
  });
});

describe("own Bristol circuits", () => {
  const width = 12;
  const cases = edgeValues(width, 6).flatMap((x) => edgeValues(width, 2, 99).map((y) => [x, y]));
  const hex = (value: bigint) => value.toString(16).padStart(Math.ceil(width / 4), "0");

  async function check(text: string, expected: (x: bigint, y: bigint) => string[]): Promise<void> {
    const circuit = parseBristol(text);
    for (const [index, [x, y]] of cases.entries()) {
      const inputs = [hexToBristolBits(hex(x), width), hexToBristolBits(hex(y), width)];
      const plain = await runPlaintext(bristolProgram(circuit), inputs);
      expect(plain.map(bristolBitsToHex)).toEqual(expected(x, y));
      if (index % 4 === 0) {
        const garbled = await runGarbled(bristolProgram(circuit), inputs);
        expect(garbled.outputs.map(bristolBitsToHex)).toEqual(expected(x, y));
      }
    }
  }

  it("an adder (XOR, AND, EQ, EQW) adds", async () => {
    const mask = (1n << BigInt(width)) - 1n;
    await check(adderCircuit(width), (x, y) => [hex((x + y) & mask), ((x + y) >> BigInt(width)).toString(16)]);
  });

  it("a comparator (with INV) compares", async () => {
    await check(comparatorCircuit(width), (x, y) => [x < y ? "1" : "0", x === y ? "1" : "0"]);
  });

  it("a multiplier (with MAND) multiplies", async () => {
    await check(multiplierCircuit(width), (x, y) => [hex(BigInt.asUintN(width, x * y))]);
    const circuit = parseBristol(multiplierCircuit(width));
    // Partial products w(w+1)/2 plus adders that also compute their unused top carry: w².
    expect(circuit.andCount).toBe(width * width);
  });
});

describe("Bristol parsing and hex conversion", () => {
  it("rejects malformed files with the line of the problem", () => {
    const good = "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n";
    expect(parseBristol(good).andCount).toBe(1);
    const cases: Array<[string, RegExp]> = [
      ["1 3\n2 1 1\n1 1\n\n2 1 0 1 2 NAND\n", /unknown gate "NAND"/],
      ["1 3\n2 1 1\n1 1\n\n2 1 0 2 2 AND\n", /wire 2 is read before any gate sets it/],
      ["1 3\n2 1 1\n1 1\n\n2 1 0 1 5 AND\n", /outside the 3 wires/],
      ["2 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n", /unexpected end/],
      ["1 3\n2 1 1\n1 1\n\n1 1 0 2 AND\n", /AND takes 2 inputs/],
      ["1 3\n3 1 1\n1 1\n\n2 1 0 1 2 AND\n", /number of inputs/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseBristol(text, "bad.txt")).toThrow(InputError);
      expect(() => parseBristol(text, "bad.txt")).toThrow(message);
    }
  });

  it("maps hex to wires with wire 0 the least significant bit", () => {
    expect(Array.from(hexToBristolBits("01", 8))).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(hexToBristolBits("0100", 16))[8]).toBe(1);
    expect(bristolBitsToHex(hexToBristolBits("00ff10", 24))).toBe("00ff10");
    expect(() => hexToBristolBits("0g", 8)).toThrow(InputError);
    expect(() => hexToBristolBits("012", 8)).toThrow(/needs 2 hex digits/);
  });
});
