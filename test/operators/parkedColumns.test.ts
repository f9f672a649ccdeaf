/**
 * Columns parked as shares come back as the same values; a GROUP BY whose keys wait parked through its scan
 * gives the same groups, in the clear and garbled between two parties over a channel.
 */
import { describe, expect, it } from "@jest/globals";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { runGarbledOverChannel, runPlaintext } from "../../src/circuit/twoParty.js";
import { groupAggregate } from "../../src/operators/groupAggregate.js";
import { parkColumns, unparkColumns } from "../../src/operators/parkedColumns.js";
import { seededRandom } from "../circuit/harness.js";

const lanes = 40;
const random = seededRandom(3);
const keys = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 5)));
const values = Array.from({ length: lanes }, () => BigInt(Math.floor(random() * 100)));
const nulls = Array.from({ length: lanes }, () => (random() < 0.2 ? 1 : 0));
const valid = Array.from({ length: lanes }, () => (random() < 0.9 ? 1 : 0));
const inputs = [Uint8Array.from(valid), encodeIntegers(keys, 3), encodeIntegers(values, 7), Uint8Array.from(nulls)];

describe("parked columns", () => {
  const program: CircuitProgram = async (backend, [, key, value, isNull]) => {
    const parked = parkColumns(backend, [{ value: bitPlanes(key, 3) }, { value: bitPlanes(value, 7), isNull }]);
    const [keyColumn, valueColumn] = await unparkColumns(backend, parked);
    return [keyColumn.value.wires, valueColumn.value.wires, valueColumn.isNull!];
  };

  it("come back as the same values, NULL flags included, garbled and in the clear", async () => {
    const expected = inputs.slice(1);
    expect(await runPlaintext(program, inputs)).toEqual(expected);
    expect((await runGarbledOverChannel(program, inputs)).outputs).toEqual(expected);
  });
});

describe("a GROUP BY with its keys parked through the scan", () => {
  const program = (park: boolean): CircuitProgram => async (backend, [validBits, key, value, isNull]) => {
    const relation = { lanes, valid: validBits, columns: [{ value: bitPlanes(key, 3) }, { value: bitPlanes(value, 7), isNull }] };
    const grouped = await groupAggregate(backend, relation, [{ column: relation.columns[0], type: { kind: "int", bits: 3 } }], [
      { function: "SUM", argument: relation.columns[1], argumentType: { kind: "int", bits: 7 }, resultType: { kind: "int", bits: 13 }, resultNullable: true },
      { function: "COUNT", resultType: { kind: "int", bits: 7 }, resultNullable: false },
    ], { method: "network", parkKeyWiresAtLeast: park ? 0 : Infinity });
    return [grouped.valid, grouped.columns[0].value.wires, grouped.columns[1].value.wires, grouped.columns[1].isNull!, grouped.columns[2].value.wires];
  };

  it("gives the same groups as with the keys kept, garbled and in the clear", async () => {
    const kept = await runPlaintext(program(false), inputs);
    // The groups themselves, as a check of the program: key 0..4, each with its SUM over non-NULL values.
    const released = Array.from({ length: lanes }, (_, lane) => lane).filter((lane) => kept[0][lane] === 1);
    expect(released.length).toBe(new Set(keys.filter((_, lane) => valid[lane] === 1)).size);
    expect(await runPlaintext(program(true), inputs)).toEqual(kept);
    expect((await runGarbledOverChannel(program(true), inputs)).outputs).toEqual(kept);
  });
});
