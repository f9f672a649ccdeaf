/** The table stream over a worker_threads MessagePort: chunks are transferred, not copied, with credit-based back-pressure. */
import type { MessagePort } from "node:worker_threads";
import type { ByteSink, ByteSource } from "./tableStream.js";

type StreamMessage = { chunk: ArrayBuffer; length: number } | { end: true } | { credit: number };

/** At most `maxInFlight` chunks sent but not yet consumed, so a slow evaluator bounds the garbler's memory. */
export function messagePortSink(port: MessagePort, maxInFlight = 32): ByteSink {
  let inFlight = 0;
  let wake: (() => void) | undefined;
  port.on("message", (message: StreamMessage) => {
    if ("credit" in message) {
      inFlight -= message.credit;
      wake?.();
    }
  });
  return {
    async write(chunk: Uint8Array): Promise<void> {
      const owned = chunk.byteOffset === 0 && chunk.buffer instanceof ArrayBuffer ? chunk : chunk.slice();
      const buffer = owned.buffer as ArrayBuffer;
      inFlight++;
      port.postMessage({ chunk: buffer, length: owned.length }, [buffer]);
      while (inFlight >= maxInFlight) await new Promise<void>((resolve) => { wake = resolve; });
    },
    end(): void {
      port.postMessage({ end: true });
    },
  };
}

export function messagePortSource(port: MessagePort): ByteSource {
  const queue: Array<Uint8Array | null> = [];
  let wake: (() => void) | undefined;
  port.on("message", (message: StreamMessage) => {
    if ("chunk" in message) queue.push(new Uint8Array(message.chunk, 0, message.length));
    else if ("end" in message) queue.push(null);
    else return;
    wake?.();
  });
  return {
    async read(): Promise<Uint8Array | null> {
      while (queue.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
      const next = queue.shift()!;
      if (next !== null) port.postMessage({ credit: 1 });
      else queue.unshift(null);
      return next;
    },
  };
}
