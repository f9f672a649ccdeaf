/**
 * The garbled-table stream as `catalyst compute` carries it: from the garbler's worker thread over its port
 * channel, relayed onto a real socket by the main thread, and back out to the evaluator's worker port.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { MessageChannel as PortPair } from "node:worker_threads";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import type { MessageChannel } from "../../src/transport/channel.js";
import { channelByteSink, channelByteSource } from "../../src/transport/channelByteStream.js";
import { ChannelPortRelay } from "../../src/transport/channelPortRelay.js";
import { MessagePortChannel } from "../../src/transport/messagePortChannel.js";
import { closeBoth, loopbackChannelPair } from "../transport/loopback.js";
import { garbleOver, seededRandom } from "./harness.js";

const randomBits = (count: number, seed: number) => {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: count }, () => (random() < 0.5 ? 1 : 0));
};
// Enough AND layers (≈ 20 MB of tables) for many 1 MiB chunks, so that written ones come back to be filled again.
const ROUNDS = 32;
const program: CircuitProgram = async (backend, [x, y]) => {
  let value = x;
  for (let round = 0; round < ROUNDS; round++) value = backend.xor(await backend.and(value, y), x);
  return [value];
};
const expected = (a: Uint8Array, b: Uint8Array) => a.map((bit, i) => {
  let value = bit;
  for (let round = 0; round < ROUNDS; round++) value = (value & b[i]) ^ bit;
  return value;
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()!(); });

/** One party's worker-side channel, relayed to `real` as compute does (small windows, to make them hold). */
function relayedPortChannel(real: MessageChannel, label: string): MessagePortChannel {
  const { port1, port2 } = new PortPair();
  const relay = new ChannelPortRelay(real, port2, { receiveWindowBytes: 1 << 20 });
  const channel = new MessagePortChannel(port1, { label, idleTimeoutMs: 10_000, sendWindowBytes: 1 << 20 });
  cleanups.push(() => { relay.stop(); port1.close(); port2.close(); });
  return channel;
}

describe("the table stream over the compute path", () => {
  it("garbles worker to worker through the relays and a TCP socket, reusing the garbler's table buffers", async () => {
    const a = randomBits(20_000, 1);
    const b = randomBits(20_000, 2);
    const [garblerSocket, evaluatorSocket] = await loopbackChannelPair({ idleTimeoutMs: 0 });
    cleanups.push(() => closeBoth(garblerSocket, evaluatorSocket));
    const garblerChannel = relayedPortChannel(garblerSocket, "garbler");
    const evaluatorChannel = relayedPortChannel(evaluatorSocket, "evaluator");
    const sink = channelByteSink(garblerChannel);
    let reused = 0;
    const spareChunk = sink.spareChunk!;
    sink.spareChunk = (bytes) => { const spare = spareChunk(bytes); if (spare) reused++; return spare; };
    const outputs = await garbleOver(program, [a, b], sink, channelByteSource(evaluatorChannel));
    expect(Array.from(outputs[0])).toEqual(Array.from(expected(a, b)));
    expect(reused).toBeGreaterThan(0);
  });
});
