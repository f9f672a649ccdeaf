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

  it("with a sink that recycles, gives it each buffer whole, one chunk per buffer, and fills its spares again", async () => {
    const written: Array<{ bytes: number[]; buffer: ArrayBufferLike; offset: number }> = [];
    const spares: Uint8Array[] = [];
    const allocated = new Set<ArrayBufferLike>();
    const sink = {
      write: (chunk: Uint8Array) => {
        written.push({ bytes: Array.from(chunk), buffer: chunk.buffer, offset: chunk.byteOffset });
        allocated.add(chunk.buffer);
        // Handed back at once, as a channel would once the bytes are out.
        spares.push(new Uint8Array(chunk.buffer));
      },
      spareChunk: (bytes: number) => (spares.length > 0 && spares[0].length === bytes ? spares.shift() : undefined),
    };
    const writer = new TableWriter(sink, 16);
    writer.reserve(5).fill(1);
    await writer.flushAll();
    writer.reserve(4).fill(2);
    await writer.flushAll();
    writer.reserve(12).fill(3);
    writer.reserve(8).fill(4);
    await writer.flush(true);
    expect(written.map((chunk) => chunk.bytes)).toEqual([[1, 1, 1, 1, 1], [2, 2, 2, 2], Array(12).fill(3), Array(8).fill(4)]);
    // Every chunk starts its buffer (the rest of a flushed one is not written into again). One buffer, handed
    // back each time, served the first three; the fourth needed another while the third waited to be written.
    expect(written.every((chunk) => chunk.offset === 0)).toBe(true);
    expect(new Set(written.slice(0, 3).map((chunk) => chunk.buffer)).size).toBe(1);
    expect(allocated.size).toBe(2);
    expect(writer.bytesProduced).toBe(29);
  });
});
