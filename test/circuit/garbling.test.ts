import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { bitonicSort } from "../../src/circuit/bitVector/bitonicSort.js";
import { IdealCorrelatedOt } from "../../src/circuit/correlatedOt.js";
import { Evaluator } from "../../src/circuit/evaluator.js";
import { Garbler, GATES_PER_BATCH, STREAM_HEADER_BYTES } from "../../src/circuit/garbler.js";
import { TrailingTableBytesError, TruncatedTableStreamError, createMemoryPipe, type ByteSink, type ByteSource } from "../../src/circuit/tableStream.js";
import { TccrHash } from "../../src/circuit/tccrHash.js";
import { combineOutputShares, runGarbled, runPlaintext, splitIntoShares } from "../../src/circuit/twoParty.js";
import { checkOnAllBackends, garbleOver, seededRandom } from "./harness.js";

const randomBits = (count: number, seed: number) => {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: count }, () => (random() < 0.5 ? 1 : 0));
};
const andOf = (a: Uint8Array, b: Uint8Array) => a.map((bit, i) => bit & b[i]);

/** Garbler and evaluator over an in-memory pipe that `connect` may wrap, to tamper with or record the stream. */
function garbleWith(program: CircuitProgram, inputs: Uint8Array[], connect: (sink: ByteSink, source: ByteSource) => { sink: ByteSink; source: ByteSource }, evaluatorProgram = program) {
  const pipe = createMemoryPipe();
  const { sink, source } = connect(pipe.sink, pipe.source);
  return garbleOver(program, inputs, sink, source, evaluatorProgram);
}

describe("garbling engine", () => {
  it("garbles ANDs across batch boundaries", async () => {
    const count = 2 * GATES_PER_BATCH + 17;
    const a = randomBits(count, 1);
    const b = randomBits(count, 2);
    const program: CircuitProgram = async (backend, [x, y]) => [await backend.and(x, y), backend.xor(x, y), backend.not(x)];
    await checkOnAllBackends(program, [a, b], { outputs: [andOf(a, b), a.map((bit, i) => bit ^ b[i]), a.map((bit) => bit ^ 1)], andGates: count });
  });

  it("ANDs every plane with the same bits, in batches that start and end anywhere in a plane", async () => {
    // Periods below, at and above a batch, and one that leaves a batch straddling several planes.
    for (const [period, planes] of [[1, 3 * GATES_PER_BATCH + 1], [3001, 7], [GATES_PER_BATCH, 3], [GATES_PER_BATCH + 9, 2], [5, 1]]) {
      const values = randomBits(period * planes, period);
      const bits = randomBits(period, period + 1);
      const expected = values.map((bit, i) => bit & bits[i % period]);
      const program: CircuitProgram = async (backend, [x, y]) => [await backend.andBroadcast(x, y)];
      await checkOnAllBackends(program, [values, bits], { outputs: [expected], andGates: period * planes });
    }
    await expect(runPlaintext(async (backend, [x, y]) => [await backend.andBroadcast(x, y)], [randomBits(10, 1), randomBits(3, 2)])).rejects.toThrow(/not a whole number of planes of 3 wires/);
  });

  it("an AND with garbler-known bits is one half-gate (16 bytes) and correct", async () => {
    const count = GATES_PER_BATCH + 5;
    const a = randomBits(count, 3);
    const known = randomBits(count, 4);
    const pipe = createMemoryPipe();
    const ot = new IdealCorrelatedOt();
    const { garblerShare, evaluatorShare } = splitIntoShares(a);
    const garbler = new Garbler(pipe.sink);
    const garblerRun = (async () => {
      const x = await garbler.inputShared(garblerShare, ot);
      const y = await garbler.andWithGarblerKnown(x, known);
      await garbler.finish();
      return garbler.outputShare(y);
    })();
    const evaluator = await Evaluator.create(pipe.source);
    const x = await evaluator.inputShared(evaluatorShare, ot);
    const y = await evaluator.andWithGarblerKnown(x);
    await evaluator.finish();
    expect(Array.from(combineOutputShares(await garblerRun, evaluator.outputShare(y)))).toEqual(Array.from(andOf(a, known)));
    expect(garbler.streamBytes).toBe(STREAM_HEADER_BYTES + 16 * count);
    const plain = await runPlaintext(async (backend, [w]) => [await backend.andWithGarblerKnown(w, known)], [a]);
    expect(Array.from(plain[0])).toEqual(Array.from(andOf(a, known)));
  });

  it("public constants work in XOR, NOT and AND on both sides", async () => {
    const a = randomBits(64, 5);
    const pattern = randomBits(64, 6);
    const program: CircuitProgram = async (backend, [x]) => {
      const constant = backend.constant(pattern);
      return [backend.xor(x, constant), await backend.and(x, constant), await backend.and(backend.not(constant), backend.constant(new Uint8Array(64).fill(1)))];
    };
    await checkOnAllBackends(program, [a], { outputs: [a.map((bit, i) => bit ^ pattern[i]), andOf(a, pattern), pattern.map((bit) => bit ^ 1)], andGates: 128 });
  });

  it("slices, concatenates, gathers and scatters on every backend", async () => {
    const a = randomBits(40, 7);
    const indices = [39, 0, 5, 5, 17];
    const program: CircuitProgram = async (backend, [x]) => {
      const head = backend.slice(x, 0, 10);
      const tail = backend.slice(x, 30);
      const picked = backend.gather(x, indices);
      const replaced = backend.scatter(x, [1, 2], backend.constant([1, 0]));
      return [backend.concat([tail, head]), picked, replaced];
    };
    const replaced = a.slice();
    replaced[1] = 1;
    replaced[2] = 0;
    await checkOnAllBackends(program, [a], { outputs: [Uint8Array.from([...a.slice(30), ...a.slice(0, 10)]), Uint8Array.from(indices, (i) => a[i]), replaced], andGates: 0 });
  });

  it("keeps outputs shared: each party's share alone is random, only their XOR is the value", async () => {
    const a = new Uint8Array(256);
    const program: CircuitProgram = async (backend, [x]) => [await backend.and(x, x)];
    const first = await runGarbled(program, [a]);
    const second = await runGarbled(program, [a]);
    expect(Array.from(first.outputs[0])).toEqual(Array.from(a));
    // All-zero outputs, yet the shares are far from constant and differ between runs (fresh Δ, keys, COT).
    for (const shares of [first.garblerShares[0], first.evaluatorShares[0], second.garblerShares[0]]) {
      const ones = shares.reduce((sum, bit) => sum + bit, 0);
      expect(ones).toBeGreaterThan(64);
      expect(ones).toBeLessThan(192);
    }
    expect(Array.from(first.garblerShares[0])).not.toEqual(Array.from(second.garblerShares[0]));
  });

  it("two inputs of the same shape give garbled streams of identical length and chunking", async () => {
    const rows = 64;
    const width = 16;
    const program: CircuitProgram = async (backend, [keys]) => [(await bitonicSort(backend, bitPlanes(keys, width))).wires];
    const transcripts: number[][] = [];
    for (const seed of [1, 2]) {
      const random = seededRandom(seed);
      const keys = encodeIntegers(Array.from({ length: rows }, () => BigInt(Math.floor(random() * 65536))), width);
      const chunkLengths: number[] = [];
      await garbleWith(program, [keys], (sink, source) => ({
        sink: { write: (chunk) => { chunkLengths.push(chunk.length); return sink.write(chunk); }, end: () => sink.end?.() },
        source,
      }));
      transcripts.push(chunkLengths);
    }
    expect(transcripts[0]).toEqual(transcripts[1]);
    expect(transcripts[0].reduce((sum, length) => sum + length, 0)).toBe(STREAM_HEADER_BYTES + 32 * (rows / 4) * 6 * 7 * 2 * width);
  });

  it("reads tables correctly when the transport splits them at odd offsets", async () => {
    const a = randomBits(3000, 8);
    const b = randomBits(3000, 9);
    const program: CircuitProgram = async (backend, [x, y]) => [await backend.and(await backend.and(x, y), backend.not(x))];
    const outputs = await garbleWith(program, [a, b], (sink, source) => {
      let pending: Uint8Array[] = [];
      return {
        sink,
        // Re-chunk into 1001-byte pieces at unaligned offsets, as a socket might.
        source: {
          async read() {
            while (pending.length === 0) {
              const chunk = await source.read();
              if (chunk === null) return null;
              for (let offset = 0; offset < chunk.length; offset += 1001) {
                const piece = new Uint8Array(chunk.length + 3).subarray(3, 3 + Math.min(1001, chunk.length - offset));
                piece.set(chunk.subarray(offset, offset + piece.length));
                pending.push(piece);
              }
            }
            const [next, ...rest] = pending;
            pending = rest;
            return next;
          },
        },
      };
    });
    expect(Array.from(outputs[0])).toEqual(Array.from(a.map((bit, i) => bit & b[i] & (bit ^ 1))));
  });

  it("fails with a named error when the table stream is truncated", async () => {
    const a = randomBits(500, 10);
    const program: CircuitProgram = async (backend, [x]) => [await backend.and(x, backend.not(x))];
    const run = garbleWith(program, [a], (sink, source) => ({
      sink: { write: (chunk) => sink.write(chunk.subarray(0, chunk.length - 7)), end: () => sink.end?.() },
      source,
    }));
    await expect(run).rejects.toThrow(TruncatedTableStreamError);
  });

  it("fails with a named error when the garbler sent more than the evaluator's program used", async () => {
    const a = randomBits(100, 11);
    const garblerProgram: CircuitProgram = async (backend, [x]) => [await backend.and(x, x), await backend.and(x, x)];
    const evaluatorProgram: CircuitProgram = async (backend, [x]) => [await backend.and(x, x)];
    const run = garbleWith(garblerProgram, [a], (sink, source) => ({ sink, source }), evaluatorProgram);
    await expect(run).rejects.toThrow(TrailingTableBytesError);
  });

  it("writes the stream in bounded chunks while garbling", async () => {
    const count = 100_000;
    const chunkLengths: number[] = [];
    const a = randomBits(count, 12);
    const program: CircuitProgram = async (backend, [x]) => {
      let value = x;
      for (let round = 0; round < 3; round++) value = await backend.and(value, backend.not(x));
      return [value];
    };
    await garbleWith(program, [a], (sink, source) => ({
      sink: { write: (chunk) => { chunkLengths.push(chunk.length); return sink.write(chunk); }, end: () => sink.end?.() },
      source,
    }));
    expect(chunkLengths.length).toBeGreaterThan(5);
    expect(Math.max(...chunkLengths)).toBeLessThanOrEqual(1 << 20);
  });
});

describe("TCCR hash", () => {
  it("is deterministic per key, depends on the tweak, and batches like single calls", () => {
    const key = randomBytes(16);
    const labels = randomBytes(16 * 5);
    const hash = new TccrHash(key);
    const whole = hash.hash(labels, 100, 2);
    const again = new TccrHash(key).hash(labels, 100, 2);
    expect(Array.from(again)).toEqual(Array.from(whole));
    for (let i = 0; i < 5; i++) {
      const single = hash.hash(labels.subarray(16 * i, 16 * i + 16), 100 + 2 * i, 2);
      expect(Array.from(single)).toEqual(Array.from(whole.subarray(4 * i, 4 * i + 4)));
    }
    const otherTweak = hash.hash(labels, 101, 2);
    expect(Array.from(otherTweak.subarray(0, 4))).not.toEqual(Array.from(whole.subarray(0, 4)));
    const otherKey = new TccrHash(randomBytes(16)).hash(labels, 100, 2);
    expect(Array.from(otherKey)).not.toEqual(Array.from(whole));
    // Tweaks above 2^32 carry into the second word.
    expect(Array.from(hash.hash(labels.subarray(0, 16), 2 ** 32 + 1, 1))).not.toEqual(Array.from(hash.hash(labels.subarray(0, 16), 1, 1)));
  });
});
