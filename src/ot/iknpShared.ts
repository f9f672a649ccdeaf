/**
 * Constants and checks shared by the two mirrored halves of the IKNP extension (iknpSender.ts, iknpReceiver.ts).
 *
 * Roles are reversed in the base OTs: the extension's sender (the garbler, holding Δ) is the receiver of 128
 * base OTs with choice bits Δ, and the extension's receiver sends them with fresh seed pairs. Each seed
 * drives one AES-CTR stream that produces one 128-row "column" of the OT matrix, chunk after chunk.
 */
export const SECURITY_BITS = 128;

/** Each chunk's OT count is padded up to this so matrix rows are whole 16-byte vectors (SIMD transpose). */
export const CHUNK_ALIGNMENT = 128;

export const DEFAULT_CHUNK_OTS = 1 << 16;

/** Largest chunk: the receiver's message is 16 bytes per OT and must fit one frame. */
export const MAX_CHUNK_OTS = 1 << 22;

export function paddedChunk(count: number): number {
  return Math.ceil(count / CHUNK_ALIGNMENT) * CHUNK_ALIGNMENT;
}

/** Bytes of the receiver's correction message for a chunk of `count` OTs (both sides compute it). */
export function correctionMessageBytes(count: number): number {
  return (SECURITY_BITS * paddedChunk(count)) / 8;
}

export function checkChunkSize(count: number): void {
  if (!Number.isInteger(count) || count <= 0 || count > MAX_CHUNK_OTS) {
    throw new RangeError(`an OT extension chunk must hold 1..${MAX_CHUNK_OTS} OTs, not ${count}`);
  }
}
