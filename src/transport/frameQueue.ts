/** Received frames waiting for a reader, first in first out, with the bytes they hold. */
export class FrameQueue {
  private readonly frames: Uint8Array[] = [];
  private head = 0;
  private queuedBytes = 0;

  get bytes(): number {
    return this.queuedBytes;
  }

  get isEmpty(): boolean {
    return this.head === this.frames.length;
  }

  push(frame: Uint8Array): void {
    this.frames.push(frame);
    this.queuedBytes += frame.length;
  }

  /** The oldest frame; the queue must not be empty. */
  shift(): Uint8Array {
    const frame = this.frames[this.head];
    // Drop the reference at once, and compact only now and then: shifting an array each time is quadratic.
    this.frames[this.head++] = EMPTY;
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
    this.queuedBytes -= frame.length;
    return frame;
  }
}

const EMPTY = new Uint8Array(0);
