/**
 * A MessageChannel over any Node Duplex byte stream (TCP socket, ssh2 forwarded stream, in-memory pair).
 *
 * Sending: small frames are copied into one coalescing buffer, large payloads are written by reference
 * under cork (so header and payload leave in one writev), and `send` awaits 'drain' once the stream holds
 * more than the high-water mark, so a fast sender never buffers gigabytes.
 * Receiving: frames are decoded as bytes arrive; reading pauses while too many unconsumed bytes wait.
 * Failures: the first error (peer closed, oversize frame, idle timeout, deadline, stream error) is sticky
 * and fails every pending and later operation with the same clear message.
 */
import type { Duplex } from "node:stream";
import {
  defaultChannelOptions,
  receiveExactlyFrom,
  type ChannelCounters,
  type ChannelOptions,
  type MessageChannel,
} from "./channel.js";
import {
  ChannelClosedError,
  DeadlineExceededError,
  FrameTooLargeError,
  IdleTimeoutError,
  PeerClosedError,
  TransportError,
} from "./errors.js";
import { FRAME_HEADER_BYTES, FrameDecoder } from "./frameDecoder.js";
import { FrameQueue } from "./frameQueue.js";
import { IdleClock } from "./idleClock.js";

interface Waiter {
  resolve: (frame: Uint8Array) => void;
  reject: (error: Error) => void;
}

export class StreamChannel implements MessageChannel {
  readonly label: string;
  private readonly options: Required<ChannelOptions>;
  private readonly decoder: FrameDecoder;

  private readonly received = new FrameQueue();
  private readonly receiveWaiters: Waiter[] = [];
  private readingPaused = false;
  private peerEnded = false;

  private coalesceBuffer: Buffer;
  private coalesceUsed = 0;
  private flushScheduled: NodeJS.Immediate | null = null;
  private drainWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  private failure: Error | null = null;
  private closing = false;
  private readonly idleClock: IdleClock;
  private deadlineTimer: NodeJS.Timeout | null = null;

  private readonly traffic: ChannelCounters = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };

  constructor(
    private readonly stream: Duplex,
    options: ChannelOptions = {},
  ) {
    this.options = { ...defaultChannelOptions, ...options };
    this.label = this.options.label;
    this.coalesceBuffer = Buffer.allocUnsafe(this.options.coalesceBytes);
    this.decoder = new FrameDecoder(this.options.maxFrameBytes, (frame) => this.onFrame(frame));
    this.idleClock = new IdleClock(this.options.idleTimeoutMs, () => this.receiveWaiters.length > 0 || this.drainWaiters.length > 0,
      (idleMs) => this.fail(new IdleTimeoutError(`${this.label}: no data from the peer for ${idleMs} ms`)));

    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("end", () => this.onEnd());
    stream.on("error", (error: Error) => this.onStreamError(error));
    stream.on("close", () => this.onStreamClose());
    stream.on("drain", () => this.onDrain());
    // A stream handed over paused (for example a socket accepted with pauseOnConnect) starts flowing here.
    stream.resume();

    if (this.options.deadlineMs > 0) {
      this.deadlineTimer = setTimeout(() => {
        this.fail(new DeadlineExceededError(`${this.label}: the overall deadline of ${this.options.deadlineMs} ms passed`));
      }, this.options.deadlineMs);
      this.deadlineTimer.unref();
    }
  }

  counters(): ChannelCounters {
    return { ...this.traffic };
  }

  /** Bytes held in memory right now: queued for the stream, and received but not yet consumed. */
  bufferedBytes(): { toSend: number; received: number } {
    return { toSend: this.stream.writableLength + this.coalesceUsed, received: this.received.bytes };
  }

  // ---------------------------------------------------------------- sending

  send(message: Uint8Array): Promise<void> {
    return this.sendFrame(message);
  }

  /** A small message is copied, so its buffer comes back at once; a large one once the stream has written it. */
  sendReleasing(message: Uint8Array, released: (buffer: ArrayBuffer) => void): Promise<void> {
    return this.sendFrame(message, () => released(message.buffer as ArrayBuffer));
  }

  private async sendFrame(message: Uint8Array, released?: () => void): Promise<void> {
    this.assertUsable();
    const length = message.length;
    if (length > this.options.maxFrameBytes) {
      throw new FrameTooLargeError(`${this.label}: refusing to send a frame of ${length} bytes (limit ${this.options.maxFrameBytes})`);
    }
    const frameBytes = FRAME_HEADER_BYTES + length;
    const capacity = this.coalesceBuffer.length;
    if (frameBytes <= capacity) {
      if (this.coalesceUsed + frameBytes > capacity) this.writeCoalesced();
      this.writeHeader(length);
      this.coalesceBuffer.set(message, this.coalesceUsed);
      this.coalesceUsed += length;
      this.scheduleFlush();
      released?.();
    } else {
      // Large payload: header joins the coalesced bytes, payload goes by reference, both in one writev.
      if (this.coalesceUsed + FRAME_HEADER_BYTES > capacity) this.writeCoalesced();
      this.writeHeader(length);
      this.stream.cork();
      this.writeCoalesced();
      this.stream.write(Buffer.from(message.buffer, message.byteOffset, length), released && ((error) => { if (!error) released(); }));
      this.stream.uncork();
    }
    this.traffic.bytesSent += frameBytes;
    this.traffic.framesSent += 1;
    if (this.stream.writableNeedDrain && this.stream.writableLength >= this.options.sendHighWaterBytes) {
      await this.waitForDrain();
    }
  }

  flush(): void {
    if (this.flushScheduled !== null) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = null;
    }
    if (this.failure === null && this.coalesceUsed > 0) this.writeCoalesced();
  }

  private writeHeader(length: number): void {
    this.coalesceBuffer.writeUInt32BE(length, this.coalesceUsed);
    this.coalesceUsed += FRAME_HEADER_BYTES;
  }

  /** Hands the coalesced bytes to the stream and starts a fresh buffer (the stream keeps a reference). */
  private writeCoalesced(): void {
    if (this.coalesceUsed === 0) return;
    const filled = this.coalesceBuffer.subarray(0, this.coalesceUsed);
    this.coalesceBuffer = Buffer.allocUnsafe(this.options.coalesceBytes);
    this.coalesceUsed = 0;
    this.stream.write(filled);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled !== null) return;
    this.flushScheduled = setImmediate(() => {
      this.flushScheduled = null;
      if (this.failure === null) this.writeCoalesced();
    });
  }

  private waitForDrain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.drainWaiters.push({ resolve, reject });
      this.idleClock.arm();
    });
  }

  private onDrain(): void {
    this.idleClock.touch();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  // ---------------------------------------------------------------- receiving

  receive(): Promise<Uint8Array> {
    if (!this.received.isEmpty) return Promise.resolve(this.takeQueuedFrame());
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.peerEnded) return Promise.reject(new PeerClosedError(`${this.label}: the peer closed the connection`));
    // We are about to wait on the peer: make sure what we queued for it is on its way.
    this.flush();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.receiveWaiters.push({ resolve, reject });
      this.idleClock.arm();
    });
  }

  receiveExactly(length: number, what = "message"): Promise<Uint8Array> {
    return receiveExactlyFrom(this, length, what);
  }

  private takeQueuedFrame(): Uint8Array {
    const frame = this.received.shift();
    if (this.readingPaused && this.received.bytes <= this.options.receiveHighWaterBytes / 2) {
      this.readingPaused = false;
      this.stream.resume();
    }
    return frame;
  }

  private onData(chunk: Buffer): void {
    this.idleClock.touch();
    this.traffic.bytesReceived += chunk.length;
    try {
      this.decoder.push(chunk);
    } catch (error) {
      if (error instanceof FrameTooLargeError) {
        this.fail(new FrameTooLargeError(`${this.label}: ${error.message}`));
      } else {
        this.fail(error as Error);
      }
    }
  }

  private onFrame(frame: Uint8Array): void {
    if (this.failure !== null) return;
    this.traffic.framesReceived += 1;
    const waiter = this.receiveWaiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(frame);
      return;
    }
    this.received.push(frame);
    if (!this.readingPaused && this.received.bytes > this.options.receiveHighWaterBytes) {
      this.readingPaused = true;
      this.stream.pause();
    }
  }

  private onEnd(): void {
    this.peerEnded = true;
    if (this.decoder.inMiddleOfFrame) {
      this.fail(new PeerClosedError(`${this.label}: the peer closed the connection in the middle of a frame (${this.decoder.describePartialFrame()} arrived)`));
      return;
    }
    this.rejectReceiveWaiters(new PeerClosedError(`${this.label}: the peer closed the connection`));
  }

  private onStreamError(error: Error): void {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ECONNRESET" || code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE") {
      this.fail(new PeerClosedError(`${this.label}: the connection was reset by the peer (${code})`));
    } else if (error instanceof TransportError) {
      this.fail(error);
    } else {
      this.fail(new TransportError(`${this.label}: stream error: ${error.message}`));
    }
  }

  private onStreamClose(): void {
    if (this.failure !== null) return;
    if (this.decoder.inMiddleOfFrame) {
      this.fail(new PeerClosedError(`${this.label}: the connection closed in the middle of a frame (${this.decoder.describePartialFrame()} arrived)`));
      return;
    }
    const error = this.closing ? new ChannelClosedError(`${this.label}: the channel is closed`) : new PeerClosedError(`${this.label}: the connection closed`);
    // Frames already queued stay readable; only waiters and writers learn of the close.
    this.peerEnded = true;
    this.failure = error;
    this.rejectReceiveWaiters(error);
    this.rejectDrainWaiters(error);
    this.clearTimers();
  }

  // ---------------------------------------------------------------- timers, failure, close

  private assertUsable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closing) throw new ChannelClosedError(`${this.label}: send after close`);
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.rejectReceiveWaiters(error);
    this.rejectDrainWaiters(error);
    this.clearTimers();
    this.stream.destroy();
  }

  private rejectReceiveWaiters(error: Error): void {
    for (const waiter of this.receiveWaiters.splice(0)) waiter.reject(error);
  }

  private rejectDrainWaiters(error: Error): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private clearTimers(): void {
    this.idleClock.stop();
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    if (this.flushScheduled !== null) clearImmediate(this.flushScheduled);
    this.deadlineTimer = null;
    this.flushScheduled = null;
  }

  async close(waitForPeerMs = 5_000): Promise<void> {
    if (this.failure !== null) {
      if (this.failure instanceof ChannelClosedError) return;
      throw this.failure;
    }
    if (this.closing) return;
    this.flush();
    this.closing = true;
    const stream = this.stream;
    await new Promise<void>((resolve, reject) => {
      const onError = (): void => reject(this.failure ?? new ChannelClosedError());
      stream.once("error", onError);
      stream.end(() => {
        stream.off("error", onError);
        resolve();
      });
    });
    // Wait for the peer's end before tearing down, so a reset never discards data it has not read yet.
    if (!stream.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          stream.destroy();
          resolve();
        }, waitForPeerMs);
        timer.unref();
        stream.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        if (this.peerEnded) stream.destroy();
      });
    }
    this.clearTimers();
  }

  destroy(error?: Error): void {
    this.fail(error ?? new ChannelClosedError(`${this.label}: the channel was destroyed`));
  }
}

