import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { exchangeFirstMessages } from "../../src/transport/channel.js";
import {
  ChannelClosedError,
  DeadlineExceededError,
  FrameTooLargeError,
  IdleTimeoutError,
  PeerClosedError,
  ProtocolError,
} from "../../src/transport/errors.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";
import { StreamChannel } from "../../src/transport/streamChannel.js";
import { listen } from "../../src/transport/tcp.js";
import { closeBoth, loopbackChannelPair } from "./loopback.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** A channel whose peer is a raw socket the test drives byte by byte. */
async function channelWithRawPeer(options = {}): Promise<{ channel: StreamChannel; raw: net.Socket; cleanup: () => Promise<void> }> {
  const listener = await listen("127.0.0.1", 0);
  const raw = net.connect({ host: "127.0.0.1", port: listener.port });
  raw.on("error", () => undefined);
  const channel = await listener.accept({ timeoutMs: 5_000, ...options });
  await listener.close();
  return {
    channel,
    raw,
    cleanup: async () => {
      raw.destroy();
      channel.destroy();
    },
  };
}

describe("StreamChannel over loopback TCP", () => {
  it("delivers frames of many sizes in order, in both directions at once", async () => {
    const [left, right] = await loopbackChannelPair();
    const sizes = [0, 1, 5, 100, 4_096, 65_531, 65_532, 65_536, 200_000, 1 << 20, 3, 0];
    const messages = sizes.map((size) => Uint8Array.from(randomBytes(size)));
    const sendAll = async (channel: StreamChannel): Promise<void> => {
      for (const message of messages) await channel.send(message.slice());
      channel.flush();
    };
    const receiveAll = async (channel: StreamChannel): Promise<string[]> => {
      const received: string[] = [];
      for (let i = 0; i < messages.length; i++) received.push(hex(await channel.receive()));
      return received;
    };
    const [, , fromLeft, fromRight] = await Promise.all([sendAll(left), sendAll(right), receiveAll(right), receiveAll(left)]);
    expect(fromLeft).toEqual(messages.map(hex));
    expect(fromRight).toEqual(messages.map(hex));

    const expectedBytes = sizes.reduce((sum, size) => sum + size + 4, 0);
    expect(left.counters()).toEqual({ bytesSent: expectedBytes, bytesReceived: expectedBytes, framesSent: sizes.length, framesReceived: sizes.length });
    expect(right.counters().bytesReceived).toBe(expectedBytes);
    await closeBoth(left, right);
  });

  it("coalesces many small frames and keeps them intact", async () => {
    const [left, right] = await loopbackChannelPair();
    const count = 20_000;
    for (let i = 0; i < count; i++) void left.send(Uint8Array.of(i & 255, (i >> 8) & 255, i >> 16));
    left.flush();
    for (let i = 0; i < count; i++) {
      const frame = await right.receive();
      expect(frame[0] | (frame[1] << 8) | (frame[2] << 16)).toBe(i);
    }
    await closeBoth(left, right);
  });

  it("checks exact lengths with receiveExactly", async () => {
    const [left, right] = await loopbackChannelPair();
    await left.send(new Uint8Array(10));
    await expect(right.receiveExactly(10)).resolves.toHaveLength(10);
    await left.send(new Uint8Array(9));
    await expect(right.receiveExactly(10, "test block")).rejects.toThrow(ProtocolError);
    await closeBoth(left, right);
  });

  it("applies backpressure: a fast sender stalls while the reader does not read, and nothing is lost", async () => {
    const limits = { sendHighWaterBytes: 1 << 20, receiveHighWaterBytes: 1 << 20 };
    const [sender, reader] = await loopbackChannelPair(limits);
    const frameBytes = 1 << 20;
    const frameCount = 64;
    let accepted = 0;
    let peakToSend = 0;
    const sending = (async () => {
      for (let i = 0; i < frameCount; i++) {
        const frame = new Uint8Array(frameBytes).fill(i);
        await sender.send(frame);
        accepted += 1;
        peakToSend = Math.max(peakToSend, sender.bufferedBytes().toSend);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The reader has not read anything: only the bounded buffers (ours, the kernel's) may hold frames.
    expect(accepted).toBeLessThan(frameCount / 2);
    expect(reader.bufferedBytes().received).toBeLessThanOrEqual(limits.receiveHighWaterBytes + frameBytes);
    for (let i = 0; i < frameCount; i++) {
      const frame = await reader.receive();
      expect(frame.length).toBe(frameBytes);
      expect(frame[0]).toBe(i);
      expect(frame[frameBytes - 1]).toBe(i);
    }
    await sending;
    expect(peakToSend).toBeLessThanOrEqual(limits.sendHighWaterBytes + 2 * frameBytes);
    await closeBoth(sender, reader);
  });

  it("fails a wait with IdleTimeoutError when the peer sends nothing", async () => {
    const [left, right] = await loopbackChannelPair({ idleTimeoutMs: 150 });
    const started = performance.now();
    await expect(left.receive()).rejects.toThrow(IdleTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(performance.now() - started).toBeLessThan(2_000);
    // The other side learns that the connection went away.
    await expect(right.receive()).rejects.toThrow(PeerClosedError);
  });

  it("does not count local computing time before a receive as idleness", async () => {
    const [left, right] = await loopbackChannelPair({ idleTimeoutMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const receiving = left.receive();
    setTimeout(() => void right.send(Uint8Array.of(7)), 100);
    await expect(receiving).resolves.toEqual(Uint8Array.of(7));
    await closeBoth(left, right);
  });

  it("fails every operation once the overall deadline passes", async () => {
    const [left, right] = await loopbackChannelPair({ idleTimeoutMs: 0, deadlineMs: 200 });
    // A trickle of bytes keeps the idle clock happy, but the deadline still applies.
    const trickle = setInterval(() => void right.send(Uint8Array.of(1)).catch(() => undefined), 20);
    const receiveUntilFailure = async (): Promise<unknown> => {
      for (;;) await left.receive();
    };
    await expect(receiveUntilFailure()).rejects.toThrow(DeadlineExceededError);
    clearInterval(trickle);
    await expect(left.send(Uint8Array.of(1))).rejects.toThrow(DeadlineExceededError);
    right.destroy();
  });

  it("reports a peer that dies in the middle of a frame", async () => {
    const { channel, raw, cleanup } = await channelWithRawPeer();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_000);
    raw.write(Buffer.concat([header, Buffer.alloc(10)]));
    setTimeout(() => raw.destroy(), 50);
    const failure = channel.receive();
    await expect(failure).rejects.toThrow(PeerClosedError);
    await expect(failure).rejects.toThrow(/middle of a frame \(10 of 1000 payload bytes/);
    await cleanup();
  });

  it("rejects an oversize frame from the peer and refuses to send one", async () => {
    const { channel, raw, cleanup } = await channelWithRawPeer({ maxFrameBytes: 1_024 });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_025);
    raw.write(header);
    await expect(channel.receive()).rejects.toThrow(FrameTooLargeError);
    await cleanup();

    const [left, right] = await loopbackChannelPair({ maxFrameBytes: 1_024 });
    await expect(left.send(new Uint8Array(1_025))).rejects.toThrow(FrameTooLargeError);
    await closeBoth(left, right);
  });

  it("closes cleanly: queued frames are still read, then the peer's close is reported", async () => {
    const [left, right] = await loopbackChannelPair();
    await left.send(Uint8Array.of(1, 2, 3));
    await left.send(new Uint8Array(300_000));
    const closing = left.close();
    await expect(right.receive()).resolves.toEqual(Uint8Array.of(1, 2, 3));
    await expect(right.receive()).resolves.toHaveLength(300_000);
    await expect(right.receive()).rejects.toThrow(/peer closed the connection/);
    await right.close();
    await closing;
    await expect(left.send(Uint8Array.of(1))).rejects.toThrow(ChannelClosedError);
  });

  it("exchanges first messages (the protocol header slot) from both sides at once", async () => {
    const [left, right] = await loopbackChannelPair();
    const [fromRight, fromLeft] = await Promise.all([
      exchangeFirstMessages(left, new TextEncoder().encode("garbler")),
      exchangeFirstMessages(right, new TextEncoder().encode("evaluator")),
    ]);
    expect(new TextDecoder().decode(fromRight)).toBe("evaluator");
    expect(new TextDecoder().decode(fromLeft)).toBe("garbler");
    await closeBoth(left, right);
  });
});

describe("in-memory channel pair", () => {
  it("carries frames and reports a destroyed peer", async () => {
    const [left, right] = memoryChannelPair();
    await left.send(Uint8Array.of(9, 8));
    await expect(right.receive()).resolves.toEqual(Uint8Array.of(9, 8));
    const waiting = right.receive();
    left.destroy();
    await expect(waiting).rejects.toThrow(PeerClosedError);
  });
});
