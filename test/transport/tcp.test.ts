import { describe, expect, it } from "@jest/globals";
import { openChannels } from "../../src/transport/channel.js";
import { ConnectError } from "../../src/transport/errors.js";
import { StreamChannel } from "../../src/transport/streamChannel.js";
import { connect, connectSocket, listen } from "../../src/transport/tcp.js";

/** A port that was free a moment ago (bind to 0, read it, release it). */
async function freePort(): Promise<number> {
  const probe = await listen("127.0.0.1", 0);
  const port = probe.port;
  await probe.close();
  return port;
}

describe("direct TCP", () => {
  it("connects when the listener starts after the connector (retry with backoff)", async () => {
    const port = await freePort();
    const connecting = connect("127.0.0.1", port, { retryForMs: 5_000, initialRetryDelayMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listener = await listen("127.0.0.1", port);
    const [accepted, connected] = await Promise.all([listener.accept({ timeoutMs: 5_000 }), connecting]);
    await listener.close();
    await connected.send(Uint8Array.of(42));
    await expect(accepted.receive()).resolves.toEqual(Uint8Array.of(42));
    await Promise.all([accepted.close(), connected.close()]);
  });

  it("gives up with a clear ConnectError after the bounded retry time", async () => {
    const port = await freePort();
    const started = performance.now();
    const attempt = connect("127.0.0.1", port, { retryForMs: 300, initialRetryDelayMs: 20 });
    await expect(attempt).rejects.toThrow(ConnectError);
    await expect(attempt).rejects.toThrow(new RegExp(`could not connect to 127.0.0.1:${port}`));
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it("times out an accept when no peer comes", async () => {
    const listener = await listen("127.0.0.1", 0);
    await expect(listener.accept({ timeoutMs: 100 })).rejects.toThrow(/no peer connected/);
    await listener.close();
  });

  it("refuses to listen on a port already in use", async () => {
    const first = await listen("127.0.0.1", 0);
    await expect(listen("127.0.0.1", first.port)).rejects.toThrow(/cannot listen/);
    await first.close();
  });

  it("carries several independent channels, one stream each (as several ssh2 forwardOut streams would)", async () => {
    const listener = await listen("127.0.0.1", 0);
    const count = 3;
    const [outgoing, incoming] = await Promise.all([
      openChannels(count, () => connectSocket("127.0.0.1", listener.port, { retryForMs: 5_000 }), (stream, index) => new StreamChannel(stream, { label: `worker ${index}` })),
      Promise.all(Array.from({ length: count }, () => listener.acceptSocket(5_000))),
    ]);
    await listener.close();
    const accepted = incoming.map((socket, index) => new StreamChannel(socket, { label: `peer ${index}` }));
    // Each side names its channel in its first message, so the order of accepts does not matter.
    await Promise.all(outgoing.map((channel, index) => channel.send(Uint8Array.of(index))));
    const names = await Promise.all(accepted.map(async (channel) => (await channel.receive())[0]));
    expect([...names].sort()).toEqual([0, 1, 2]);
    // The channels are independent: one carries traffic while the others sit idle.
    await outgoing[2].send(Uint8Array.of(99, 99));
    const byName = new Map(names.map((name, index) => [name, accepted[index]]));
    await expect(byName.get(2)!.receive()).resolves.toEqual(Uint8Array.of(99, 99));
    await Promise.all([...outgoing, ...accepted].map((channel) => channel.close(1_000)));
  });
});
