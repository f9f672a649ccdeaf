/**
 * Chosen-message 1-out-of-2 OT of 16-byte messages on top of random OT: per OT the sender sends
 * (x0 xor pad0, x1 xor pad1) and the receiver unmasks the one whose pad it holds. Costs 32 extra bytes per
 * OT from sender to receiver and one round trip per chunk.
 */
import type { MessageChannel } from "../transport/channel.js";
import { BLOCK_BYTES, xorInto } from "./blocks.js";
import { getBit } from "./bits.js";
import type { ExtendOptions } from "./correlatedOt.js";
import { RandomOtReceiver, RandomOtSender } from "./randomOt.js";

export class ChosenOtSender {
  private constructor(
    private readonly channel: MessageChannel,
    private readonly random: RandomOtSender,
  ) {}

  static async setup(channel: MessageChannel): Promise<ChosenOtSender> {
    return new ChosenOtSender(channel, await RandomOtSender.setup(channel));
  }

  /** Transfers, for each i < count, messages0[i] or messages1[i] (16-byte blocks) as the receiver chooses. */
  async send(messages0: Uint8Array, messages1: Uint8Array, count: number, options: ExtendOptions = {}): Promise<void> {
    if (messages0.length < count * BLOCK_BYTES || messages1.length < count * BLOCK_BYTES) throw new RangeError("not enough messages");
    await this.random.extend(
      count,
      async (pads0, pads1, first, size) => {
        const bytes = size * BLOCK_BYTES;
        const masked = new Uint8Array(2 * bytes);
        masked.set(messages0.subarray(first * BLOCK_BYTES, first * BLOCK_BYTES + bytes), 0);
        masked.set(messages1.subarray(first * BLOCK_BYTES, first * BLOCK_BYTES + bytes), bytes);
        xorInto(masked.subarray(0, bytes), pads0);
        xorInto(masked.subarray(bytes), pads1);
        await this.channel.send(masked);
        this.channel.flush();
      },
      options,
    );
  }
}

export class ChosenOtReceiver {
  private constructor(
    private readonly channel: MessageChannel,
    private readonly random: RandomOtReceiver,
  ) {}

  static async setup(channel: MessageChannel): Promise<ChosenOtReceiver> {
    return new ChosenOtReceiver(channel, await RandomOtReceiver.setup(channel));
  }

  /** Returns the chosen message of each OT (16·count bytes); `choices` are packed bits. */
  async receive(choices: Uint8Array, count: number, options: ExtendOptions = {}): Promise<Uint8Array> {
    const chosen = new Uint8Array(count * BLOCK_BYTES);
    await this.random.extend(
      count,
      choices,
      async (pads, first, size) => {
        const bytes = size * BLOCK_BYTES;
        const masked = await this.channel.receiveExactly(2 * bytes, "chosen OT masked messages");
        for (let i = 0; i < size; i++) {
          const choice = getBit(choices, first + i);
          const source = masked.subarray(choice * bytes + i * BLOCK_BYTES, choice * bytes + (i + 1) * BLOCK_BYTES);
          const target = chosen.subarray((first + i) * BLOCK_BYTES, (first + i + 1) * BLOCK_BYTES);
          target.set(source);
          xorInto(target, pads.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES));
        }
      },
      options,
    );
    return chosen;
  }
}
