/** The garbled-table stream's writer and reader around mid-stream flushes and overlapping reads. */
import { describe, expect, it } from "@jest/globals";
import { TableReader, TableWriter, type ByteSource } from "../../src/circuit/tableStream.js";

/** A source whose chunks arrive when the test says so. */
function controlledSource(): ByteSource & { deliver(chunk: Uint8Array | null): void } {
  const arrived: Array<Uint8Array | null> = [];
  const waiting: Array<(chunk: Uint8Array | null) => void> = [];
  return {
    read: () => (arrived.length > 0 ? Promise.resolve(arrived.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    deliver(chunk) {
      const reader = waiting.shift();
      if (reader) reader(chunk);
      else arrived.push(chunk);
    },
  };
}

describe("table stream", () => {
  it("serves overlapping takes in call order, each once the one before it has its bytes", async () => {
    const source = controlledSource();
    const reader = new TableReader(source);
    // Three takes before any byte is there: the first straddles two chunks.
    const first = reader.take(3), second = reader.take(2), third = reader.take(1);
    source.deliver(Uint8Array.from([1, 2]));
    source.deliver(Uint8Array.from([3, 4, 5, 6]));
    expect(Array.from(await first)).toEqual([1, 2, 3]);
    expect(Array.from(await second)).toEqual([4, 5]);
    expect(Array.from(await third)).toEqual([6]);
    expect(reader.atChunkEnd).toBe(true);
    // Once idle again, a take of bytes already there is served at once, in order.
    source.deliver(Uint8Array.from([7, 8]));
    expect(Array.from(await reader.take(1))).toEqual([7]);
    expect(Array.from(await reader.take(1))).toEqual([8]);
    source.deliver(null);
    await reader.expectEnd();
    expect(reader.bytesConsumed).toBe(8);
  });

  it("flushes a partial chunk mid-stream and goes on writing into the rest of its buffer", async () => {
    const written: Uint8Array[] = [];
    const writer = new TableWriter({ write: (chunk) => { written.push(chunk.slice()); } }, 16);
    writer.reserve(5).fill(1);
    await writer.flushAll();
    writer.reserve(4).fill(2);
    await writer.flushAll();
    // Nothing new: no empty chunk.
    await writer.flushAll();
    writer.reserve(10).fill(3);
    await writer.flush(true);
    expect(written.map((chunk) => Array.from(chunk))).toEqual([[1, 1, 1, 1, 1], [2, 2, 2, 2], Array(10).fill(3)]);
    expect(writer.bytesProduced).toBe(19);
  });
});
