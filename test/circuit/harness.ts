/** Runs one circuit program on every backend and checks it against expected clear outputs. */
import { expect } from "@jest/globals";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import { IdealCorrelatedOt } from "../../src/circuit/correlatedOt.js";
import { Evaluator } from "../../src/circuit/evaluator.js";
import { Garbler, STREAM_HEADER_BYTES } from "../../src/circuit/garbler.js";
import type { ByteSink, ByteSource } from "../../src/circuit/tableStream.js";
import { combineOutputShares, runCounting, runGarbled, runPlaintext, splitIntoShares } from "../../src/circuit/twoParty.js";

export interface Expectation {
  outputs: Uint8Array[];
  /** Exact AND gates the program must cost, when the circuit's cost is specified. */
  andGates?: number;
}

/** Plaintext and garble → evaluate must both give `expected`; counting must give the AND count. */
export async function checkOnAllBackends(program: CircuitProgram, inputs: Uint8Array[], expected: Expectation): Promise<void> {
  const plain = await runPlaintext(program, inputs);
  expect(plain.map((bits) => Array.from(bits))).toEqual(expected.outputs.map((bits) => Array.from(bits)));

  const counts = await runCounting(program, inputs.map((input) => input.length));
  if (expected.andGates !== undefined) expect(counts.and + counts.andWithGarblerKnown).toBe(expected.andGates);

  const garbled = await runGarbled(program, inputs);
  expect(garbled.outputs.map((bits) => Array.from(bits))).toEqual(expected.outputs.map((bits) => Array.from(bits)));
  expect(garbled.andGates).toBe(counts.and + counts.andWithGarblerKnown);
  expect(garbled.streamBytes).toBe(STREAM_HEADER_BYTES + counts.tableBytes);
}

/** A small deterministic generator so failures reproduce (test data only, never for keys or shares). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function randomBigInt(random: () => number, width: number): bigint {
  let value = 0n;
  for (let i = 0; i < width; i += 16) value = (value << 16n) | BigInt(Math.floor(random() * 65536));
  return BigInt.asUintN(width, value);
}

/** Edge values of a width (0, 1, the signed limits, all ones, all ones minus one) then random ones. */
export function edgeValues(width: number, randomCount: number, seed = width): bigint[] {
  const top = 1n << BigInt(width);
  const half = top >> 1n;
  const values = new Set<bigint>([0n, 1n % top, half - 1n, half, top - 1n, (top - 2n + top) % top]);
  const random = seededRandom(seed);
  const result = [...values];
  for (let i = 0; i < randomCount; i++) result.push(randomBigInt(random, width));
  return result;
}

/** Every pair of values (x from `xs`, y from `ys`), as two lane lists. */
export function allPairs(xs: bigint[], ys: bigint[]): [bigint[], bigint[]] {
  const left: bigint[] = [];
  const right: bigint[] = [];
  for (const x of xs) for (const y of ys) { left.push(x); right.push(y); }
  return [left, right];
}

/** Garbler and evaluator in this process over any sink and source; returns the recombined outputs. */
export async function garbleOver(program: CircuitProgram, inputs: Uint8Array[], sink: ByteSink, source: ByteSource, evaluatorProgram = program): Promise<Uint8Array[]> {
  const ot = new IdealCorrelatedOt();
  const shares = inputs.map(splitIntoShares);
  const garblerRun = (async () => {
    const garbler = new Garbler(sink);
    const wires = [];
    for (const share of shares) wires.push(await garbler.inputShared(share.garblerShare, ot));
    const outputs = await program(garbler, wires);
    await garbler.finish();
    return outputs.map((output) => garbler.outputShare(output));
  })();
  const evaluatorRun = (async () => {
    const evaluator = await Evaluator.create(source);
    const wires = [];
    for (const share of shares) wires.push(await evaluator.inputShared(share.evaluatorShare, ot));
    const outputs = await evaluatorProgram(evaluator, wires);
    await evaluator.finish();
    return outputs.map((output) => evaluator.outputShare(output));
  })();
  const [garblerShares, evaluatorShares] = await Promise.all([garblerRun, evaluatorRun]);
  return garblerShares.map((share, i) => combineOutputShares(share, evaluatorShares[i]));
}
