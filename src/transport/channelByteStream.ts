/**
 * A one-way byte stream carried as frames on a message channel (the garbled tables), ended by an empty
 * frame so the reader can tell "finished" from "more to come". Shaped to match the gate engine's sink and
 * source interfaces without depending on them.
 */
import type { MessageChannel } from "./channel.js";

/** Released buffers kept for reuse: about what the send windows hold in flight, in 1 MiB chunks. */
const MOST_SPARES = 32;

/**
 * Over a channel that hands sent buffers back (`sendReleasing`), the sink offers them as spares: the table
 * stream then fills the same few buffers again instead of allocating a megabyte per chunk, which at pilot
 * scale was hundreds of thousands of allocations freed on another thread.
 */
export function channelByteSink(channel: MessageChannel): { write(chunk: Uint8Array): Promise<void>; end(): Promise<void>; spareChunk?(bytes: number): Uint8Array | undefined } {
  const end = async () => {
    await channel.send(new Uint8Array(0));
    channel.flush();
  };
  if (!channel.sendReleasing) return { write: (chunk) => (chunk.length === 0 ? Promise.resolve() : channel.send(chunk)), end };
  const spares: ArrayBuffer[] = [];
  // The oldest spare makes way: one of an odd size (a large reveal's) is never asked for again.
  const release = (buffer: ArrayBuffer) => { if (spares.push(buffer) > MOST_SPARES) spares.shift(); };
  return {
    write: (chunk) => (chunk.length === 0 ? Promise.resolve() : channel.sendReleasing!(chunk, release)),
    spareChunk: (bytes) => {
      const index = spares.findIndex((buffer) => buffer.byteLength === bytes);
      return index < 0 ? undefined : new Uint8Array(spares.splice(index, 1)[0]);
    },
    end,
  };
}

export function channelByteSource(channel: MessageChannel): { read(): Promise<Uint8Array | null> } {
  let ended = false;
  return {
    async read() {
      if (ended) return null;
      const frame = await channel.receive();
      if (frame.length === 0) ended = true;
      return ended ? null : frame;
    },
  };
}
