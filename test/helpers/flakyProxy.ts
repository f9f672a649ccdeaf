/** A loopback TCP proxy that breaks its first connections on purpose, to show that uploads retry to completion. */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface FlakyProxyOptions {
  /** How many connections to break before passing everything through. */
  failures: number;
  /** `request`: cut after this many bytes of the request; `answer`: let the request through, then drop the answer. */
  mode: "request" | "answer";
  /** For `request` mode: bytes of the request forwarded before the cut. */
  cutAfterBytes?: number;
}

export interface FlakyProxy {
  port: number;
  /** Connections seen and connections broken so far. */
  readonly connections: number;
  readonly broken: number;
  /** Starts breaking connections: until then everything passes, so set-up traffic is not counted. */
  arm(): void;
  stop(): Promise<void>;
}

export async function startFlakyProxy(targetPort: number, options: FlakyProxyOptions): Promise<FlakyProxy> {
  let connections = 0;
  let broken = 0;
  let armed = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const breakThis = armed && broken < options.failures;
    if (breakThis) broken++;
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) { sockets.add(socket); socket.on("close", () => sockets.delete(socket)); socket.on("error", () => {}); }
    const cutBoth = () => { client.destroy(); upstream.destroy(); };
    let forwarded = 0;
    client.on("data", (chunk: Buffer) => {
      if (breakThis && options.mode === "request") {
        const room = (options.cutAfterBytes ?? 0) - forwarded;
        if (room <= chunk.length) { upstream.write(chunk.subarray(0, Math.max(0, room)), cutBoth); return; }
      }
      forwarded += chunk.length;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      // The store has answered, so it has the whole request: losing the answer now is the worst case for a retry.
      if (breakThis && options.mode === "answer") {
        // An interim `100 Continue` is not the answer: pass it on, and cut at whatever follows it.
        const text = chunk.toString("latin1");
        const interimEnd = text.startsWith("HTTP/1.1 100") ? text.indexOf("\r\n\r\n") + 4 : 0;
        if (interimEnd > 0) client.write(chunk.subarray(0, interimEnd));
        if (interimEnd < chunk.length) cutBoth();
        return;
      }
      client.write(chunk);
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    get connections() { return connections; },
    get broken() { return broken; },
    arm: () => { armed = true; },
    stop: () => new Promise<void>((resolve) => { for (const socket of sockets) socket.destroy(); server.close(() => resolve()); }),
  };
}
