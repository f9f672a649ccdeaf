import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import type { Backend, CircuitProgram } from "../../src/circuit/backend.js";
import { CountingBackend } from "../../src/circuit/countingBackend.js";
import { Garbler, STREAM_HEADER_BYTES } from "../../src/circuit/garbler.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";
import { concatenateLaneShares, sharedPlanes } from "../../src/circuit/laneShares.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runGarbled, runGarbledOverChannel, runPlaintext } from "../../src/circuit/twoParty.js";
import type { WireVector } from "../../src/circuit/wireVector.js";
import { tableToOutputParts } from "../../src/operators/outputLayout.js";

const randomBits = (count: number) => Uint8Array.from(randomBytes(count), (byte) => byte & 1);
/** Lanes of a plane-major record as strings of their bits, for comparing rows whatever their order. */
const rowsOf = (bits: Uint8Array, width: number, lanes: number) => Array.from({ length: lanes }, (_, lane) => Array.from({ length: width }, (_, plane) => bits[plane * lanes + lane]).join(""));

/** Shuffles a record of `widths` parts and makes wires of it again, part by part, lanes in `order` (all, by default). */
function shuffleProgram(lanes: number, widths: number[], order?: (lanes: number) => Int32Array): CircuitProgram {
  return async (backend: Backend, inputs: WireVector[]) => {
    const parts = widths.map((width, index) => ({ wires: inputs[index], width }));
    const shuffled = await backend.shuffleShares(backend.sharesOfLanes(parts, lanes));
    const outputs: WireVector[] = [];
    let plane = 0;
    for (const width of widths) {
      outputs.push(await backend.labelsOfShares(shuffled, plane, plane + width, order?.(lanes)));
      plane += width;
    }
    return outputs;
  };
}

describe("shuffled lanes", () => {
  it("come out as the same rows in a new order, garbled and in the clear, every part moved alike", async () => {
    const lanes = 200;
    const widths = [1, 9, 0, 33];
    // Each row's first 8 bits of the second part are its index, so the rows are distinct.
    const inputs = widths.map((width) => randomBits(width * lanes));
    for (let lane = 0; lane < lanes; lane++) for (let bit = 0; bit < 8; bit++) inputs[1][bit * lanes + lane] = (lane >> bit) & 1;
    const record = (parts: Uint8Array[]) => {
      const width = widths.reduce((sum, w) => sum + w, 0);
      const joined = new Uint8Array(width * lanes);
      let offset = 0;
      for (const part of parts) { joined.set(part, offset); offset += part.length; }
      return rowsOf(joined, width, lanes);
    };
    const before = record(inputs);
    for (const outputs of [(await runGarbledOverChannel(shuffleProgram(lanes, widths), inputs)).outputs, await runPlaintext(shuffleProgram(lanes, widths), inputs)]) {
      const after = record(outputs);
      expect([...after].sort()).toEqual([...before].sort());
      expect(after).not.toEqual(before);
    }
  });

  it("can be taken in any public order", async () => {
    const lanes = 50;
    const inputs = [randomBits(5 * lanes)];
    const reversed = (count: number) => Int32Array.from({ length: count }, (_, index) => count - 1 - index);
    const pick = (count: number) => Int32Array.from([3, 3, 0]);
    for (const run of [async (program: CircuitProgram) => (await runGarbledOverChannel(program, inputs)).outputs, (program: CircuitProgram) => runPlaintext(program, inputs)]) {
      const [forward, backward, picked] = await run(async (backend, wires) => {
        const shuffled = await backend.shuffleShares(backend.sharesOfLanes([{ wires: wires[0], width: 5 }], lanes));
        return [await backend.labelsOfShares(shuffled, 0, 5), await backend.labelsOfShares(shuffled, 0, 5, reversed(lanes)), await backend.labelsOfShares(shuffled, 1, 3, pick(lanes))];
      });
      expect(rowsOf(backward, 5, lanes)).toEqual(rowsOf(forward, 5, lanes).reverse());
      const forwardRows = rowsOf(forward, 5, lanes);
      expect(rowsOf(picked, 2, 3)).toEqual([3, 3, 0].map((lane) => forwardRows[lane].slice(1, 3)));
    }
  });

  it("costs what the counting backend says, and needs a link to the peer", async () => {
    const counting = new CountingBackend();
    const shuffled = await counting.shuffleShares(counting.sharesOfLanes([{ wires: counting.input(3 * 100), width: 3 }], 100));
    await counting.labelsOfShares(shuffled, 0, 3);
    expect(counting.counts.rounds).toBe(2);
    expect(counting.counts.reinputOts).toBe(300);
    expect(counting.counts.interactionBytes).toBeGreaterThan(300 * 16);
    // The in-process engine without a channel cannot shuffle.
    await expect(runGarbled(shuffleProgram(4, [2]), [randomBits(8)])).rejects.toThrow(/no link/);
  });
});

describe("output wires of shuffled shares", () => {
  const lanes = 64;
  const widths = [1, 7];
  const inputs = widths.map((width) => randomBits(width * lanes));
  // The index in the 7-bit part makes the rows distinct.
  for (let lane = 0; lane < lanes; lane++) for (let bit = 0; bit < 7; bit++) inputs[1][bit * lanes + lane] = (lane >> bit) & 1;
  const program = (use?: (backend: Backend, wires: WireVector) => Promise<WireVector>): CircuitProgram => async (backend, wires) => {
    const shuffled = await backend.shuffleShares(backend.sharesOfLanes(widths.map((width, index) => ({ wires: wires[index], width })), lanes));
    // Rewired as the result layout does: a plane repeated to widen, and a slice.
    const valid = backend.outputWiresOfShares(shuffled, 0, 1);
    const index = backend.outputWiresOfShares(shuffled, 1, 8);
    const widened = backend.concat([index, backend.slice(index, 6 * lanes, 7 * lanes)]);
    return [valid, use ? await use(backend, widened) : widened];
  };

  it("give each party's share as it is: the outputs are the rows, shuffled, with no OT", async () => {
    const before = rowsOf(new Uint8Array([...inputs[0], ...inputs[1]]), 8, lanes);
    for (const outputs of [(await runGarbledOverChannel(program(), inputs)).outputs, await runPlaintext(program(), inputs)]) {
      const after = rowsOf(new Uint8Array([...outputs[0], ...outputs[1].subarray(0, 7 * lanes)]), 8, lanes);
      expect([...after].sort()).toEqual([...before].sort());
      expect(after).not.toEqual(before);
      // The repeated plane is the top plane.
      expect(outputs[1].subarray(7 * lanes)).toEqual(outputs[1].subarray(6 * lanes, 7 * lanes));
    }
    const counting = new CountingBackend();
    await program()(counting, inputs.map((input) => counting.input(input.length)));
    expect(counting.counts.reinputOts).toBe(0);
  });

  it("lay out as result rows beside zero flags of their own kind, so the parts join into one vector", async () => {
    const laidOut: CircuitProgram = async (backend, wires) => {
      const shuffled = await backend.shuffleShares(backend.sharesOfLanes(widths.map((width, index) => ({ wires: wires[index], width })), lanes));
      const value = { wires: backend.outputWiresOfShares(shuffled, 1, 8), width: 7, lanes };
      // A nullable column without a NULL flag: the layout supplies zeros for it.
      const column = { name: "n", type: { kind: "int" as const, bits: 7 }, nullable: true };
      return [backend.concat(tableToOutputParts(backend, { rows: lanes, valid: backend.outputWiresOfShares(shuffled, 0, 1), columns: [{ column, value }] }))];
    };
    const [joined] = (await runGarbledOverChannel(laidOut, inputs)).outputs;
    const rows = rowsOf(joined, 9, lanes);
    // Per row: valid, the NULL flag (0), then the 7-bit index; the rows as they went in, moved.
    expect(rows.map((row) => row[1])).toEqual(new Array(lanes).fill("0"));
    expect(rows.map((row) => row[0] + row.slice(2)).sort()).toEqual(rowsOf(new Uint8Array([...inputs[0], ...inputs[1]]), 8, lanes).sort());
  });

  it("cannot go into a gate on either party", async () => {
    const gated = program(async (backend, wires) => backend.and(wires, wires));
    await expect(runGarbledOverChannel(gated, inputs)).rejects.toThrow(/share wires, made without OT, cannot enter a gate/);
  });
});

describe("revealed bits", () => {
  it("are the values, on both parties, mid-circuit, and the circuit goes on after them", async () => {
    const lanes = 1000;
    const [a, b] = [randomBits(lanes), randomBits(lanes)];
    const seen: Array<Uint8Array | undefined> = [];
    const program: CircuitProgram = async (backend, [x, y]) => {
      const both = await backend.and(x, y);
      seen.push(await backend.reveal(both));
      // More gates after the reveal, which must still evaluate correctly.
      return [await backend.and(both, backend.not(y)), backend.xor(both, x)];
    };
    const garbled = await runGarbledOverChannel(program, [a, b]);
    const expected = a.map((bit, index) => bit & b[index]);
    expect(seen).toHaveLength(2);
    for (const values of seen) expect(values).toEqual(expected);
    expect(garbled.outputs[0]).toEqual(new Uint8Array(lanes));
    expect(garbled.outputs[1]).toEqual(expected.map((bit, index) => bit ^ a[index]));
    expect(await runPlaintext(async (backend, [x, y]) => [backend.constant(await backend.reveal(await backend.and(x, y)) ?? [])], [a, b])).toEqual([expected]);
    const counting = new CountingBackend();
    expect(await counting.reveal(counting.input(lanes))).toBeUndefined();
    expect(counting.counts.rounds).toBe(1);
  });
});

describe("lane shares", () => {
  it("concatenate row by row: the first record's planes, then the second's", () => {
    const lanes = 7;
    const first = randomBits(30 * lanes), second = randomBits(5 * lanes);
    const backend = new PlaintextBackend();
    const joined = concatenateLaneShares(backend.sharesOfLanes([{ wires: backend.constant(first), width: 30 }], lanes), backend.sharesOfLanes([{ wires: backend.constant(second), width: 5 }], lanes));
    expect(joined.planes).toBe(35);
    expect(joined.rowBytes).toBe(8);
    expect(Array.from(sharedPlanes(joined, 0, 30))).toEqual(Array.from(first));
    expect(Array.from(sharedPlanes(joined, 30, 35))).toEqual(Array.from(second));
  });
});

describe("a garbler's reveal", () => {
  it("waits for the bytes it reserved even when its flush hands the sink the whole chunk, which a sink may transfer", async () => {
    // A sink that transfers (detaches) every chunk that fills its buffer, as the worker's port channel does.
    const sent: number[] = [];
    const sink = {
      write(chunk: Uint8Array): void {
        sent.push(chunk.length);
        if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) structuredClone(chunk.buffer, { transfer: [chunk.buffer as ArrayBuffer] });
      },
    };
    const [garblerChannel, peerChannel] = memoryChannelPair();
    // The stream header (16 bytes) and the decoding bits of 32 wires (4 bytes) fill the 20-byte chunk exactly.
    const garbler = new Garbler(sink, { chunkBytes: STREAM_HEADER_BYTES + 4, link: { channel: garblerChannel, inputs: undefined as never } });
    const revealed = garbler.reveal(garbler.constant(new Array(32).fill(0)));
    // The peer answers with the 32 values (as the evaluator would, after reading the decoding bits).
    await peerChannel.send(Uint8Array.from([0xff, 0, 0xff, 0]));
    peerChannel.flush();
    expect(Array.from(await revealed)).toEqual([...new Array(8).fill(1), ...new Array(8).fill(0), ...new Array(8).fill(1), ...new Array(8).fill(0)]);
    expect(sent).toEqual([STREAM_HEADER_BYTES + 4]);
    garblerChannel.destroy();
    peerChannel.destroy();
  });
});
