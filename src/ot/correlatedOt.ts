/**
 * Correlated OT (COT) sessions with a streaming API: the sender (garbler) holds Δ and gets K_i, the receiver
 * (evaluator) with choice bit b_i gets K_i xor b_i·Δ. One `setup` (128 base OTs) serves any number of
 * `extend` calls; each `extend` works in chunks so 10^8 OTs run in bounded memory, handing every chunk to a
 * callback instead of returning one giant buffer.
 *
 * Both sides must use the same chunk size (it fixes the message sizes); a mismatch fails as a ProtocolError.
 * Message sizes depend only on the count and chunk size, never on the choices.
 */
import type { MessageChannel } from "../transport/channel.js";
import { BLOCK_BYTES } from "./blocks.js";
import { packedByteLength, sliceBits } from "./bits.js";
import { DEFAULT_CHUNK_OTS, checkChunkSize } from "./iknpShared.js";
import { IknpReceiver } from "./iknpReceiver.js";
import { IknpSender } from "./iknpSender.js";

/** Receives `count` blocks (16 bytes each, owned by the callee) for OTs firstIndex .. firstIndex + count − 1. */
export type BlockChunkConsumer = (blocks: Uint8Array, firstIndex: number, count: number) => void | Promise<void>;

/** Choice bits: all of them packed, or a function giving the packed bits of one chunk (bit 0 = OT firstIndex). */
export type ChoiceSource = Uint8Array | ((firstIndex: number, count: number) => Uint8Array);

export interface ExtendOptions {
  chunkOts?: number;
}

function chunkSizeOf(options: ExtendOptions): number {
  const chunk = options.chunkOts ?? DEFAULT_CHUNK_OTS;
  checkChunkSize(chunk);
  return chunk;
}

export class CorrelatedOtSender {
  private constructor(private readonly extension: IknpSender) {}

  /** `delta` is the global offset (for garbling: the free-XOR Δ with its point-and-permute bit set). */
  static async setup(channel: MessageChannel, delta: Uint8Array): Promise<CorrelatedOtSender> {
    return new CorrelatedOtSender(await IknpSender.setup(channel, delta));
  }

  get delta(): Uint8Array {
    return this.extension.delta;
  }

  /** Runs `count` COTs, handing the sender's blocks K_i to `onChunk` chunk by chunk. */
  async extend(count: number, onChunk: BlockChunkConsumer, options: ExtendOptions = {}): Promise<void> {
    const chunk = chunkSizeOf(options);
    for (let first = 0; first < count; first += chunk) {
      const size = Math.min(chunk, count - first);
      await onChunk(await this.extension.extendChunk(size), first, size);
    }
  }

  /** Runs `count` COTs and returns all K_i contiguously (16·count bytes): for modest counts. */
  async extendAll(count: number, options: ExtendOptions = {}): Promise<Uint8Array> {
    const all = new Uint8Array(count * BLOCK_BYTES);
    await this.extend(count, (blocks, first) => all.set(blocks, first * BLOCK_BYTES), options);
    return all;
  }
}

export class CorrelatedOtReceiver {
  private constructor(private readonly extension: IknpReceiver) {}

  static async setup(channel: MessageChannel): Promise<CorrelatedOtReceiver> {
    return new CorrelatedOtReceiver(await IknpReceiver.setup(channel));
  }

  /** Runs `count` COTs with the given choices, handing K_i xor b_i·Δ to `onChunk` chunk by chunk. */
  async extend(count: number, choices: ChoiceSource, onChunk: BlockChunkConsumer, options: ExtendOptions = {}): Promise<void> {
    const chunk = chunkSizeOf(options);
    if (typeof choices !== "function" && choices.length < packedByteLength(count)) {
      throw new RangeError(`need ${count} choice bits, got ${choices.length * 8}`);
    }
    for (let first = 0; first < count; first += chunk) {
      const size = Math.min(chunk, count - first);
      const chunkChoices = typeof choices === "function" ? choices(first, size) : sliceBits(choices, first, size);
      await onChunk(await this.extension.extendChunk(chunkChoices, size), first, size);
    }
  }

  async extendAll(count: number, choices: ChoiceSource, options: ExtendOptions = {}): Promise<Uint8Array> {
    const all = new Uint8Array(count * BLOCK_BYTES);
    await this.extend(count, choices, (blocks, first) => all.set(blocks, first * BLOCK_BYTES), options);
    return all;
  }
}
