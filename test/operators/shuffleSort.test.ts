import { describe, expect, it } from "@jest/globals";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { CountingBackend } from "../../src/circuit/countingBackend.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import type { WireVector } from "../../src/circuit/wireVector.js";
import { runGarbledOverChannel, runPlaintext } from "../../src/circuit/twoParty.js";
import { orderKeyPlanes } from "../../src/operators/orderKey.js";
import { mergeBlockSize, revealedMergeSort, revealedMergeSortCost } from "../../src/operators/revealedMergeSort.js";
import type { Relation } from "../../src/operators/relation.js";
import { shuffleRelation, shuffleSortRelation } from "../../src/operators/shuffleSort.js";
import { seededRandom } from "../circuit/harness.js";

describe("merge sort by revealed comparisons", () => {
  const shuffledKeys = (lanes: number, seed: number) => {
    const random = seededRandom(seed);
    const keys = Array.from({ length: lanes }, (_, index) => index * 3 + 1);
    for (let index = lanes - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [keys[index], keys[other]] = [keys[other], keys[index]];
    }
    return keys;
  };
  /** Sorts, recording the size of every round. */
  const sortRecording = async (keys: number[], blockSize?: number) => {
    const rounds: number[] = [];
    const order = await revealedMergeSort(keys.length, async (first, second) => {
      rounds.push(first.length);
      return { outcomes: Promise.resolve(Uint8Array.from(first, (lane, index) => (keys[lane] < keys[second[index]] ? 1 : 0))) };
    }, blockSize);
    return { order, rounds };
  };

  const sizes = [...Array.from({ length: 70 }, (_, index) => index), 127, 128, 129, 1000, 4099];
  it.each(sizes)("sorts %i distinct keys on a schedule that depends only on their number", async (lanes) => {
    for (const blockSize of [4, 64]) {
      const runs = await Promise.all([1, 2, 3].map((seed) => sortRecording(shuffledKeys(lanes, seed * 7919 + lanes), blockSize)));
      for (const [trial, run] of runs.entries()) {
        const keys = shuffledKeys(lanes, (trial + 1) * 7919 + lanes);
        expect(Array.from(run.order, (lane) => keys[lane])).toEqual([...keys].sort((a, b) => a - b));
      }
      // Rounds and their sizes are the same for every order of the keys, and as the schedule says.
      expect(runs[1].rounds).toEqual(runs[0].rounds);
      expect(runs[2].rounds).toEqual(runs[0].rounds);
      const cost = revealedMergeSortCost(lanes, blockSize);
      expect(runs[0].rounds.length).toBe(cost.rounds);
      expect(runs[0].rounds.reduce((sum, size) => sum + size, 0)).toBe(cost.comparisons);
    }
  });

  it("needs about n·lg n comparisons", () => {
    const lanes = 1_000_000;
    const { comparisons, rounds } = revealedMergeSortCost(lanes);
    expect(comparisons).toBeLessThan(1.25 * lanes * Math.log2(lanes));
    expect(comparisons).toBeGreaterThan(0.9 * lanes * Math.log2(lanes));
    // Two groups per round, so two round trips per round.
    expect(rounds).toBeLessThan(2 * Math.log2(lanes) * (mergeBlockSize(lanes) + Math.log2(lanes)));
  });

  it("takes larger blocks for larger sorts: fewer searches' comparisons, while a round still holds thousands", () => {
    expect(mergeBlockSize(1000)).toBe(64);
    expect(mergeBlockSize(1_306_658)).toBe(256);
    const lanes = 1_306_658;
    const chosen = revealedMergeSortCost(lanes);
    const small = revealedMergeSortCost(lanes, 64);
    expect(chosen.comparisons).toBeLessThan(0.93 * small.comparisons);
    expect(chosen.comparisons / chosen.rounds).toBeGreaterThan(3000);
  });
});

describe("shuffle sort of a relation", () => {
  /** Lanes with a valid bit, an 8-bit key (with repeats) and a 12-bit payload that names the lane. */
  const payloadKinds: number[] = [];
  const relationProgram = (lanes: number, options?: { restAsShareWires?: boolean; keyRowsChunkWires?: number }): CircuitProgram => async (backend, [valid, key, payload]) => {
    const relation = { lanes, valid, columns: [{ value: bitPlanes(key, 8) }, { value: bitPlanes(payload, 12) }] };
    const sorted = await shuffleSortRelation(backend, relation, { columns: [0], planesOf: (rows) => orderKeyPlanes(backend, [{ column: rows.columns[0], type: { kind: "int", bits: 8 } }], rows.lanes, rows.valid) }, options);
    if (backend.kind === "garbler") payloadKinds.push(sorted.columns[1].value.wires.bytesPerWire);
    return [sorted.valid, sorted.columns[0].value.wires, sorted.columns[1].value.wires];
  };
  const inputsOf = (lanes: number, seed: number) => {
    const random = seededRandom(seed);
    const valid = Array.from({ length: lanes }, () => Number(random() < 0.8));
    const keys = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 6)));
    return { valid, keys, inputs: [Uint8Array.from(valid), encodeIntegers(keys, 8), encodeIntegers(keys.map((_, lane) => BigInt(lane)), 12)] };
  };
  /** A stable sort: valid lanes by key (signed), then invalid lanes, each in lane order. */
  const expectedOrder = (valid: number[], keys: bigint[]) => keys.map((_, lane) => lane).sort((a, b) => (valid[b] - valid[a]) || Number(BigInt.asIntN(8, keys[a]) - BigInt.asIntN(8, keys[b])) || a - b);

  it("sorts by the key, ties in lane order, moving each row whole, garbled and in the clear", async () => {
    for (const lanes of [1, 2, 3, 17, 200]) {
      const { valid, keys, inputs } = inputsOf(lanes, lanes);
      const order = expectedOrder(valid, keys);
      const expected = [Uint8Array.from(order, (lane) => valid[lane]), encodeIntegers(order.map((lane) => keys[lane]), 8), encodeIntegers(order.map(BigInt), 12)];
      expect(await runPlaintext(relationProgram(lanes), inputs)).toEqual(expected);
      expect((await runGarbledOverChannel(relationProgram(lanes), inputs)).outputs).toEqual(expected);
    }
  });

  it("sorts the same with the key's rows laid out a few lanes at a time, and the payload handed back as share wires", async () => {
    const lanes = 200;
    const { valid, keys, inputs } = inputsOf(lanes, 7);
    const order = expectedOrder(valid, keys);
    const expected = [Uint8Array.from(order, (lane) => valid[lane]), encodeIntegers(order.map((lane) => keys[lane]), 8), encodeIntegers(order.map(BigInt), 12)];
    // 144 wires per chunk: 8 lanes of the 17 key planes (valid, key, tie-break) at a time, the last chunk short.
    const chunked = { keyRowsChunkWires: 144, restAsShareWires: true };
    expect(await runPlaintext(relationProgram(lanes, chunked), inputs)).toEqual(expected);
    payloadKinds.length = 0;
    expect((await runGarbledOverChannel(relationProgram(lanes, chunked), inputs)).outputs).toEqual(expected);
    expect((await runGarbledOverChannel(relationProgram(lanes), inputs)).outputs).toEqual(expected);
    expect(payloadKinds).toEqual([1, 16]);
  });

  it("sends the same bytes and garbles the same gates for other data of the same shape, as counted", async () => {
    const lanes = 150;
    const runs = await Promise.all([11, 12].map(async (seed) => runGarbledOverChannel(relationProgram(lanes), inputsOf(lanes, seed).inputs)));
    expect(runs[1].andGates).toBe(runs[0].andGates);
    expect(runs[1].streamBytes).toBe(runs[0].streamBytes);
    expect(runs[1].garblerBytesSent).toBe(runs[0].garblerBytesSent);
    expect(runs[1].evaluatorBytesSent).toBe(runs[0].evaluatorBytesSent);
    const counting = new CountingBackend();
    await relationProgram(lanes)(counting, [counting.input(lanes), counting.input(8 * lanes), counting.input(12 * lanes)]);
    expect(counting.counts.and).toBe(runs[0].andGates);
    expect(counting.counts.rounds).toBe(2 + revealedMergeSortCost(lanes).rounds);
  });
});

describe("shuffle sort by a key distinct within sources", () => {
  /**
   * Three sources (lanes 0–39, 40–99, 100–149) whose valid lanes hold distinct keys each, repeated across
   * sources; invalid lanes hold repeated keys, as padding may. Keys below 60 (positive as INT(7)); a 12-bit
   * payload names the lane.
   */
  const lanes = 150;
  const sourceOf = Int32Array.from({ length: lanes }, (_, lane) => (lane < 40 ? 0 : lane < 100 ? 1 : 2));
  const inputsOf = (seed: number) => {
    const random = seededRandom(seed);
    const valid = Array.from({ length: lanes }, () => Number(random() < 0.7));
    const keys: bigint[] = [];
    const used = new Set<string>();
    for (let lane = 0; lane < lanes; lane++) {
      let key = BigInt(Math.floor(random() * 60));
      if (!valid[lane]) key = 5n;
      else while (used.has(`${sourceOf[lane]}:${key}`)) key = (key + 1n) % 60n;
      if (valid[lane]) used.add(`${sourceOf[lane]}:${key}`);
      keys.push(key);
    }
    return { valid, keys, inputs: [Uint8Array.from(valid), encodeIntegers(keys, 7), encodeIntegers(keys.map((_, lane) => BigInt(lane)), 12)] };
  };
  const program: CircuitProgram = async (backend, [valid, key, payload]) => {
    const relation = { lanes, valid, columns: [{ value: bitPlanes(key, 7) }, { value: bitPlanes(payload, 12) }] };
    const keyOf = (rows: Relation) => [{ column: rows.columns[0], type: { kind: "int" as const, bits: 7 } }];
    const sorted = await shuffleSortRelation(backend, relation, {
      columns: [0],
      planesOf: (rows) => orderKeyPlanes(backend, keyOf(rows), rows.lanes, rows.valid),
      distinct: { sourceOfLane: sourceOf, everyLaneValid: false, valuePlanesOf: (rows) => orderKeyPlanes(backend, keyOf(rows), rows.lanes) },
    });
    return [sorted.valid, sorted.columns[0].value.wires, sorted.columns[1].value.wires];
  };
  const decode = (bits: Uint8Array, width: number) => Array.from({ length: lanes }, (_, lane) => { let value = 0; for (let bit = 0; bit < width; bit++) value |= bits[bit * lanes + lane] << bit; return value; });

  it("puts valid lanes first by key, moving each row whole, garbled and in the clear", async () => {
    const { valid, keys, inputs } = inputsOf(7);
    const validCount = valid.filter(Boolean).length;
    for (const [outValid, outKey, outPayload] of [await runPlaintext(program, inputs), (await runGarbledOverChannel(program, inputs)).outputs]) {
      const payload = decode(outPayload, 12);
      // Every row whole: the payload names the lane, whose key and validity came along.
      expect([...payload].sort((a, b) => a - b)).toEqual(Array.from({ length: lanes }, (_, lane) => lane));
      expect(decode(outKey, 7)).toEqual(payload.map((lane) => Number(keys[lane])));
      expect(Array.from(outValid)).toEqual(payload.map((lane) => valid[lane]));
      expect(Array.from(outValid.subarray(0, validCount)).every(Boolean)).toBe(true);
      const sortedKeys = decode(outKey, 7).slice(0, validCount);
      expect(sortedKeys).toEqual([...sortedKeys].sort((a, b) => a - b));
    }
  });

  it("never compares two equal keys, so every revealed outcome is that of a random order; repeats within a source would", async () => {
    /** The clear backend, counting comparisons of two different lanes whose key rows are equal. */
    class TieWatchingBackend extends PlaintextBackend {
      ties = 0;
      override lessThanOfRows(rows: WireVector, width: number, first: ArrayLike<number>, second: ArrayLike<number>): Promise<WireVector> {
        for (let index = 0; index < first.length; index++) {
          if (first[index] === second[index]) continue;
          const [a, b] = [rows.data.subarray(first[index] * width, (first[index] + 1) * width), rows.data.subarray(second[index] * width, (second[index] + 1) * width)];
          if (a.every((bit, plane) => bit === b[plane])) this.ties++;
        }
        return super.lessThanOfRows(rows, width, first, second);
      }
    }
    const tiesOf = async (inputs: Uint8Array[]) => {
      const backend = new TieWatchingBackend();
      await program(backend, inputs.map((bits) => backend.constant(bits)));
      return backend.ties;
    };
    expect(await tiesOf(inputsOf(7).inputs)).toBe(0);
    // The check itself: valid rows of one source with equal keys do meet as ties.
    const repeated = inputsOf(7).inputs;
    repeated[0] = new Uint8Array(lanes).fill(1);
    repeated[1] = encodeIntegers(new Array<bigint>(lanes).fill(9n), 7);
    expect(await tiesOf(repeated)).toBeGreaterThan(0);
  });

  it("costs the key's ANDs once per lane and compares source, key (or index) and validity only, as counted, for any data of the shape", async () => {
    const runs = await Promise.all([7, 8].map((seed) => runGarbledOverChannel(program, inputsOf(seed).inputs)));
    expect(runs[1].andGates).toBe(runs[0].andGates);
    expect(runs[1].garblerBytesSent).toBe(runs[0].garblerBytesSent);
    const counting = new CountingBackend();
    await program(counting, [counting.input(lanes), counting.input(7 * lanes), counting.input(12 * lanes)]);
    expect(counting.counts.and).toBe(runs[0].andGates);
    // 7 key planes masked per lane; comparisons of 2 source bits, max(7, lg 150 = 8) planes and validity.
    expect(counting.counts.and).toBe(7 * lanes + revealedMergeSortCost(lanes).comparisons * (2 + 8 + 1));
  });

  it("with every lane valid, takes the key as it is (share wires, no input OT, no gate before the comparisons) and sorts the same", async () => {
    const allValid: CircuitProgram = async (backend, [valid, key, payload]) => {
      const keyOf = (rows: Relation) => [{ column: rows.columns[0], type: { kind: "int" as const, bits: 7 } }];
      const sorted = await shuffleSortRelation(backend, { lanes, valid, columns: [{ value: bitPlanes(key, 7) }, { value: bitPlanes(payload, 12) }] }, {
        columns: [0],
        planesOf: (rows) => orderKeyPlanes(backend, keyOf(rows), rows.lanes, rows.valid),
        distinct: { sourceOfLane: sourceOf, everyLaneValid: true, valuePlanesOf: (rows) => orderKeyPlanes(backend, keyOf(rows), rows.lanes) },
      });
      return [sorted.columns[0].value.wires, sorted.columns[1].value.wires];
    };
    const { inputs } = inputsOf(9);
    // Every lane valid, keys distinct within each source (a bijection of the lane's place in it, mod 64) and repeated across them.
    const starts = [0, 40, 100];
    const distinctKeys = Array.from({ length: lanes }, (_, lane) => BigInt(((lane - starts[sourceOf[lane]]) * 37) % 64));
    inputs[0] = new Uint8Array(lanes).fill(1);
    inputs[1] = encodeIntegers(distinctKeys, 7);
    const run = await runGarbledOverChannel(allValid, inputs, { shareWireInputs: new Set([0, 1, 2]) });
    const [outKey, outPayload] = run.outputs;
    const payload = decode(outPayload, 12);
    expect([...payload].sort((a, b) => a - b)).toEqual(Array.from({ length: lanes }, (_, lane) => lane));
    expect(decode(outKey, 7)).toEqual(payload.map((lane) => Number(distinctKeys[lane])));
    expect(decode(outKey, 7)).toEqual([...decode(outKey, 7)].sort((a, b) => a - b));
    const counting = new CountingBackend();
    await allValid(counting, [counting.input(lanes), counting.input(7 * lanes), counting.input(12 * lanes)]);
    // No masking, and comparisons of 2 source bits and the 7 key planes only.
    expect(counting.counts.and).toBe(revealedMergeSortCost(lanes).comparisons * (2 + 7));
    expect(run.andGates).toBe(counting.counts.and);
  });
});

describe("shuffle of a relation", () => {
  /** Lanes with a valid bit, a nullable 9-bit value that names the lane, and its NULL flag. */
  const program = (lanes: number): CircuitProgram => async (backend, [valid, value, isNull]) => {
    const shuffled = await shuffleRelation(backend, { lanes, valid, columns: [{ value: bitPlanes(value, 9), isNull }] });
    return [shuffled.valid, shuffled.columns[0].value.wires, shuffled.columns[0].isNull!];
  };
  const inputsOf = (lanes: number) => [Uint8Array.from({ length: lanes }, (_, lane) => lane % 3 === 0 ? 0 : 1), encodeIntegers(Array.from({ length: lanes }, (_, lane) => BigInt(lane)), 9), Uint8Array.from({ length: lanes }, (_, lane) => lane % 5 === 0 ? 1 : 0)];
  /** Each output lane as (valid, value, NULL), decoded from plane-major bits. */
  const rowsOf = ([valid, value, isNull]: Uint8Array[], lanes: number) => Array.from({ length: lanes }, (_, lane) => {
    let number = 0;
    for (let bit = 0; bit < 9; bit++) number |= value[bit * lanes + lane] << bit;
    return `${valid[lane]}:${number}:${isNull[lane]}`;
  });

  it("moves each row whole to a new place, garbled and in the clear", async () => {
    for (const lanes of [1, 2, 5, 300]) {
      const inputs = inputsOf(lanes);
      const expected = rowsOf(inputs, lanes).sort();
      expect(rowsOf(await runPlaintext(program(lanes), inputs), lanes).sort()).toEqual(expected);
      const garbled = rowsOf((await runGarbledOverChannel(program(lanes), inputs)).outputs, lanes);
      expect([...garbled].sort()).toEqual(expected);
      // 300 lanes in their own order would be a 1 in 300! chance.
      if (lanes === 300) expect(garbled).not.toEqual(rowsOf(inputs, lanes));
    }
  });

  it("costs no AND gate, and sends what the counting backend counts, for any data of the shape", async () => {
    const lanes = 120;
    const runs = await Promise.all([0, 1].map(async (flip) => runGarbledOverChannel(program(lanes), inputsOf(lanes).map((bits) => bits.map((bit) => bit ^ flip)))));
    expect(runs[0].andGates).toBe(0);
    expect(runs[1].garblerBytesSent).toBe(runs[0].garblerBytesSent);
    expect(runs[1].evaluatorBytesSent).toBe(runs[0].evaluatorBytesSent);
    const counting = new CountingBackend();
    await program(lanes)(counting, [counting.input(lanes), counting.input(9 * lanes), counting.input(lanes)]);
    expect(counting.counts.and).toBe(0);
    expect(counting.counts.interactionBytes).toBeGreaterThan(0);
  });
});

