/**
 * Random 1-out-of-2 OT on top of correlated OT: the sender gets pads (H(K_i, i), H(K_i xor Δ, i)), the
 * receiver with choice b_i gets H(K_i xor b_i·Δ, i) — the pad it chose, and nothing about the other.
 * Uses a fresh random Δ and a fresh hash key per session (the sender picks the key and sends it: the
 * hash key is public, only Δ must stay secret).
 */
import { randomBytes } from "node:crypto";
import type { MessageChannel } from "../transport/channel.js";
import { BLOCK_BYTES, xorDeltaWhereBitSet } from "./blocks.js";
import { CorrelatedOtReceiver, CorrelatedOtSender, type ChoiceSource, type ExtendOptions } from "./correlatedOt.js";
import { CorrelationRobustHash } from "./correlationRobustHash.js";
import { packedByteLength } from "./bits.js";

export type PadPairConsumer = (pads0: Uint8Array, pads1: Uint8Array, firstIndex: number, count: number) => void | Promise<void>;
export type PadConsumer = (pads: Uint8Array, firstIndex: number, count: number) => void | Promise<void>;

function allOnes(count: number): Uint8Array {
  return new Uint8Array(packedByteLength(count)).fill(0xff);
}

export class RandomOtSender {
  private nextIndex = 0;

  private constructor(
    private readonly correlated: CorrelatedOtSender,
    private readonly hash: CorrelationRobustHash,
  ) {}

  static async setup(channel: MessageChannel): Promise<RandomOtSender> {
    const hashKey = randomBytes(16);
    await channel.send(Uint8Array.from(hashKey));
    const correlated = await CorrelatedOtSender.setup(channel, randomBytes(16));
    return new RandomOtSender(correlated, new CorrelationRobustHash(hashKey));
  }

  async extend(count: number, onChunk: PadPairConsumer, options: ExtendOptions = {}): Promise<void> {
    const base = this.nextIndex;
    this.nextIndex += count;
    await this.correlated.extend(
      count,
      async (keys, first, size) => {
        const pads0 = this.hash.hash(keys, base + first);
        xorDeltaWhereBitSet(keys, allOnes(size), 0, size, this.correlated.delta);
        const pads1 = this.hash.hash(keys, base + first);
        await onChunk(pads0, pads1, first, size);
      },
      options,
    );
  }
}

export class RandomOtReceiver {
  private nextIndex = 0;

  private constructor(
    private readonly correlated: CorrelatedOtReceiver,
    private readonly hash: CorrelationRobustHash,
  ) {}

  static async setup(channel: MessageChannel): Promise<RandomOtReceiver> {
    const hashKey = await channel.receiveExactly(16, "random OT hash key");
    const correlated = await CorrelatedOtReceiver.setup(channel);
    return new RandomOtReceiver(correlated, new CorrelationRobustHash(hashKey));
  }

  async extend(count: number, choices: ChoiceSource, onChunk: PadConsumer, options: ExtendOptions = {}): Promise<void> {
    const base = this.nextIndex;
    this.nextIndex += count;
    await this.correlated.extend(
      count,
      choices,
      async (blocks, first, size) => {
        await onChunk(this.hash.hash(blocks, base + first), first, size);
      },
      options,
    );
  }
}

/** Convenience for tests and small counts: all pads at once. */
export async function randomOtSendAll(sender: RandomOtSender, count: number, options: ExtendOptions = {}): Promise<{ pads0: Uint8Array; pads1: Uint8Array }> {
  const pads0 = new Uint8Array(count * BLOCK_BYTES);
  const pads1 = new Uint8Array(count * BLOCK_BYTES);
  await sender.extend(count, (zero, one, first) => {
    pads0.set(zero, first * BLOCK_BYTES);
    pads1.set(one, first * BLOCK_BYTES);
  }, options);
  return { pads0, pads1 };
}

export async function randomOtReceiveAll(receiver: RandomOtReceiver, count: number, choices: Uint8Array, options: ExtendOptions = {}): Promise<Uint8Array> {
  const pads = new Uint8Array(count * BLOCK_BYTES);
  await receiver.extend(count, choices, (chunk, first) => pads.set(chunk, first * BLOCK_BYTES), options);
  return pads;
}
