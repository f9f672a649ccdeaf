/**
 * IKNP correlated-OT extension, receiver half (the evaluator). Mirror of iknpSender.ts.
 *
 * Per chunk of m OTs with choice vector r (m bits): for each base OT j,
 *   t_j = G(k_j^0),  u_j = t_j xor G(k_j^1) xor r   → all 128 rows u_j sent in one message;
 * the receiver's outputs are the rows of the transposed matrix T: T_i = K_i xor r_i·Δ.
 * All traffic after the base OTs flows receiver → sender, so chunks stream without round trips.
 */
import type { MessageChannel } from "../transport/channel.js";
import { baseOtSend } from "./baseOt.js";
import { BLOCK_BYTES } from "./blocks.js";
import { AesCtrPrg } from "./prg.js";
import { checkChunkSize, paddedChunk, SECURITY_BITS } from "./iknpShared.js";
import { OtExtensionKernels } from "./simdKernels.js";

export class IknpReceiver {
  private readonly kernels = new OtExtensionKernels();

  private constructor(
    private readonly channel: MessageChannel,
    private readonly streams0: AesCtrPrg[],
    private readonly streams1: AesCtrPrg[],
  ) {}

  /** Runs the 128 base OTs (as their sender) and keys the PRG streams. */
  static async setup(channel: MessageChannel): Promise<IknpReceiver> {
    const { keys0, keys1 } = await baseOtSend(channel, SECURITY_BITS);
    const streams0: AesCtrPrg[] = [];
    const streams1: AesCtrPrg[] = [];
    for (let j = 0; j < SECURITY_BITS; j++) {
      streams0.push(new AesCtrPrg(keys0.subarray(j * BLOCK_BYTES, (j + 1) * BLOCK_BYTES)));
      streams1.push(new AesCtrPrg(keys1.subarray(j * BLOCK_BYTES, (j + 1) * BLOCK_BYTES)));
    }
    return new IknpReceiver(channel, streams0, streams1);
  }

  /**
   * One chunk: `choices` holds `count` packed choice bits starting at bit 0 (bits past `count` ignored).
   * Sends the correction message and returns the `count` received blocks T_i (16 bytes each).
   */
  async extendChunk(choices: Uint8Array, count: number): Promise<Uint8Array> {
    checkChunkSize(count);
    const rowBytes = paddedChunk(count) / 8;
    const kernels = this.kernels;
    kernels.prepare(rowBytes);

    // The choice row r; padding OTs get choice 0, so clear stray bits past `count`.
    const choiceRow = kernels.extraRow;
    choiceRow.fill(0);
    choiceRow.set(choices.subarray(0, Math.min(choices.length, count >>> 3)));
    if ((count & 7) !== 0) choiceRow[count >>> 3] = choices[count >>> 3] & ((1 << (count & 7)) - 1);

    // matrix_j = t_j = G(k_j^0); secondMatrix_j = G(k_j^1), then u_j = t_j ^ G(k_j^1) ^ r in place.
    for (let j = 0; j < SECURITY_BITS; j++) {
      kernels.matrix.set(this.streams0[j].next(rowBytes), j * rowBytes);
      kernels.secondMatrix.set(this.streams1[j].next(rowBytes), j * rowBytes);
    }
    kernels.xorMatrixAndExtraRowIntoSecond();
    const sending = this.channel.send(kernels.secondMatrix.slice());
    this.channel.flush();

    kernels.transpose();
    const blocks = kernels.blocks.slice(0, count * BLOCK_BYTES);
    await sending;
    return blocks;
  }
}
