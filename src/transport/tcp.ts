/**
 * Direct TCP for local runs and tests. It is neither encrypted nor authenticated: across sites use the SSH
 * tunnel (threat model, invariant 7). The listener accepts its peer; the connector retries with backoff for a
 * bounded time, so it does not matter which side starts first.
 */
import net from "node:net";
import type { ChannelOptions } from "./channel.js";
import { ConnectError, TransportError } from "./errors.js";
import { StreamChannel } from "./streamChannel.js";

export interface TcpListener {
  /** The bound address (useful with port 0, which picks a free port). */
  readonly host: string;
  readonly port: number;
  /** Waits for the next peer (at most `timeoutMs`; 0 waits forever) and wraps it in a channel. */
  accept(options?: ChannelOptions & { timeoutMs?: number }): Promise<StreamChannel>;
  /** Waits for the next peer and returns the raw socket, paused (for callers that add their own layer). */
  acceptSocket(timeoutMs?: number): Promise<net.Socket>;
  /** Stops listening; channels already accepted keep working. */
  close(): Promise<void>;
}

/** Tunes a socket for bulk protocol traffic: the channel does its own coalescing, so no Nagle delay. */
function prepareSocket(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 10_000);
}

export async function listen(host: string, port: number): Promise<TcpListener> {
  const server = net.createServer({ pauseOnConnect: true });
  const pending: net.Socket[] = [];
  /** Each waiter gets the next socket, or null when the listener closes first. */
  const waiters: Array<(socket: net.Socket | null) => void> = [];
  let serverError: Error | null = null;

  server.on("connection", (socket) => {
    prepareSocket(socket);
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(socket);
    else pending.push(socket);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw new TransportError(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, "listen");
  });
  server.on("error", (error) => {
    serverError = error;
  });

  const address = server.address() as net.AddressInfo;

  function acceptSocket(timeoutMs = 0): Promise<net.Socket> {
    const ready = pending.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (serverError !== null) return Promise.reject(new TransportError(`listener failed: ${serverError.message}`, "listen"));
    return new Promise<net.Socket>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const waiter = (socket: net.Socket | null): void => {
        if (timer !== null) clearTimeout(timer);
        if (socket === null) reject(new TransportError("the listener was closed before a peer connected", "listen"));
        else resolve(socket);
      };
      waiters.push(waiter);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(new ConnectError(`no peer connected to ${address.address}:${address.port} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  return {
    host: address.address,
    port: address.port,
    acceptSocket,
    async accept(options = {}) {
      const { timeoutMs, ...channelOptions } = options;
      const socket = await acceptSocket(timeoutMs ?? 0);
      return new StreamChannel(socket, { label: `tcp ${socket.remoteAddress}:${socket.remotePort}`, ...channelOptions });
    },
    async close() {
      for (const socket of pending.splice(0)) socket.destroy();
      for (const waiter of waiters.splice(0)) waiter(null);
      // server.close's callback waits for accepted connections to end too; stopping to listen is enough.
      server.close();
    },
  };
}

export interface ConnectOptions extends ChannelOptions {
  /** Keep retrying a refused or unreachable peer for this long in total. */
  retryForMs?: number;
  /** First pause between attempts; doubles up to `maxRetryDelayMs`. */
  initialRetryDelayMs?: number;
  maxRetryDelayMs?: number;
}

const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND"]);

function connectOnce(host: string, port: number, attemptTimeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error("connect attempt timed out"), { code: "ETIMEDOUT" }));
    }, attemptTimeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

/** Connects to a socket, retrying with exponential backoff until `retryForMs` has passed. */
export async function connectSocket(host: string, port: number, options: ConnectOptions = {}): Promise<net.Socket> {
  const retryForMs = options.retryForMs ?? 30_000;
  let delayMs = options.initialRetryDelayMs ?? 50;
  const maxDelayMs = options.maxRetryDelayMs ?? 2_000;
  const giveUpAt = performance.now() + retryForMs;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const remaining = giveUpAt - performance.now();
    try {
      const socket = await connectOnce(host, port, Math.max(1_000, Math.min(remaining, 10_000)));
      prepareSocket(socket);
      return socket;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      const left = giveUpAt - performance.now();
      if (!RETRYABLE.has(code) || left <= 0) {
        throw new ConnectError(`could not connect to ${host}:${port} after ${attempts} attempt(s) over ${retryForMs} ms: ${code || (error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, left)));
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}

/** Connects to the listening peer and wraps the socket in a channel. */
export async function connect(host: string, port: number, options: ConnectOptions = {}): Promise<StreamChannel> {
  const { retryForMs: _retry, initialRetryDelayMs: _initial, maxRetryDelayMs: _max, ...channelOptions } = options;
  const socket = await connectSocket(host, port, options);
  return new StreamChannel(socket, { label: `tcp ${host}:${port}`, ...channelOptions });
}
