import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { randomPermutation, routeWaksman, waksmanNetwork, waksmanSwitchCount } from "../../src/ot/permutationNetwork.js";
import { permuteRowsAsHolder, permuteRowsAsPermuter } from "../../src/ot/permuteAndShare.js";
import { RandomOtReceiver, RandomOtSender, randomOtReceiveAll, randomOtSendAll } from "../../src/ot/randomOt.js";
import { permuteRows, SharedRowShuffler, shuffleTrafficBytes } from "../../src/ot/sharedShuffle.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";

const xor = (a: Uint8Array, b: Uint8Array) => a.map((byte, index) => byte ^ b[index]);
const rowsOf = (bytes: Uint8Array, rowBytes: number) => Array.from({ length: bytes.length / rowBytes }, (_, row) => Buffer.from(bytes.subarray(row * rowBytes, (row + 1) * rowBytes)).toString("hex"));

describe("random OT with long pads", () => {
  it("gives the receiver the chosen pad of every block, and distinct tweaks for every block", async () => {
    const [senderChannel, receiverChannel] = memoryChannelPair();
    const [sender, receiver] = await Promise.all([RandomOtSender.setup(senderChannel), RandomOtReceiver.setup(receiverChannel)]);
    const count = 300;
    const choices = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
    const [pads, received] = await Promise.all([randomOtSendAll(sender, count, { padBlocks: 3, chunkOts: 128 }), randomOtReceiveAll(receiver, count, choices, { padBlocks: 3, chunkOts: 128 })]);
    expect(received.length).toBe(count * 48);
    for (let i = 0; i < count; i++) {
      const chosen = (choices[i >>> 3] >>> (i & 7)) & 1 ? pads.pads1 : pads.pads0;
      const other = chosen === pads.pads1 ? pads.pads0 : pads.pads1;
      expect(Buffer.from(received.subarray(48 * i, 48 * i + 48)).equals(Buffer.from(chosen.subarray(48 * i, 48 * i + 48)))).toBe(true);
      expect(Buffer.from(received.subarray(48 * i, 48 * i + 48)).equals(Buffer.from(other.subarray(48 * i, 48 * i + 48)))).toBe(false);
    }
    // The three blocks of one pad differ (each has a tweak of its own), and so do pads of different OTs.
    expect(new Set(rowsOf(pads.pads0, 16)).size).toBe(3 * count);
    senderChannel.destroy();
    receiverChannel.destroy();
  });
});

describe("permute-and-share over a Waksman network", () => {
  it("leaves the permuter π(X) ⊕ R and the holder R, for the permutation the permuter routed", async () => {
    for (const [rowCount, rowBytes] of [[2, 4], [7, 8], [64, 4], [1000, 12]]) {
      const [holderChannel, permuterChannel] = memoryChannelPair();
      const [sender, receiver] = await Promise.all([RandomOtSender.setup(holderChannel), RandomOtReceiver.setup(permuterChannel)]);
      const rows = Uint8Array.from(randomBytes(rowCount * rowBytes));
      const permutation = randomPermutation(rowCount);
      const layers = waksmanNetwork(rowCount);
      const [holderShare, permuterShare] = await Promise.all([
        permuteRowsAsHolder(holderChannel, sender, layers, rows.slice(), rowBytes),
        permuteRowsAsPermuter(permuterChannel, receiver, layers, routeWaksman(permutation), rowCount, rowBytes),
      ]);
      expect(xor(holderShare, permuterShare)).toEqual(permuteRows(rows, permutation, rowBytes));
      // Neither share alone is the permuted rows.
      if (rowCount > 2) expect(holderShare).not.toEqual(permuteRows(rows, permutation, rowBytes));
      holderChannel.destroy();
      permuterChannel.destroy();
    }
  });
});

describe("shared shuffle", () => {
  it("shuffles shared rows into fresh shares of a permutation of them, the same traffic whatever the rows", async () => {
    const rowCount = 333, rowBytes = 8;
    const traffic: number[][] = [];
    for (const trial of [0, 1]) {
      const [first, second] = memoryChannelPair();
      const [garbler, evaluator] = await Promise.all([SharedRowShuffler.setup(first, "first"), SharedRowShuffler.setup(second, "second")]);
      // Distinct rows (the index in the first word) so that the permutation can be read off.
      const values = Uint8Array.from(randomBytes(rowCount * rowBytes));
      for (let row = 0; row < rowCount; row++) new DataView(values.buffer).setUint32(row * rowBytes, trial === 0 ? row : 7 * row + 1, true);
      const garblerShare = Uint8Array.from(randomBytes(rowCount * rowBytes));
      const evaluatorShare = xor(values, garblerShare);
      const setupBytes = first.counters().bytesSent + second.counters().bytesSent;
      const [shuffledGarbler, shuffledEvaluator] = await Promise.all([garbler.shuffle(garblerShare.slice(), rowCount, rowBytes), evaluator.shuffle(evaluatorShare.slice(), rowCount, rowBytes)]);
      const shuffled = xor(shuffledGarbler, shuffledEvaluator);
      expect(rowsOf(shuffled, rowBytes).sort()).toEqual(rowsOf(values, rowBytes).sort());
      expect(rowsOf(shuffled, rowBytes)).not.toEqual(rowsOf(values, rowBytes));
      // Fresh shares: neither party's new share is its old one permuted, nor the values.
      expect(rowsOf(shuffledGarbler, rowBytes).sort()).not.toEqual(rowsOf(garblerShare, rowBytes).sort());
      expect(rowsOf(shuffledEvaluator, rowBytes).sort()).not.toEqual(rowsOf(values, rowBytes).sort());
      const shuffleBytes = first.counters().bytesSent + second.counters().bytesSent - setupBytes;
      traffic.push([first.counters().framesSent, second.counters().framesSent, shuffleBytes]);
      // The counting backend's estimate is the payload (frame headers aside).
      const frames = first.counters().framesSent + second.counters().framesSent;
      expect(shuffleBytes).toBeGreaterThanOrEqual(shuffleTrafficBytes(rowCount, rowBytes));
      expect(shuffleBytes).toBeLessThanOrEqual(shuffleTrafficBytes(rowCount, rowBytes) + 4 * frames + 2 * 16 * 128 * 2);
      first.destroy();
      second.destroy();
    }
    expect(traffic[1]).toEqual(traffic[0]);
    expect(waksmanSwitchCount(rowCount)).toBeGreaterThan(rowCount);
  });
});
