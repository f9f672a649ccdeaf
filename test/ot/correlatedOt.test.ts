import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { getBit } from "../../src/ot/bits.js";
import { ChosenOtReceiver, ChosenOtSender } from "../../src/ot/chosenOt.js";
import { CorrelatedOtReceiver, CorrelatedOtSender } from "../../src/ot/correlatedOt.js";
import { evaluatorInputLabels, garblerInputLabels } from "../../src/ot/inputLabels.js";
import { RandomOtReceiver, RandomOtSender, randomOtReceiveAll, randomOtSendAll } from "../../src/ot/randomOt.js";
import type { StreamChannel } from "../../src/transport/streamChannel.js";
import { ProtocolError } from "../../src/transport/errors.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";
import { closeBoth, loopbackChannelPair } from "../transport/loopback.js";

const block = (bytes: Uint8Array, i: number): Buffer => Buffer.from(bytes.subarray(16 * i, 16 * i + 16));
const xorBlock = (a: Buffer, b: Uint8Array): Buffer => Buffer.from(a.map((byte, k) => byte ^ b[k]));

function freshDelta(): Uint8Array {
  const delta = Uint8Array.from(randomBytes(16));
  delta[0] |= 1; // point-and-permute bit, as the garbler's free-XOR offset has it
  return delta;
}

async function correlatedPair(channels: [StreamChannel, StreamChannel], delta: Uint8Array): Promise<[CorrelatedOtSender, CorrelatedOtReceiver]> {
  return Promise.all([CorrelatedOtSender.setup(channels[0], delta), CorrelatedOtReceiver.setup(channels[1])]);
}

describe("IKNP correlated OT", () => {
  it("gives the receiver K_i xor b_i·Δ on random choices, across chunks and repeated extends", async () => {
    const channels = await loopbackChannelPair();
    const delta = freshDelta();
    const [sender, receiver] = await correlatedPair(channels, delta);
    for (const [count, chunkOts] of [[1000, 256], [4097, 1 << 16], [33, 32], [1, 64]]) {
      const choices = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
      const [keys, received] = await Promise.all([
        sender.extendAll(count, { chunkOts }),
        receiver.extendAll(count, choices, { chunkOts }),
      ]);
      expect(keys.length).toBe(16 * count);
      for (let i = 0; i < count; i++) {
        const expected = getBit(choices, i) ? xorBlock(block(keys, i), delta) : block(keys, i);
        expect(block(received, i).equals(expected)).toBe(true);
      }
      // The blocks are pseudo-random, not a degenerate constant.
      expect(new Set(Array.from({ length: Math.min(count, 50) }, (_, i) => block(keys, i).toString("hex"))).size).toBe(Math.min(count, 50));
    }
    await closeBoth(...channels);
  });

  it("streams chunks to a callback, with choices supplied per chunk", async () => {
    const channels = memoryChannelPair();
    const delta = freshDelta();
    const [sender, receiver] = await correlatedPair(channels, delta);
    const count = 5000;
    const choices = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
    const seenSender: number[] = [];
    const keys = new Uint8Array(16 * count);
    const received = new Uint8Array(16 * count);
    await Promise.all([
      sender.extend(count, (chunk, first, size) => {
        seenSender.push(size);
        keys.set(chunk, 16 * first);
      }, { chunkOts: 2048 }),
      receiver.extend(
        count,
        (first, size) => {
          const bits = new Uint8Array(Math.ceil(size / 8));
          for (let i = 0; i < size; i++) bits[i >> 3] |= getBit(choices, first + i) << (i & 7);
          return bits;
        },
        (chunk, first) => received.set(chunk, 16 * first),
        { chunkOts: 2048 },
      ),
    ]);
    expect(seenSender).toEqual([2048, 2048, 904]);
    for (let i = 0; i < count; i++) {
      expect(block(received, i).equals(getBit(choices, i) ? xorBlock(block(keys, i), delta) : block(keys, i))).toBe(true);
    }
    channels[0].destroy();
  });

  it("shows the sender a transcript whose length does not depend on the choices", async () => {
    const transcript = async (choices: Uint8Array): Promise<string> => {
      const channels = memoryChannelPair();
      const [sender, receiver] = await correlatedPair(channels, freshDelta());
      await Promise.all([sender.extendAll(3000, { chunkOts: 1024 }), receiver.extendAll(3000, choices, { chunkOts: 1024 })]);
      const counters = channels[0].counters();
      channels[0].destroy();
      return JSON.stringify(counters);
    };
    const allZero = await transcript(new Uint8Array(375));
    const allOne = await transcript(new Uint8Array(375).fill(0xff));
    const random = await transcript(Uint8Array.from(randomBytes(375)));
    expect(allOne).toBe(allZero);
    expect(random).toBe(allZero);
    // After the base OTs: 16 bytes per OT (each chunk padded to a multiple of 128 OTs) plus a 4-byte header per chunk.
    const { bytesReceived } = JSON.parse(allZero) as { bytesReceived: number };
    // The extension's sender is the base OTs' receiver: it receives one point and sends 128.
    const baseOtBytes = 4 + 32;
    expect(bytesReceived - baseOtBytes).toBe(16 * (1024 + 1024 + 1024) + 3 * 4);
  });

  it("fails clearly when the two sides disagree on the chunk size", async () => {
    const channels = memoryChannelPair();
    const [sender, receiver] = await correlatedPair(channels, freshDelta());
    const outcome = Promise.all([sender.extendAll(1000, { chunkOts: 512 }), receiver.extendAll(1000, new Uint8Array(125), { chunkOts: 256 })]);
    await expect(outcome).rejects.toThrow(ProtocolError);
    channels[0].destroy();
  });
});

describe("random and chosen-message OT on top", () => {
  it("gives the receiver the pad it chose and the sender two distinct pads", async () => {
    const channels = memoryChannelPair();
    const [sender, receiver] = await Promise.all([RandomOtSender.setup(channels[0]), RandomOtReceiver.setup(channels[1])]);
    const count = 777;
    const choices = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
    const [{ pads0, pads1 }, pads] = await Promise.all([
      randomOtSendAll(sender, count, { chunkOts: 256 }),
      randomOtReceiveAll(receiver, count, choices, { chunkOts: 256 }),
    ]);
    for (let i = 0; i < count; i++) {
      const chosen = getBit(choices, i) ? pads1 : pads0;
      const other = getBit(choices, i) ? pads0 : pads1;
      expect(block(pads, i).equals(block(chosen, i))).toBe(true);
      expect(block(pads, i).equals(block(other, i))).toBe(false);
      // Hashing removed the correlation: the two pads do not differ by one fixed offset.
      if (i > 0) expect(xorBlock(block(pads0, i), block(pads1, i)).equals(xorBlock(block(pads0, 0), block(pads1, 0)))).toBe(false);
    }
    channels[0].destroy();
  });

  it("transfers exactly the chosen messages", async () => {
    const channels = memoryChannelPair();
    const [sender, receiver] = await Promise.all([ChosenOtSender.setup(channels[0]), ChosenOtReceiver.setup(channels[1])]);
    const count = 600;
    const messages0 = Uint8Array.from(randomBytes(16 * count));
    const messages1 = Uint8Array.from(randomBytes(16 * count));
    const choices = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
    const [, chosen] = await Promise.all([
      sender.send(messages0, messages1, count, { chunkOts: 256 }),
      receiver.receive(choices, count, { chunkOts: 256 }),
    ]);
    for (let i = 0; i < count; i++) {
      expect(block(chosen, i).equals(block(getBit(choices, i) ? messages1 : messages0, i))).toBe(true);
    }
    channels[0].destroy();
  });
});

describe("input hand-off into garbling", () => {
  it("gives the evaluator the label of v = sG xor sE for every shared input bit", async () => {
    const channels = await loopbackChannelPair();
    const delta = freshDelta();
    const [sender, receiver] = await correlatedPair(channels, delta);
    const count = 2500;
    const garblerShares = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
    const evaluatorShares = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
    const [zeroLabels, labels] = await Promise.all([
      garblerInputLabels(sender, garblerShares, count, { chunkOts: 1024 }),
      evaluatorInputLabels(receiver, evaluatorShares, count, { chunkOts: 1024 }),
    ]);
    expect(labels.length).toBe(16 * count);
    for (let i = 0; i < count; i++) {
      const value = getBit(garblerShares, i) ^ getBit(evaluatorShares, i);
      const expected = value ? xorBlock(block(zeroLabels, i), delta) : block(zeroLabels, i);
      expect(block(labels, i).equals(expected)).toBe(true);
      // Point-and-permute: the evaluator's label bit is the 0-label's bit xor v, since Δ has its low bit set.
      expect((labels[16 * i] & 1) ^ (zeroLabels[16 * i] & 1)).toBe(value);
    }
    await closeBoth(...channels);
  });

  it("refuses a Δ without its point-and-permute bit", async () => {
    const channels = memoryChannelPair();
    const delta = freshDelta();
    delta[0] &= 0xfe;
    const [sender] = await correlatedPair(channels, delta);
    await expect(garblerInputLabels(sender, new Uint8Array(1), 8)).rejects.toThrow(/point-and-permute/);
    channels[0].destroy();
  });
});
