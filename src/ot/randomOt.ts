/**
 * Random 1-out-of-2 OT on top of correlated OT: the sender gets pads (H(K_i, i), H(K_i xor Δ, i)), the
 * receiver with choice b_i gets H(K_i xor b_i·Δ, i) — the pad it chose, and nothing about the other.
 * Uses a fresh random Δ and a fresh hash key per session (the sender picks the key and sends it: the
 * hash key is public, only Δ must stay secret). A pad may be several blocks long (`padBlocks`): block j of
 * OT i hashes the same COT block under its own tweak, so one COT serves a message of any length.
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

export interface RandomOtOptions extends ExtendOptions {
  /** 16-byte blocks per pad (default 1). */
  padBlocks?: number;
}

function padBlocksOf(options: RandomOtOptions): number {
  const blocks = options.padBlocks ?? 1;
  if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError(`a pad is a whole number of blocks, not ${blocks}`);
  return blocks;
}

export class RandomOtSender {
  /** Tweaks are counted in pad blocks, so every block hashed in a session has its own. */
  private nextTweak = 0;

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

  /** `count` OTs; pads are `padBlocks` blocks each, OT i's at bytes [16·padBlocks·i, 16·padBlocks·(i + 1)) of a chunk. */
  async extend(count: number, onChunk: PadPairConsumer, options: RandomOtOptions = {}): Promise<void> {
    const padBlocks = padBlocksOf(options);
    const base = this.nextTweak;
    this.nextTweak += count * padBlocks;
    await this.correlated.extend(
      count,
      async (keys, first, size) => {
        const pads0 = this.hash.hash(keys, base + first * padBlocks, padBlocks);
        xorDeltaWhereBitSet(keys, allOnes(size), 0, size, this.correlated.delta);
        const pads1 = this.hash.hash(keys, base + first * padBlocks, padBlocks);
        await onChunk(pads0, pads1, first, size);
      },
      options,
    );
  }
}

export class RandomOtReceiver {
  private nextTweak = 0;

  private constructor(
    private readonly correlated: CorrelatedOtReceiver,
    private readonly hash: CorrelationRobustHash,
  ) {}

  static async setup(channel: MessageChannel): Promise<RandomOtReceiver> {
    const hashKey = await channel.receiveExactly(16, "random OT hash key");
    const correlated = await CorrelatedOtReceiver.setup(channel);
    return new RandomOtReceiver(correlated, new CorrelationRobustHash(hashKey));
  }

  async extend(count: number, choices: ChoiceSource, onChunk: PadConsumer, options: RandomOtOptions = {}): Promise<void> {
    const padBlocks = padBlocksOf(options);
    const base = this.nextTweak;
    this.nextTweak += count * padBlocks;
    await this.correlated.extend(
      count,
      choices,
      async (blocks, first, size) => {
        await onChunk(this.hash.hash(blocks, base + first * padBlocks, padBlocks), first, size);
      },
      options,
    );
  }
}

/** Convenience for tests and small counts: all pads at once. */
export async function randomOtSendAll(sender: RandomOtSender, count: number, options: RandomOtOptions = {}): Promise<{ pads0: Uint8Array; pads1: Uint8Array }> {
  const padBytes = padBlocksOf(options) * BLOCK_BYTES;
  const pads0 = new Uint8Array(count * padBytes);
  const pads1 = new Uint8Array(count * padBytes);
  await sender.extend(count, (zero, one, first) => {
    pads0.set(zero, first * padBytes);
    pads1.set(one, first * padBytes);
  }, options);
  return { pads0, pads1 };
}

export async function randomOtReceiveAll(receiver: RandomOtReceiver, count: number, choices: Uint8Array, options: RandomOtOptions = {}): Promise<Uint8Array> {
  const padBytes = padBlocksOf(options) * BLOCK_BYTES;
  const pads = new Uint8Array(count * padBytes);
  await receiver.extend(count, choices, (chunk, first) => pads.set(chunk, first * padBytes), options);
  return pads;
}
