/**
 * A MessageChannel over a worker_threads MessagePort, for protocol code in a worker thread while the real
 * channel (socket or SSH tunnel) stays on the thread that owns it; channelPortRelay.ts is the other half.
 *
 * Sending: each message is posted at once (large ones transferred, small ones copied); `send` waits once
 * more than `sendWindowBytes` are posted but not yet accepted by the real channel, so memory stays bounded.
 * Receiving: the relay pushes frames while the worker has credit; consumed frames return their credit.
 * Failures: the real channel's failure arrives as an error event with its class and is sticky, as in
 * StreamChannel; frames that arrived before it stay readable. The idle timeout lives here, not on the real
 * channel, because only this side knows when the protocol is actually waiting on the peer.
 */
import type { MessagePort } from "node:worker_threads";
import { defaultChannelOptions, receiveExactlyFrom, type ChannelCounters, type MessageChannel } from "./channel.js";
import { restoreError, transferableError, type TransferredError } from "./errorTransfer.js";
import { ChannelClosedError, FrameTooLargeError, IdleTimeoutError } from "./errors.js";
import { FRAME_HEADER_BYTES } from "./frameDecoder.js";
import { FrameQueue } from "./frameQueue.js";
import { IdleClock } from "./idleClock.js";

/** One message's bytes: `length` bytes of `buffer` from `offset` (the buffer is transferred with it). */
export interface PortFrame {
  kind: "frame";
  buffer: ArrayBuffer;
  offset: number;
  length: number;
  /** Set by `sendReleasing`: the relay hands the buffer back under this number once it is written. */
  returnAs?: number;
}

/** Worker → relay. */
export type PortChannelRequest =
  | PortFrame
  /** Frames the worker consumed, in window bytes: the relay may read that much more from the real channel. */
  | { kind: "credit"; bytes: number }
  | { kind: "flush" }
  | { kind: "close" }
  | { kind: "destroy"; error: TransferredError };

/** Relay → worker. */
export type PortChannelEvent =
  | PortFrame
  /** Frames the real channel accepted, in window bytes: the worker may post that much more. */
  | { kind: "credit"; bytes: number }
  /** The frame sent with `returnAs` is written out: its buffer is the sender's to fill again (none where the real channel cannot tell when that is). */
  | { kind: "returned"; returnAs: number; buffer?: ArrayBuffer }
  | { kind: "failed"; error: TransferredError }
  | { kind: "closed" };

/** What a frame counts against a window: its payload and header, so even empty frames are bounded. */
export function windowBytes(length: number): number {
  return FRAME_HEADER_BYTES + length;
}

/** A frame's bytes ready to post: the message's own buffer when it may be transferred, else a copy. */
export function portFrame(message: Uint8Array, transferMinBytes: number): { frame: PortFrame; transfer: ArrayBuffer[] } {
  const ownsBuffer = message.buffer instanceof ArrayBuffer && message.byteOffset === 0 && message.byteLength === message.buffer.byteLength;
  // `new Uint8Array(view)` copies the bytes (a Buffer's own `slice` would only make another view of its pool).
  const owned = ownsBuffer && message.length >= transferMinBytes ? message : new Uint8Array(message);
  const buffer = owned.buffer as ArrayBuffer;
  return { frame: { kind: "frame", buffer, offset: owned.byteOffset, length: owned.length }, transfer: [buffer] };
}

export interface MessagePortChannelOptions {
  /** Name used in error messages; the same as the real channel's so errors read the same from either side. */
  label?: string;
  /** Largest payload `send` accepts. */
  maxFrameBytes?: number;
  /** Bytes posted but not yet accepted by the real channel before `send` waits. */
  sendWindowBytes?: number;
  /** Fail if nothing arrives from the relay for this long while an operation waits on the peer. 0 disables. */
  idleTimeoutMs?: number;
  /**
   * Messages at least this long that fill their whole buffer are transferred (the sender must not read them
   * afterwards); shorter ones are copied, so constants and small buffers the caller reuses stay intact.
   */
  transferMinBytes?: number;
  /** Consumed bytes returned to the relay in one credit message (also sent whenever the queue runs dry). */
  creditBatchBytes?: number;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

export class MessagePortChannel implements MessageChannel {
  readonly label: string;
  private readonly options: Required<MessagePortChannelOptions>;

  private readonly received = new FrameQueue();
  private readonly receiveWaiters: Array<Waiter<Uint8Array>> = [];
  private uncreditedBytes = 0;

  private sendInFlightBytes = 0;
  /** Buffers sent with `sendReleasing` that the relay has not handed back yet, by their `returnAs`. */
  private readonly releasing = new Map<number, (buffer: ArrayBuffer) => void>();
  private nextReturn = 0;
  private creditWaiters: Array<Waiter<void>> = [];
  private unflushed = false;

  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private closeWaiter: Waiter<void> | null = null;
  private readonly idleClock: IdleClock;

  private readonly traffic: ChannelCounters = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };

  constructor(
    private readonly port: MessagePort,
    options: MessagePortChannelOptions = {},
  ) {
    this.options = {
      label: options.label ?? defaultChannelOptions.label,
      maxFrameBytes: options.maxFrameBytes ?? defaultChannelOptions.maxFrameBytes,
      sendWindowBytes: options.sendWindowBytes ?? defaultChannelOptions.sendHighWaterBytes,
      idleTimeoutMs: options.idleTimeoutMs ?? defaultChannelOptions.idleTimeoutMs,
      transferMinBytes: options.transferMinBytes ?? 64 * 1024,
      creditBatchBytes: options.creditBatchBytes ?? 1 << 20,
    };
    this.label = this.options.label;
    this.idleClock = new IdleClock(this.options.idleTimeoutMs, () => this.receiveWaiters.length > 0 || this.creditWaiters.length > 0,
      (idleMs) => this.fail(new IdleTimeoutError(`${this.label}: no data from the peer for ${idleMs} ms`), true));
    port.on("message", (event: PortChannelEvent) => this.onEvent(event));
  }

  counters(): ChannelCounters {
    return { ...this.traffic };
  }

  /** Bytes held for this channel right now: posted but not accepted by the real channel, and received but not consumed. */
  bufferedBytes(): { toSend: number; received: number } {
    return { toSend: this.sendInFlightBytes, received: this.received.bytes };
  }

  // ---------------------------------------------------------------- sending

  async send(message: Uint8Array): Promise<void> {
    this.assertUsable();
    this.checkFrameSize(message);
    // Read before posting: a transferred message's view is empty afterwards.
    const length = message.length;
    const { frame, transfer } = portFrame(message, this.options.transferMinBytes);
    this.port.postMessage(frame satisfies PortChannelRequest, transfer);
    await this.posted(length);
  }

  /** The whole buffer goes to the relay with the message, and comes back through `released` once written. */
  async sendReleasing(message: Uint8Array, released: (buffer: ArrayBuffer) => void): Promise<void> {
    this.assertUsable();
    this.checkFrameSize(message);
    const { buffer, byteOffset: offset, length } = message;
    const returnAs = this.nextReturn++;
    this.releasing.set(returnAs, released);
    this.port.postMessage({ kind: "frame", buffer: buffer as ArrayBuffer, offset, length, returnAs } satisfies PortChannelRequest, [buffer as ArrayBuffer]);
    await this.posted(length);
  }

  private checkFrameSize(message: Uint8Array): void {
    if (message.length > this.options.maxFrameBytes) {
      throw new FrameTooLargeError(`${this.label}: refusing to send a frame of ${message.length} bytes (limit ${this.options.maxFrameBytes})`);
    }
  }

  /** Counts a posted message of `length` bytes and waits while the send window is full. */
  private async posted(length: number): Promise<void> {
    this.unflushed = true;
    this.traffic.bytesSent += windowBytes(length);
    this.traffic.framesSent += 1;
    this.sendInFlightBytes += windowBytes(length);
    while (this.sendInFlightBytes >= this.options.sendWindowBytes) await this.waitForCredit();
  }

  flush(): void {
    if (!this.unflushed || this.failure !== null) return;
    this.unflushed = false;
    this.port.postMessage({ kind: "flush" } satisfies PortChannelRequest);
  }

  private waitForCredit(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.creditWaiters.push({ resolve, reject });
      this.idleClock.arm();
    });
  }

  // ---------------------------------------------------------------- receiving

  receive(): Promise<Uint8Array> {
    if (!this.received.isEmpty) return Promise.resolve(this.takeQueuedFrame());
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closing !== null) return Promise.reject(new ChannelClosedError(`${this.label}: receive after close`));
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
    this.consumed(frame);
    return frame;
  }

  /** Returns credit in batches, and at once when nothing is left queued so the relay never waits on a hungry reader. */
  private consumed(frame: Uint8Array): void {
    this.uncreditedBytes += windowBytes(frame.length);
    const queueEmpty = this.received.isEmpty;
    if ((queueEmpty || this.uncreditedBytes >= this.options.creditBatchBytes) && this.failure === null) {
      this.port.postMessage({ kind: "credit", bytes: this.uncreditedBytes } satisfies PortChannelRequest);
      this.uncreditedBytes = 0;
    }
  }

  // ---------------------------------------------------------------- events from the relay

  private onEvent(event: PortChannelEvent): void {
    this.idleClock.touch();
    switch (event.kind) {
      case "frame": {
        if (this.failure !== null) return;
        const frame = new Uint8Array(event.buffer, event.offset, event.length);
        this.traffic.bytesReceived += windowBytes(frame.length);
        this.traffic.framesReceived += 1;
        const waiter = this.receiveWaiters.shift();
        if (waiter !== undefined) {
          this.consumed(frame);
          waiter.resolve(frame);
        } else {
          this.received.push(frame);
        }
        return;
      }
      case "credit": {
        this.sendInFlightBytes -= event.bytes;
        const waiters = this.creditWaiters;
        this.creditWaiters = [];
        for (const waiter of waiters) waiter.resolve();
        return;
      }
      case "returned": {
        const released = this.releasing.get(event.returnAs);
        this.releasing.delete(event.returnAs);
        if (event.buffer) released?.(event.buffer);
        return;
      }
      case "failed":
        this.fail(restoreError(event.error), false);
        return;
      case "closed": {
        const waiter = this.closeWaiter;
        this.closeWaiter = null;
        waiter?.resolve();
        return;
      }
    }
  }

  // ---------------------------------------------------------------- timers, failure, close

  private assertUsable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closing !== null) throw new ChannelClosedError(`${this.label}: send after close`);
  }

  /** The first failure sticks; one raised here also tears the real channel down, as a failing StreamChannel destroys its stream. */
  private fail(error: Error, tellRelay: boolean): void {
    if (this.failure !== null) return;
    this.failure = error;
    for (const waiter of this.receiveWaiters.splice(0)) waiter.reject(error);
    const creditWaiters = this.creditWaiters;
    this.creditWaiters = [];
    for (const waiter of creditWaiters) waiter.reject(error);
    const closeWaiter = this.closeWaiter;
    this.closeWaiter = null;
    closeWaiter?.reject(error);
    this.idleClock.stop();
    if (tellRelay) this.port.postMessage({ kind: "destroy", error: transferableError(error) } satisfies PortChannelRequest);
  }

  /** Asks the relay to close the real channel after everything posted, and waits until it has. */
  close(): Promise<void> {
    if (this.failure !== null) return this.failure instanceof ChannelClosedError ? Promise.resolve() : Promise.reject(this.failure);
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.closeWaiter = { resolve, reject };
      this.port.postMessage({ kind: "close" } satisfies PortChannelRequest);
    });
    return this.closing;
  }

  destroy(error?: Error): void {
    this.fail(error ?? new ChannelClosedError(`${this.label}: the channel was destroyed`), true);
  }
}

