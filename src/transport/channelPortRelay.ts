/**
 * The owning thread's half of a MessagePortChannel: moves frames between a worker's port and the real
 * channel (socket or SSH tunnel), so socket I/O and SSH decryption never wait for the worker's computation.
 */
import type { MessagePort } from "node:worker_threads";
import type { MessageChannel } from "./channel.js";
import { restoreError, transferableError } from "./errorTransfer.js";
import { portFrame, windowBytes, type PortChannelEvent, type PortChannelRequest } from "./messagePortChannel.js";

export interface ChannelPortRelayOptions {
  /** Frames passed to the worker but not yet consumed by it; reading the real channel pauses beyond this. */
  receiveWindowBytes?: number;
  /** Called once if the real channel fails while relaying (the worker hears of it through its port too). */
  onFailure?: (error: Error) => void;
}

export class ChannelPortRelay {
  private readonly receiveWindowBytes: number;
  private receiveInFlightBytes = 0;
  private pumping = false;
  private closing = false;
  private stopped = false;
  private failed = false;
  private readonly listener = (request: PortChannelRequest) => this.onRequest(request);

  /** The real channel should be created without an idle timeout: the relay always has a read pending, and the worker's channel times out instead. */
  constructor(
    private readonly channel: MessageChannel,
    private readonly port: MessagePort,
    private readonly options: ChannelPortRelayOptions = {},
  ) {
    this.receiveWindowBytes = options.receiveWindowBytes ?? 16 << 20;
    port.on("message", this.listener);
    void this.pump();
  }

  /** Stops relaying (the worker finished or is gone); the real channel is left to its owner. */
  stop(): void {
    this.stopped = true;
    this.port.off("message", this.listener);
  }

  private post(event: PortChannelEvent, transfer: ArrayBuffer[] = []): void {
    if (!this.stopped) this.port.postMessage(event, transfer);
  }

  private onRequest(request: PortChannelRequest): void {
    if (this.stopped) return;
    switch (request.kind) {
      case "frame": {
        // The frame is written to the real channel now, in order; its credit returns once the channel has accepted it.
        const cost = windowBytes(request.length);
        const message = new Uint8Array(request.buffer, request.offset, request.length);
        const { returnAs } = request;
        // A buffer the worker fills again goes back once written, where the real channel can tell when that is;
        // elsewhere the worker only hears that it will not come back.
        const releasing = returnAs !== undefined && this.channel.sendReleasing !== undefined;
        const sent = releasing
          ? this.channel.sendReleasing!(message, (buffer) => this.post({ kind: "returned", returnAs, buffer }, [buffer]))
          : this.channel.send(message);
        sent.then(
          () => {
            if (returnAs !== undefined && !releasing) this.post({ kind: "returned", returnAs });
            this.post({ kind: "credit", bytes: cost });
          },
          (error: Error) => this.fail(error),
        );
        return;
      }
      case "flush":
        this.channel.flush();
        return;
      case "credit":
        this.receiveInFlightBytes -= request.bytes;
        void this.pump();
        return;
      case "close":
        // Everything the worker posted before this is already written; a read still pending ends with the peer.
        this.closing = true;
        this.channel.close().then(
          () => { this.post({ kind: "closed" }); this.stop(); },
          (error: Error) => { this.post({ kind: "failed", error: transferableError(error) }); this.stop(); },
        );
        return;
      case "destroy":
        this.channel.destroy(restoreError(request.error));
        this.stop();
        return;
    }
  }

  /** Reads frames from the real channel while the worker has room for them. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopped && !this.closing && !this.failed && this.receiveInFlightBytes < this.receiveWindowBytes) {
        const frame = await this.channel.receive();
        this.receiveInFlightBytes += windowBytes(frame.length);
        // Frames from the decoder own their buffers, so this transfers without copying.
        const { frame: event, transfer } = portFrame(frame, 0);
        this.post(event, transfer);
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.pumping = false;
    }
  }

  private fail(error: Error): void {
    // Once the worker asked to close, the peer hanging up is expected; the close reports its own outcome.
    if (this.failed || this.stopped || this.closing) return;
    this.failed = true;
    this.post({ kind: "failed", error: transferableError(error) });
    this.options.onFailure?.(error);
  }
}
