/**
 * A one-way byte stream carried as frames on a message channel (the garbled tables), ended by an empty
 * frame so the reader can tell "finished" from "more to come". Shaped to match the gate engine's sink and
 * source interfaces without depending on them.
 */
import type { MessageChannel } from "./channel.js";

export function channelByteSink(channel: MessageChannel): { write(chunk: Uint8Array): Promise<void>; end(): Promise<void> } {
  return {
    write: (chunk) => (chunk.length === 0 ? Promise.resolve() : channel.send(chunk)),
    end: async () => {
      await channel.send(new Uint8Array(0));
      channel.flush();
    },
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
