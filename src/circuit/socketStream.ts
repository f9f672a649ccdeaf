/** The table stream over a net.Socket or pipe: the kernel's buffer and 'drain' give the back-pressure. */
import type { Duplex } from "node:stream";
import type { ByteSink, ByteSource } from "./tableStream.js";

/**
 * Waits for 'drain' only once more than `maxBufferedBytes` are queued: waiting at Node's 16 KiB default would
 * stall the garbler each chunk until the evaluator caught up, serialising the two processes.
 */
export function socketSink(socket: Duplex, maxBufferedBytes = 16 << 20): ByteSink {
  return {
    write(chunk: Uint8Array): void | Promise<void> {
      socket.write(chunk);
      // A compute-bound garbler rarely returns to the event loop, and only there does libuv move queued
      // bytes into the kernel: yield once per chunk so the evaluator is fed while the garbler works.
      if (socket.writableLength <= maxBufferedBytes) return socket.writableLength > 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined;
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => { socket.off("drain", done); socket.off("error", done); if (error) reject(error); else resolve(); };
        socket.once("drain", done);
        socket.once("error", done);
      });
    },
    end(): Promise<void> {
      return new Promise<void>((resolve) => socket.end(resolve));
    },
  };
}

/** Reads the socket's chunks in order; `null` once the peer has ended it. */
export function socketSource(socket: Duplex): ByteSource {
  const iterator = socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return {
    async read(): Promise<Uint8Array | null> {
      const next = await iterator.next();
      return next.done ? null : (next.value as Uint8Array);
    },
  };
}
