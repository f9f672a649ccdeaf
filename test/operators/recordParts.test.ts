/**
 * Rows stored in parts: a sort or compaction works in the relation's own vectors only when it owns them,
 * copies shared or repeated ones, and gives the same garbled stream either way.
 */
import { describe, expect, it } from "@jest/globals";
import { encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runGarbled } from "../../src/circuit/twoParty.js";
import type { WireVector } from "../../src/circuit/wireVector.js";
import type { Backend } from "../../src/circuit/backend.js";
import { compact } from "../../src/operators/compaction.js";
import type { Relation } from "../../src/operators/relation.js";
import { sortRelation } from "../../src/operators/sortRelation.js";

const keys = [5n, 1n, 7n, 3n, 0n, 6n, 2n, 4n];
const validBits = [1, 0, 1, 1, 0, 1, 1, 0];

function rowsOf(backend: Backend, key: WireVector, valid: WireVector, ownsStorage: boolean, repeatKey = false): Relation {
  const column = { value: { wires: key, width: 3, lanes: keys.length } };
  return { lanes: keys.length, valid, columns: repeatKey ? [column, column] : [column], ownsStorage };
}

describe("rows stored in parts", () => {
  it("sorts a relation that does not own its vectors in a copy, leaving them as they were", async () => {
    const backend = new PlaintextBackend();
    const key = backend.constant(encodeIntegers(keys, 3));
    const before = Array.from(key.data);
    const sorted = await sortRelation(backend, rowsOf(backend, key, backend.constant(validBits), false), (rows) => rows.columns[0].value);
    expect(Array.from(key.data)).toEqual(before);
    expect(sorted.columns[0].value.wires).not.toBe(key);
  });

  it("sorts an owned relation in its own vectors, and a column given twice in a copy", async () => {
    const backend = new PlaintextBackend();
    const key = backend.constant(encodeIntegers(keys, 3));
    const sorted = await sortRelation(backend, rowsOf(backend, key, backend.constant(validBits), true, true), (rows) => rows.columns[0].value);
    expect(sorted.columns[0].value.wires).toBe(key);
    expect(sorted.columns[1].value.wires).not.toBe(key);
    expect(Array.from(sorted.columns[0].value.wires.data)).toEqual(Array.from(sorted.columns[1].value.wires.data));
    expect(Array.from(sorted.columns[0].value.wires.data)).toEqual(Array.from(encodeIntegers([...keys].sort((a, b) => Number(a - b)), 3)));
  });

  it("compacts in place or in a copy with the same garbled stream and the same rows", async () => {
    const program = (owned: boolean) => async (backend: Backend, [key, valid]: WireVector[]) => {
      const rows = await compact(backend, rowsOf(backend, key, valid, owned, true));
      return [rows.valid, rows.columns[0].value.wires, rows.columns[1].value.wires];
    };
    const inputs = [encodeIntegers(keys, 3), Uint8Array.from(validBits)];
    const [inPlace, copied] = [await runGarbled(program(true), inputs), await runGarbled(program(false), inputs)];
    expect(inPlace.streamBytes).toBe(copied.streamBytes);
    expect(inPlace.outputs).toEqual(copied.outputs);
    expect(Array.from(inPlace.outputs[0])).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
  });
});
