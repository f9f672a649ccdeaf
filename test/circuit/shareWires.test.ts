/**
 * Share wires: inputs that skip the OT and hold each party's share bit. XOR and NOT work share by share,
 * rewiring and zeros of their kind move them, and a shuffle takes them straight and makes labels a gate can
 * read, garbled between two parties as in the clear; a gate refuses them by name.
 */
import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import { zeroExtend } from "../../src/circuit/bitVector/bitPlanes.js";
import { isShareWires, zerosLike } from "../../src/circuit/shareWires.js";
import { runGarbledOverChannel, runPlaintext } from "../../src/circuit/twoParty.js";

const randomBits = (count: number) => Uint8Array.from(randomBytes(count), (byte) => byte & 1);
/** Lanes of a plane-major record as strings of their bits, for comparing rows whatever their order. */
const rowsOf = (bits: Uint8Array, width: number, lanes: number) => Array.from({ length: lanes }, (_, lane) => Array.from({ length: width }, (_, plane) => bits[plane * lanes + lane]).join("")).sort();

describe("share wires", () => {
  const lanes = 45;
  /** x: three planes, y: one; the record shuffled is ¬x₀, reversed (x₁ ⊕ y), x₂ widened to three planes, a constant 1. */
  const program: CircuitProgram = async (backend, [x, y]) => {
    const plane = (index: number) => backend.slice(x, index * lanes, (index + 1) * lanes);
    const flipped = backend.not(plane(0));
    const mixed = backend.gather(backend.xor(plane(1), y), Int32Array.from({ length: lanes }, (_, lane) => lanes - 1 - lane));
    const widened = zeroExtend(backend, { wires: plane(2), width: 1, lanes }, 3);
    const parts = [{ wires: flipped, width: 1 }, { wires: mixed, width: 1 }, { wires: widened.wires, width: 3 }, { wires: backend.constant(new Uint8Array(lanes).fill(1)), width: 1 }];
    const shuffled = await backend.shuffleShares(backend.sharesOfLanes(parts, lanes));
    const record = await backend.labelsOfShares(shuffled, 0, 6);
    // The re-made wires are labels: a gate reads them.
    const both = await backend.and(backend.slice(record, 0, lanes), backend.slice(record, lanes, 2 * lanes));
    return [backend.concat([record, both])];
  };
  const expectedRows = (x: Uint8Array, y: Uint8Array) => rowsOf(Uint8Array.from({ length: 7 * lanes }, (_, wire) => {
    const [plane, lane] = [Math.floor(wire / lanes), wire % lanes];
    const flipped = x[lane] ^ 1, mixed = x[lanes + lanes - 1 - lane] ^ y[lanes - 1 - lane];
    return [flipped, mixed, x[2 * lanes + lane], 0, 0, 1, flipped & mixed][plane];
  }), 7, lanes);

  it("move, XOR, NOT and widen share by share, and a shuffle makes labels of them, garbled as in the clear", async () => {
    const [x, y] = [randomBits(3 * lanes), randomBits(lanes)];
    const garbled = await runGarbledOverChannel(program, [x, y], { shareWireInputs: new Set([0, 1]) });
    expect(rowsOf(garbled.outputs[0], 7, lanes)).toEqual(expectedRows(x, y));
    expect(rowsOf(await runPlaintext(program, [x, y]).then((outputs) => outputs[0]), 7, lanes)).toEqual(expectedRows(x, y));
    // No OT for the inputs: only the shuffle's and the re-made wires' traffic goes from the evaluator.
    const withOt = await runGarbledOverChannel(program, [x, y]);
    expect(rowsOf(withOt.outputs[0], 7, lanes)).toEqual(expectedRows(x, y));
    expect(garbled.evaluatorBytesSent).toBeLessThan(withOt.evaluatorBytesSent);
  });

  it("are refused by a gate, with the reason", async () => {
    const gate: CircuitProgram = async (backend, [x]) => [await backend.and(x, x)];
    await expect(runGarbledOverChannel(gate, [randomBits(8)], { shareWireInputs: new Set([0]) })).rejects.toThrow(/share wires, made without OT, cannot enter a gate/);
    // Nor may one be XORed with a label: which party's share would the label's value join?
    const mixed: CircuitProgram = async (backend, [x, label]) => [backend.xor(x, label)];
    await expect(runGarbledOverChannel(mixed, [randomBits(8), randomBits(8)], { shareWireInputs: new Set([0]) })).rejects.toThrow(/share wires, made without OT, cannot enter a gate/);
  });

  it("take zeros of their own kind, and labels a constant's", async () => {
    const kinds: CircuitProgram = async (backend, [x, label]) => {
      expect(isShareWires(zerosLike(backend, x, 3))).toBe(true);
      expect(isShareWires(zerosLike(backend, label, 3))).toBe(false);
      return [backend.concat([x, zerosLike(backend, x, 2)]), backend.concat([label, zerosLike(backend, label, 2)])];
    };
    const [x, label] = [randomBits(4), randomBits(4)];
    const run = await runGarbledOverChannel(kinds, [x, label], { shareWireInputs: new Set([0]) });
    expect(run.outputs.map((output) => [...output])).toEqual([[...x, 0, 0], [...label, 0, 0]]);
  });
});
