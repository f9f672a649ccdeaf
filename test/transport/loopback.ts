/** Test helper: two channels joined by a real loopback TCP connection. */
import type { ChannelOptions } from "../../src/transport/channel.js";
import type { StreamChannel } from "../../src/transport/streamChannel.js";
import { connect, listen } from "../../src/transport/tcp.js";

export async function loopbackChannelPair(options: ChannelOptions = {}): Promise<[StreamChannel, StreamChannel]> {
  const listener = await listen("127.0.0.1", 0);
  try {
    const [accepted, connected] = await Promise.all([
      listener.accept({ ...options, timeoutMs: 5_000 }),
      connect("127.0.0.1", listener.port, { ...options, retryForMs: 5_000 }),
    ]);
    return [accepted, connected];
  } finally {
    await listener.close();
  }
}

/** Closes both ends, tolerating ends that already failed. */
export async function closeBoth(...channels: StreamChannel[]): Promise<void> {
  await Promise.all(channels.map((channel) => channel.close(1_000).catch(() => undefined)));
}
