import { describe, it } from "@jest/globals";
import { bitPlanes, encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { sortRelation } from "../../src/operators/sortRelation.js";
import { checkOnAllBackends, seededRandom } from "../circuit/harness.js";

describe("relation sort without padding lanes", () => {
  // Lane counts between powers of two are where comparators that would touch padding are left out.
  const sizes = [...Array.from({ length: 40 }, (_, index) => index + 1), 100, 129];

  // Layers are worked in chunks of comparators: whole layers, and chunks of 3 that split every layer.
  it.each(sizes.flatMap((lanes): Array<[number, number | undefined]> => [[lanes, undefined], [lanes, 3]]))("sorts %i lanes by key and moves each row whole, on every backend (chunks of %s pairs)", async (lanes, pairsPerChunk) => {
    const random = seededRandom(lanes + 1000);
    const keys = Array.from({ length: lanes }, (_, index) => BigInt(index));
    for (let index = lanes - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [keys[index], keys[other]] = [keys[other], keys[index]];
    }
    const payload = (key: bigint) => (key * 37n + 5n) % 256n;
    const valid = keys.map((key) => Number(key % 3n !== 0n));
    const sortedKeys = [...keys].sort((a, b) => Number(a - b));
    await checkOnAllBackends(async (backend, [keyWires, payloadWires, validWires]) => {
      const relation = { lanes, valid: validWires, columns: [{ value: bitPlanes(keyWires, 8) }, { value: bitPlanes(payloadWires, 8) }] };
      const sorted = await sortRelation(backend, relation, (rows) => rows.columns[0].value, { pairsPerChunk });
      return [sorted.columns[0].value.wires, sorted.columns[1].value.wires, sorted.valid];
    }, [encodeIntegers(keys, 8), encodeIntegers(keys.map(payload), 8), Uint8Array.from(valid)], {
      outputs: [encodeIntegers(sortedKeys, 8), encodeIntegers(sortedKeys.map(payload), 8), Uint8Array.from(sortedKeys, (key) => Number(key % 3n !== 0n))],
    });
  });
});
