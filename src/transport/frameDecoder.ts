/**
 * Incremental parser of length-prefixed frames: a 4-byte big-endian payload length, then the payload.
 * Byte-stream chunks arrive at arbitrary boundaries; this turns them back into whole messages.
 */
import { FrameTooLargeError } from "./errors.js";

export const FRAME_HEADER_BYTES = 4;

export class FrameDecoder {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Payload under assembly when a frame spans chunks; null between frames. */
  private payload: Uint8Array | null = null;
  private payloadFilled = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (frame: Uint8Array) => void,
  ) {}

  /** True when some bytes of a frame have arrived but not all of it. */
  get inMiddleOfFrame(): boolean {
    return this.headerFilled > 0 || this.payload !== null;
  }

  /** How far the current partial frame got, for the "peer closed mid-frame" message. */
  describePartialFrame(): string {
    if (this.payload !== null) return `${this.payloadFilled} of ${this.payload.length} payload bytes`;
    return `${this.headerFilled} of ${FRAME_HEADER_BYTES} header bytes`;
  }

  /** Consumes one chunk; calls onFrame for every frame completed by it. Throws FrameTooLargeError. */
  push(chunk: Uint8Array): void {
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      if (this.payload === null) {
        // Fast path: a whole header sits in this chunk.
        let length: number;
        if (this.headerFilled === 0 && end - offset >= FRAME_HEADER_BYTES) {
          length = ((chunk[offset] << 24) | (chunk[offset + 1] << 16) | (chunk[offset + 2] << 8) | chunk[offset + 3]) >>> 0;
          offset += FRAME_HEADER_BYTES;
        } else {
          while (this.headerFilled < FRAME_HEADER_BYTES && offset < end) this.header[this.headerFilled++] = chunk[offset++];
          if (this.headerFilled < FRAME_HEADER_BYTES) return;
          const h = this.header;
          length = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
          this.headerFilled = 0;
        }
        if (length > this.maxFrameBytes) {
          throw new FrameTooLargeError(`the peer announced a frame of ${length} bytes, above the limit of ${this.maxFrameBytes}`);
        }
        if (end - offset >= length) {
          // Whole frame inside this chunk: copy it out so a small frame does not pin the whole chunk.
          const frame = new Uint8Array(length);
          frame.set(chunk.subarray(offset, offset + length));
          this.onFrame(frame);
          offset += length;
          continue;
        }
        this.payload = new Uint8Array(length);
        this.payloadFilled = 0;
      }
      const take = Math.min(end - offset, this.payload.length - this.payloadFilled);
      this.payload.set(chunk.subarray(offset, offset + take), this.payloadFilled);
      this.payloadFilled += take;
      offset += take;
      if (this.payloadFilled === this.payload.length) {
        const frame = this.payload;
        this.payload = null;
        this.onFrame(frame);
      }
    }
  }
}
