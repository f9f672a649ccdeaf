/**
 * IKNP correlated-OT extension, sender half (the garbler, holding the global offset Δ). Mirror of iknpReceiver.ts.
 *
 * Per chunk: for each base OT j, q_j = G(k_j^{Δ_j}) xor Δ_j·u_j = t_j xor Δ_j·r; transposing gives
 * K_i = Q_i, and the receiver holds K_i xor r_i·Δ (correlated OT, ALSZ 2013). No hash is applied here:
 * feeding free-XOR garbling only needs the correlation; randomOt.ts hashes when independent pads are needed.
 */
import type { MessageChannel } from "../transport/channel.js";
import { baseOtReceive } from "./baseOt.js";
import { BLOCK_BYTES } from "./blocks.js";
import { AesCtrPrg } from "./prg.js";
import { checkChunkSize, correctionMessageBytes, paddedChunk, SECURITY_BITS } from "./iknpShared.js";
import { OtExtensionKernels } from "./simdKernels.js";

export class IknpSender {
  private readonly kernels = new OtExtensionKernels();

  private constructor(
    private readonly channel: MessageChannel,
    readonly delta: Uint8Array,
    private readonly streams: AesCtrPrg[],
  ) {}

  /** Runs the 128 base OTs as their receiver, with the bits of Δ as choices. */
  static async setup(channel: MessageChannel, delta: Uint8Array): Promise<IknpSender> {
    if (delta.length !== BLOCK_BYTES) throw new RangeError("Δ must be 16 bytes");
    const ownDelta = Uint8Array.from(delta);
    const seeds = await baseOtReceive(channel, ownDelta, SECURITY_BITS);
    const streams: AesCtrPrg[] = [];
    for (let j = 0; j < SECURITY_BITS; j++) streams.push(new AesCtrPrg(seeds.subarray(j * BLOCK_BYTES, (j + 1) * BLOCK_BYTES)));
    return new IknpSender(channel, ownDelta, streams);
  }

  /** One chunk of `count` OTs: receives the correction message and returns the blocks K_i (16 bytes each). */
  async extendChunk(count: number): Promise<Uint8Array> {
    checkChunkSize(count);
    const rowBytes = paddedChunk(count) / 8;
    const correction = await this.channel.receiveExactly(correctionMessageBytes(count), "OT extension correction");
    const kernels = this.kernels;
    kernels.prepare(rowBytes);
    kernels.secondMatrix.set(correction);
    kernels.extraRow.set(this.delta);
    // q_j = G(k_j^{Δ_j}) ^ Δ_j·u_j = t_j ^ Δ_j·r; the kernel masks instead of branching on the bits of Δ.
    for (let j = 0; j < SECURITY_BITS; j++) kernels.matrix.set(this.streams[j].next(rowBytes), j * rowBytes);
    kernels.xorSecondIntoMatrixWhereBitSet();
    kernels.transpose();
    return kernels.blocks.slice(0, count * BLOCK_BYTES);
  }
}
