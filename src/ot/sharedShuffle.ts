/**
 * A shuffle of XOR-shared rows that neither party can follow: the rows pass two switching networks
 * (permuteAndShare.ts), the first routing a permutation the first party drew, the second one the second
 * party drew, so the composition is uniformly random to each of them and the shares come out fresh.
 */
import type { MessageChannel } from "../transport/channel.js";
import { randomPermutation, routeWaksman, waksmanNetwork, waksmanSwitchCount } from "./permutationNetwork.js";
import { permuteRowsAsHolder, permuteRowsAsPermuter } from "./permuteAndShare.js";
import { RandomOtReceiver, RandomOtSender } from "./randomOt.js";

/** Which permutation a party draws: the first network's (the garbler) or the second's (the evaluator). */
export type ShuffleRole = "first" | "second";

/** Bytes a shuffle of `rowCount` rows of `rowBytes` bytes sends, both ways (OT corrections and switch messages). */
export function shuffleTrafficBytes(rowCount: number, rowBytes: number): number {
  // Per switch: a 16-byte OT extension column one way, one message of two rows the other, in each network.
  return 2 * waksmanSwitchCount(rowCount) * (16 + 2 * rowBytes);
}

export class SharedRowShuffler {
  private constructor(
    private readonly channel: MessageChannel,
    private readonly role: ShuffleRole,
    /** The OT session in which this party routes its own permutation. */
    private readonly asPermuter: RandomOtReceiver,
    /** The OT session in which the peer routes its permutation through this party's rows. */
    private readonly asHolder: RandomOtSender,
  ) {}

  /** Sets up both OT sessions (base OTs once); the two parties call it at the same point, with different roles. */
  static async setup(channel: MessageChannel, role: ShuffleRole): Promise<SharedRowShuffler> {
    if (role === "first") {
      const asPermuter = await RandomOtReceiver.setup(channel);
      return new SharedRowShuffler(channel, role, asPermuter, await RandomOtSender.setup(channel));
    }
    const asHolder = await RandomOtSender.setup(channel);
    return new SharedRowShuffler(channel, role, await RandomOtReceiver.setup(channel), asHolder);
  }

  /**
   * This party's share (rowCount rows of rowBytes bytes, a multiple of 4) of rows whose other share the peer
   * passes at the same time; returns this party's share of the shuffled rows. The given buffer is consumed.
   */
  async shuffle(share: Uint8Array, rowCount: number, rowBytes: number): Promise<Uint8Array> {
    if (share.length !== rowCount * rowBytes) throw new RangeError(`a share of ${rowCount} rows of ${rowBytes} bytes has ${rowCount * rowBytes} bytes, not ${share.length}`);
    if (rowCount < 2) return share;
    const layers = waksmanNetwork(rowCount);
    if (this.role === "first") {
      const permutation = randomPermutation(rowCount);
      const theirs = await permuteRowsAsPermuter(this.channel, this.asPermuter, layers, routeWaksman(permutation), rowCount, rowBytes);
      // This party permutes its own share in the clear; both now hold shares of the permuted rows.
      const ours = xorRows(permuteRows(share, permutation, rowBytes), theirs);
      return permuteRowsAsHolder(this.channel, this.asHolder, layers, ours, rowBytes);
    }
    const ours = await permuteRowsAsHolder(this.channel, this.asHolder, layers, share, rowBytes);
    const permutation = randomPermutation(rowCount);
    const theirs = await permuteRowsAsPermuter(this.channel, this.asPermuter, layers, routeWaksman(permutation), rowCount, rowBytes);
    return xorRows(permuteRows(ours, permutation, rowBytes), theirs);
  }
}

/** Rows in a new order: row p of the result is row permutation[p] of `rows`. */
export function permuteRows(rows: Uint8Array, permutation: Int32Array, rowBytes: number): Uint8Array {
  const result = new Uint8Array(rows.length);
  for (let p = 0; p < permutation.length; p++) result.set(rows.subarray(permutation[p] * rowBytes, (permutation[p] + 1) * rowBytes), p * rowBytes);
  return result;
}

/** target ⊕= other, in place; returns target. */
function xorRows(target: Uint8Array, other: Uint8Array): Uint8Array {
  const t = new Uint32Array(target.buffer, target.byteOffset, target.length / 4);
  const o = new Uint32Array(other.buffer, other.byteOffset, other.length / 4);
  for (let i = 0; i < t.length; i++) t[i] ^= o[i];
  return target;
}
