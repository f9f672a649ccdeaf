/**
 * The SIMD half-gates kernels against the scheme written out with the reference TCCR hash (tccrHash.ts):
 * the same tables and output labels, tweaks 2g and 2g+1 across a 2³² carry, and evaluation that yields the
 * label of a AND b for every input combination.
 */
import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { HalfGateKernels } from "../../src/circuit/halfGateKernels.js";
import { TccrHash } from "../../src/circuit/tccrHash.js";

const xorBytes = (a: Uint8Array, b: Uint8Array) => a.map((byte, index) => byte ^ b[index]);
const label = (labels: Uint8Array, gate: number) => labels.subarray(16 * gate, 16 * gate + 16);
const wordsToBytes = (words: Uint32Array) => new Uint8Array(words.buffer, words.byteOffset, words.byteLength);

/** Half-gates garbling gate by gate, with the reference hash: C0 and TG ‖ TE. */
function referenceGarble(hash: TccrHash, delta: Uint8Array, a0: Uint8Array, b0: Uint8Array, firstGate: number): { output: Uint8Array; tables: Uint8Array } {
  const gates = a0.length / 16;
  const withDelta = (labels: Uint8Array) => labels.map((byte, index) => byte ^ delta[index % 16]);
  const [ha0, ha1] = [a0, withDelta(a0)].map((labels) => wordsToBytes(hash.hash(labels, 2 * firstGate, 2)));
  const [hb0, hb1] = [b0, withDelta(b0)].map((labels) => wordsToBytes(hash.hash(labels, 2 * firstGate + 1, 2)));
  const output = new Uint8Array(16 * gates);
  const tables = new Uint8Array(32 * gates);
  for (let gate = 0; gate < gates; gate++) {
    const pa = label(a0, gate)[0] & 1, pb = label(b0, gate)[0] & 1;
    const tg = xorBytes(xorBytes(label(ha0, gate), label(ha1, gate)), pb ? delta : new Uint8Array(16));
    const te = xorBytes(xorBytes(label(hb0, gate), label(hb1, gate)), label(a0, gate));
    const wg = xorBytes(label(ha0, gate), pa ? tg : new Uint8Array(16));
    const we = xorBytes(label(hb0, gate), pb ? xorBytes(te, label(a0, gate)) : new Uint8Array(16));
    output.set(xorBytes(wg, we), 16 * gate);
    tables.set(tg, 32 * gate);
    tables.set(te, 32 * gate + 16);
  }
  return { output, tables };
}

describe("half-gates SIMD kernels", () => {
  it.each([
    [1, 0],
    [37, 5],
    [8192, 1],
    // Tweaks 2g cross 2³² inside the batch.
    [300, 2 ** 31 - 100],
  ])("garble %i gates from gate %i exactly as the reference, and evaluate every input combination", (gates, firstGate) => {
    const key = randomBytes(16);
    const delta = randomBytes(16);
    delta[0] |= 1;
    const hash = new TccrHash(key);
    const a0 = randomBytes(16 * gates), b0 = randomBytes(16 * gates);
    const expected = referenceGarble(new TccrHash(key), delta, a0, b0, firstGate);

    const garbler = new HalfGateKernels(8192, (blocks) => hash.permute(blocks));
    garbler.setDelta(delta);
    const output = new Uint8Array(16 * gates), tables = new Uint8Array(32 * gates);
    garbler.garble(a0, b0, output, tables, firstGate);
    expect(Buffer.from(output).equals(Buffer.from(expected.output))).toBe(true);
    expect(Buffer.from(tables).equals(Buffer.from(expected.tables))).toBe(true);

    const evaluatorHash = new TccrHash(key);
    const evaluator = new HalfGateKernels(8192, (blocks) => evaluatorHash.permute(blocks));
    const bits = randomBytes(gates);
    const a = new Uint8Array(16 * gates), b = new Uint8Array(16 * gates), wanted = new Uint8Array(16 * gates);
    for (let gate = 0; gate < gates; gate++) {
      const [x, y] = [bits[gate] & 1, (bits[gate] >> 1) & 1];
      a.set(x ? xorBytes(label(a0, gate), delta) : label(a0, gate), 16 * gate);
      b.set(y ? xorBytes(label(b0, gate), delta) : label(b0, gate), 16 * gate);
      wanted.set(x & y ? xorBytes(label(output, gate), delta) : label(output, gate), 16 * gate);
    }
    const evaluated = new Uint8Array(16 * gates);
    evaluator.evaluate(a, b, evaluated, tables, firstGate);
    expect(Buffer.from(evaluated).equals(Buffer.from(wanted))).toBe(true);
  });

  it("refuses a batch larger than its memory or of unequal halves", () => {
    const kernels = new HalfGateKernels(4, (blocks) => blocks);
    expect(() => kernels.garble(new Uint8Array(80), new Uint8Array(80), new Uint8Array(80), new Uint8Array(160), 0)).toThrow(RangeError);
    expect(() => kernels.evaluate(new Uint8Array(32), new Uint8Array(16), new Uint8Array(32), new Uint8Array(64), 0)).toThrow(RangeError);
  });
});
