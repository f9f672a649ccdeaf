/**
 * The message channel every two-party protocol runs over: framed, ordered, full-duplex messages.
 *
 * Design notes for what plugs in later:
 * - Any Node Duplex byte stream can carry a channel (`StreamChannel`): a TCP socket, an ssh2 `forwardOut`
 *   stream, an in-memory pair in tests.
 * - A protocol header is simply the first message each side sends and receives (`exchangeFirstMessages`
 *   helps with the ordering); nothing in the channel interprets payloads.
 * - Several channels over one SSH connection: open one `forwardOut` stream per channel and wrap each.
 *   SSH multiplexes its channels with per-channel flow-control windows, so a slow consumer on one channel
 *   never stalls another, which an in-band multiplexer on a single stream would have to reimplement.
 *   `openChannels` opens several that way from any stream factory.
 */
import type { Duplex } from "node:stream";
import { ProtocolError } from "./errors.js";

export interface ChannelOptions {
  /** Name used in error messages (for example "garbler↔evaluator OT"). Never put secrets here. */
  label?: string;
  /** Largest payload accepted in either direction; a bigger announced length is a protocol failure. */
  maxFrameBytes?: number;
  /** `send` awaits the stream's drain once this many bytes are queued locally (bounds sender memory). */
  sendHighWaterBytes?: number;
  /** Reading from the stream pauses once this many received bytes wait unconsumed (bounds receiver memory). */
  receiveHighWaterBytes?: number;
  /** Small frames are copied into one buffer of this size and written together. */
  coalesceBytes?: number;
  /** Fail if no byte arrives (or drains) for this long while an operation waits on the peer. 0 disables. */
  idleTimeoutMs?: number;
  /** Fail every operation once this long has passed since the channel was created. 0 disables. */
  deadlineMs?: number;
}

export const defaultChannelOptions: Required<ChannelOptions> = {
  label: "channel",
  maxFrameBytes: 256 * 1024 * 1024,
  sendHighWaterBytes: 8 * 1024 * 1024,
  receiveHighWaterBytes: 16 * 1024 * 1024,
  coalesceBytes: 64 * 1024,
  idleTimeoutMs: 60_000,
  deadlineMs: 0,
};

/** Traffic so far, counting the 4-byte frame headers (what actually crossed the wire). */
export interface ChannelCounters {
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
}

export interface MessageChannel {
  readonly label: string;
  /**
   * Queues one message. Resolves once it is accepted into a bounded buffer (it may still be in flight).
   * The channel takes ownership of `message`: do not modify it afterwards.
   */
  send(message: Uint8Array): Promise<void>;
  /**
   * `send`, for a sender that fills the same buffers again (the garbled-table stream): the channel takes the
   * whole of `message`'s buffer and hands it back through `released` once nothing reads it any more, so that
   * no buffer is allocated per message. Channels that cannot tell when that is leave this out.
   */
  sendReleasing?(message: Uint8Array, released: (buffer: ArrayBuffer) => void): Promise<void>;
  /** Pushes coalesced small frames to the stream now (they are also flushed on the next turn of the loop). */
  flush(): void;
  /** The next message from the peer. */
  receive(): Promise<Uint8Array>;
  /** The next message, which must be exactly `length` bytes long (else a ProtocolError naming `what`). */
  receiveExactly(length: number, what?: string): Promise<Uint8Array>;
  counters(): ChannelCounters;
  /** Ends our direction cleanly after everything queued is written, then waits briefly for the peer to end. */
  close(): Promise<void>;
  /** Tears the stream down now; pending operations fail with `error` (or a ChannelClosedError). */
  destroy(error?: Error): void;
}

/** `channel.receive()`, which must give exactly `length` bytes; anything else tears the channel down. */
export async function receiveExactlyFrom(channel: MessageChannel, length: number, what: string): Promise<Uint8Array> {
  const frame = await channel.receive();
  if (frame.length !== length) {
    const error = new ProtocolError(`${channel.label}: expected a ${what} of ${length} bytes, the peer sent ${frame.length}`);
    channel.destroy(error);
    throw error;
  }
  return frame;
}

/** Sends our first message and receives the peer's (the protocol header exchange). Both sides call it. */
export async function exchangeFirstMessages(channel: MessageChannel, ours: Uint8Array): Promise<Uint8Array> {
  const sent = channel.send(ours);
  channel.flush();
  const [theirs] = await Promise.all([channel.receive(), sent]);
  return theirs;
}

/** Opens `count` independent channels, one stream each (for example several ssh2 forwardOut streams). */
export async function openChannels(
  count: number,
  openStream: (index: number) => Promise<Duplex>,
  wrap: (stream: Duplex, index: number) => MessageChannel,
): Promise<MessageChannel[]> {
  const streams = await Promise.all(Array.from({ length: count }, (_, index) => openStream(index)));
  return streams.map((stream, index) => wrap(stream, index));
}
