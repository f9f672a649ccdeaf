/**
 * MessagePortChannel + ChannelPortRelay: the channel a compute worker sees, relayed to a real loopback TCP
 * channel. Frames keep their order and bytes, memory stays within the windows, and failures, timeouts and
 * close reach the right side with their class.
 */
import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { MessageChannel as PortPair } from "node:worker_threads";
import { ChannelPortRelay } from "../../src/transport/channelPortRelay.js";
import { restoreError, transferableError } from "../../src/transport/errorTransfer.js";
import { IdleTimeoutError, PeerClosedError, ProtocolError } from "../../src/transport/errors.js";
import { MessagePortChannel, type MessagePortChannelOptions } from "../../src/transport/messagePortChannel.js";
import { InputError } from "../../src/share/errors.js";
import { closeBoth, loopbackChannelPair } from "./loopback.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** A worker-side channel relayed onto one end of a TCP pair; `peer` is the other end. */
async function relayed(options: MessagePortChannelOptions = {}, relayWindow?: number) {
  const [near, peer] = await loopbackChannelPair({ idleTimeoutMs: 0 });
  const { port1, port2 } = new PortPair();
  const failures: Error[] = [];
  const relay = new ChannelPortRelay(near, port1, { receiveWindowBytes: relayWindow, onFailure: (error) => failures.push(error) });
  const channel = new MessagePortChannel(port2, { label: "worker", ...options });
  const cleanup = async () => {
    relay.stop();
    port1.close();
    port2.close();
    await closeBoth(near, peer);
  };
  return { channel, near, peer, relay, failures, cleanup };
}

describe("MessagePortChannel relayed to TCP", () => {
  it("carries frames of many sizes in order both ways, copying small reused buffers and moving large ones", async () => {
    const { channel, peer, cleanup } = await relayed({ transferMinBytes: 1024 });
    try {
      const sizes = [0, 1, 100, 1023, 1024, 65_536, 1 << 20, 3, 0];
      const outgoing = sizes.map((size) => new Uint8Array(randomBytes(size)));
      const expected = outgoing.map(hex);
      const reused = new Uint8Array([1, 2, 3]);
      const sending = (async () => {
        for (const message of outgoing) await channel.send(message);
        await channel.send(reused);
        reused[0] = 9; // a small message was copied, so this must not reach the peer
        channel.flush();
      })();
      const received: string[] = [];
      for (let index = 0; index <= sizes.length; index++) received.push(hex(await peer.receive()));
      await sending;
      expect(received).toEqual([...expected, "010203"]);
      // Large messages were moved to the relay: the sender's view is detached.
      expect(outgoing[6].byteLength).toBe(0);

      const back = sizes.map((size) => new Uint8Array(randomBytes(size)));
      for (const message of back) await peer.send(message);
      peer.flush();
      for (const message of back) expect(hex(await channel.receive())).toBe(hex(message));
      expect(channel.counters().framesSent).toBe(sizes.length + 1);
      expect(channel.counters().framesReceived).toBe(sizes.length);
    } finally {
      await cleanup();
    }
  });

  it("keeps the bytes it holds within the send and receive windows", async () => {
    const window = 256 * 1024;
    const { channel, peer, cleanup } = await relayed({ sendWindowBytes: window, creditBatchBytes: 16 * 1024 }, window);
    try {
      const frame = 32 * 1024;
      const count = 200;
      // The peer floods 6 MB; the relay must stop reading once the worker holds a window's worth unconsumed.
      for (let index = 0; index < count; index++) await peer.send(new Uint8Array(frame).fill(index & 0xff));
      peer.flush();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(channel.bufferedBytes().received).toBeLessThanOrEqual(window + frame);
      let maxHeld = 0;
      for (let index = 0; index < count; index++) {
        const message = await channel.receive();
        expect(message[0]).toBe(index & 0xff);
        maxHeld = Math.max(maxHeld, channel.bufferedBytes().received);
      }
      expect(maxHeld).toBeLessThanOrEqual(window + frame);

      // Sending: `send` waits while a window's worth is posted but not yet accepted by the real channel.
      let maxInFlight = 0;
      const sending = (async () => {
        for (let index = 0; index < count; index++) {
          await channel.send(new Uint8Array(frame).fill(index & 0xff));
          maxInFlight = Math.max(maxInFlight, channel.bufferedBytes().toSend);
        }
        channel.flush();
      })();
      for (let index = 0; index < count; index++) expect((await peer.receive())[0]).toBe(index & 0xff);
      await sending;
      expect(maxInFlight).toBeLessThan(window + 2 * frame);
    } finally {
      await cleanup();
    }
  });

  it("counts a transferred frame against the send window by its length, not by its emptied view", async () => {
    const window = 1 << 20;
    const { channel, peer, cleanup } = await relayed({ sendWindowBytes: window });
    try {
      // 256 KB frames own their buffers, so they are transferred to the relay (transferMinBytes is 64 KB).
      const frame = 256 * 1024, count = 40;
      let maxInFlight = 0, minInFlight = 0;
      const sending = (async () => {
        for (let index = 0; index < count; index++) {
          await channel.send(new Uint8Array(frame).fill(index));
          maxInFlight = Math.max(maxInFlight, channel.bufferedBytes().toSend);
          minInFlight = Math.min(minInFlight, channel.bufferedBytes().toSend);
        }
        channel.flush();
      })();
      for (let index = 0; index < count; index++) expect((await peer.receive())[0]).toBe(index);
      await sending;
      expect(minInFlight).toBeGreaterThanOrEqual(0);
      expect(maxInFlight).toBeGreaterThanOrEqual(frame);
      expect(maxInFlight).toBeLessThan(window + 2 * frame);
      expect(channel.counters().bytesSent).toBe(count * (frame + 4));
    } finally {
      await cleanup();
    }
  });

  it("hands a buffer sent with sendReleasing back once written, to be filled again without the peer seeing it change", async () => {
    const { channel, peer, cleanup } = await relayed({ sendWindowBytes: 1 << 20 });
    try {
      const frame = 128 * 1024, count = 60;
      const spares: ArrayBuffer[] = [];
      let allocated = 0;
      const sending = (async () => {
        for (let index = 0; index < count; index++) {
          const buffer = spares.pop() ?? (allocated++, new ArrayBuffer(frame));
          // The whole buffer is filled anew, and only part of it sent: the rest must stay the sender's concern.
          const bytes = new Uint8Array(buffer).fill(index);
          await channel.sendReleasing!(bytes.subarray(0, frame - index), (returned) => spares.push(returned));
        }
        channel.flush();
      })();
      for (let index = 0; index < count; index++) {
        const received = await peer.receive();
        expect(received.length).toBe(frame - index);
        expect(received.every((byte) => byte === index)).toBe(true);
      }
      await sending;
      // Buffers came back while sending went on: far fewer were made than frames sent.
      expect(allocated).toBeLessThan(count / 2);
    } finally {
      await cleanup();
    }
  });

  it("a peer that hangs up fails the worker's pending receive with PeerClosedError, after the frames it sent", async () => {
    const { channel, peer, failures, cleanup } = await relayed();
    try {
      await peer.send(new Uint8Array([7]));
      peer.flush();
      peer.destroy();
      expect(Array.from(await channel.receive())).toEqual([7]);
      await expect(channel.receive()).rejects.toBeInstanceOf(PeerClosedError);
      // Sticky, as on a StreamChannel.
      await expect(channel.send(new Uint8Array(1))).rejects.toBeInstanceOf(PeerClosedError);
      expect(failures[0]).toBeInstanceOf(PeerClosedError);
    } finally {
      await cleanup();
    }
  });

  it("times out in the worker when the peer goes quiet, and tears the real channel down", async () => {
    const { channel, peer, cleanup } = await relayed({ idleTimeoutMs: 300 });
    try {
      const started = Date.now();
      await expect(channel.receive()).rejects.toBeInstanceOf(IdleTimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      // The relay destroyed the TCP channel, so the peer hears of it rather than waiting forever.
      await expect(peer.receive()).rejects.toBeInstanceOf(Error);
    } finally {
      await cleanup();
    }
  });

  it("a protocol error in the worker reaches the real channel: the peer sees the connection end", async () => {
    const { channel, peer, cleanup } = await relayed();
    try {
      await peer.send(new Uint8Array(5));
      peer.flush();
      await expect(channel.receiveExactly(4, "hello")).rejects.toBeInstanceOf(ProtocolError);
      await expect(peer.receive()).rejects.toBeInstanceOf(PeerClosedError);
    } finally {
      await cleanup();
    }
  });

  it("close waits until everything sent has been written, then closes the real channel", async () => {
    const { channel, peer, cleanup } = await relayed();
    try {
      for (let index = 0; index < 50; index++) await channel.send(new Uint8Array(100_000).fill(index));
      const closing = channel.close();
      for (let index = 0; index < 50; index++) expect((await peer.receive())[99_999]).toBe(index);
      await peer.close(1_000);
      await closing;
      await expect(channel.receive()).rejects.toThrow(/after close/);
    } finally {
      await cleanup();
    }
  });
});

describe("errors across a thread boundary", () => {
  it("keep their class, code, exit code and location", () => {
    const original = new InputError("bad cell", { file: "a.csv", line: 3, column: 7 }, "bad-value");
    const restored = restoreError(structuredClone(transferableError(original)));
    expect(restored).toBeInstanceOf(InputError);
    expect(restored.message).toBe("bad cell");
    expect((restored as InputError).code).toBe("bad-value");
    expect((restored as InputError).exitCode).toBe(original.exitCode);
    expect((restored as InputError).location).toEqual({ file: "a.csv", line: 3, column: 7 });
  });

  it("fall back to the nearest class the receiver knows", () => {
    class WorkerOnlyError extends PeerClosedError {}
    const restored = restoreError(structuredClone(transferableError(new WorkerOnlyError("gone"))));
    expect(restored).toBeInstanceOf(PeerClosedError);
    expect(restored.message).toBe("gone");
    expect(restoreError(transferableError("just a string")).message).toBe("just a string");
  });
});
