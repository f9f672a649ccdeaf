/**
 * Moves the table stream between a compute thread's MessagePort and a socket on a thread that does nothing
 * else, so the kernel's small socket buffer is refilled (or drained) while the compute thread is busy.
 */
import type { Duplex } from "node:stream";
import type { MessagePort } from "node:worker_threads";

type StreamMessage = { chunk: ArrayBuffer; length: number } | { end: true } | { credit: number };

/** Garbler side: chunks from the garbler's `messagePortSink` go to the socket; credit returns once written. */
export function relayPortToSocket(port: MessagePort, socket: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    port.on("message", (message: StreamMessage) => {
      if ("chunk" in message) {
        socket.write(new Uint8Array(message.chunk, 0, message.length), () => port.postMessage({ credit: 1 }));
      } else if ("end" in message) {
        socket.end(() => resolve());
      }
    });
  });
}

/**
 * Evaluator side: socket data goes to the evaluator's `messagePortSource`; the socket is paused while more than
 * `maxInFlight` chunks wait unread, so a slow evaluator bounds memory and back-pressures the garbler.
 */
export function relaySocketToPort(socket: Duplex, port: MessagePort, maxInFlight = 256): Promise<void> {
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    socket.once("error", reject);
    port.on("message", (message: StreamMessage) => {
      if (!("credit" in message)) return;
      inFlight -= message.credit;
      if (inFlight < maxInFlight && socket.isPaused()) socket.resume();
    });
    socket.on("data", (data: Buffer) => {
      // Transfer the read buffer when it is this chunk's alone; copy it when it is a slice of a shared one.
      const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : new Uint8Array(data);
      inFlight++;
      const buffer = owned.buffer as ArrayBuffer;
      port.postMessage({ chunk: buffer, length: owned.length }, [buffer]);
      if (inFlight >= maxInFlight) socket.pause();
    });
    socket.on("end", () => {
      port.postMessage({ end: true });
      resolve();
    });
  });
}
