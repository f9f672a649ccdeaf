import { afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import type { CircuitProgram } from "../../src/circuit/backend.js";
import { messagePortSink, messagePortSource } from "../../src/circuit/messagePortStream.js";
import { socketSink, socketSource } from "../../src/circuit/socketStream.js";
import { relayPortToSocket, relaySocketToPort } from "../../src/circuit/streamRelay.js";
import { garbleOver, seededRandom } from "./harness.js";

const randomBits = (count: number, seed: number) => {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: count }, () => (random() < 0.5 ? 1 : 0));
};
// Several AND layers, enough tables (≈ 2.6 MB) to span many chunks and socket reads.
const program: CircuitProgram = async (backend, [x, y]) => {
  let value = x;
  for (let round = 0; round < 4; round++) value = backend.xor(await backend.and(value, y), x);
  return [value];
};
const expected = (a: Uint8Array, b: Uint8Array) => a.map((bit, i) => {
  let value = bit;
  for (let round = 0; round < 4; round++) value = (value & b[i]) ^ bit;
  return value;
});

const cleanups: Array<() => void> = [];
afterEach(() => { while (cleanups.length > 0) cleanups.pop()!(); });

async function socketPair(): Promise<[Socket, Socket]> {
  const dir = mkdtempSync(join(tmpdir(), "catalyst-stream-"));
  const path = join(dir, "tables.sock");
  let server: Server | undefined;
  const accepted = new Promise<Socket>((resolve) => { server = createServer(resolve); });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  const client = await new Promise<Socket>((resolve) => { const socket = createConnection(path, () => resolve(socket)); });
  const serverSide = await accepted;
  cleanups.push(() => { client.destroy(); serverSide.destroy(); server!.close(); rmSync(dir, { recursive: true, force: true }); });
  return [client, serverSide];
}

function portPair(): [MessagePort, MessagePort] {
  const channel = new MessageChannel();
  cleanups.push(() => { channel.port1.close(); channel.port2.close(); });
  return [channel.port1, channel.port2];
}

describe("table streams over real transports", () => {
  const a = randomBits(20_000, 1);
  const b = randomBits(20_000, 2);

  it("garbles over a Unix-domain socket", async () => {
    const [garblerSide, evaluatorSide] = await socketPair();
    const outputs = await garbleOver(program, [a, b], socketSink(garblerSide, 1 << 16), socketSource(evaluatorSide));
    expect(Array.from(outputs[0])).toEqual(Array.from(expected(a, b)));
  });

  it("garbles over a MessagePort with credit-based back-pressure", async () => {
    const [garblerPort, evaluatorPort] = portPair();
    const outputs = await garbleOver(program, [a, b], messagePortSink(garblerPort, 2), messagePortSource(evaluatorPort));
    expect(Array.from(outputs[0])).toEqual(Array.from(expected(a, b)));
  });

  it("garbles through the relays: port → socket → port", async () => {
    const [garblerPort, garblerRelayPort] = portPair();
    const [evaluatorPort, evaluatorRelayPort] = portPair();
    const [garblerSocket, evaluatorSocket] = await socketPair();
    const relayed = Promise.all([relayPortToSocket(garblerRelayPort, garblerSocket), relaySocketToPort(evaluatorSocket, evaluatorRelayPort, 4)]);
    const outputs = await garbleOver(program, [a, b], messagePortSink(garblerPort, 2), messagePortSource(evaluatorPort));
    await relayed;
    expect(Array.from(outputs[0])).toEqual(Array.from(expected(a, b)));
  });
});
