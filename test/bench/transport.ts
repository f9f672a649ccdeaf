/**
 * bench:transport — MB/s through the framed channel over raw loopback TCP, sender and reader in two processes.
 * A first row measures plain net.Socket writes for comparison; the last rows go through the SSH tunnel to a
 * real OpenSSH sshd on loopback (ssh2 client, forwardOut), as the evaluator reaches the garbler.
 * Usage: npm run bench:transport -- [--megabytes N] [--frame BYTES[,BYTES...]]
 */
import { fork } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshTunnel } from "../../src/transport/sshTunnel.js";
import { StreamChannel } from "../../src/transport/streamChannel.js";
import { connect, listen } from "../../src/transport/tcp.js";
import { startSshd, type TestSshServer } from "../helpers/sshd.js";

const argument = (name: string): string | undefined => {
  const prefixed = process.argv.find((arg) => arg.startsWith(`${name}=`));
  if (prefixed !== undefined) return prefixed.slice(name.length + 1);
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};

const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

/** Child: sends `totalBytes` in frames of `frameBytes`, as fast as backpressure allows (through SSH when asked). */
async function runSender(port: number, totalBytes: number, frameBytes: number, ssh?: { port: number; user: string; key: string; knownHosts: string }): Promise<void> {
  let channel;
  let tunnel: SshTunnel | undefined;
  if (ssh) {
    tunnel = await SshTunnel.open({ user: ssh.user, host: "127.0.0.1", port: ssh.port, privateKey: await readFile(ssh.key), knownHosts: await readFile(ssh.knownHosts, "utf8") });
    channel = new StreamChannel(await tunnel.forward("127.0.0.1", port), { label: "bench sender over ssh" });
  } else {
    channel = await connect("127.0.0.1", port, { retryForMs: 10_000, label: "bench sender" });
  }
  const frames = Math.ceil(totalBytes / frameBytes);
  // One payload reused: its content never changes, so handing it over again is safe and measures the channel, not the allocator.
  const payload = new Uint8Array(frameBytes);
  for (let i = 0; i < frames; i++) await channel.send(payload);
  await channel.close();
  tunnel?.close();
  process.send?.({ peakRssMiB: peakRssMiB() });
}

async function measure(totalBytes: number, frameBytes: number, ssh?: TestSshServer): Promise<void> {
  const listener = await listen("127.0.0.1", 0);
  const sshArguments = ssh ? [`--ssh-port=${ssh.port}`, `--ssh-user=${ssh.user}`, `--ssh-key=${ssh.clientKey}`, `--known-hosts=${ssh.knownHosts}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ["--role=sender", `--port=${listener.port}`, `--bytes=${totalBytes}`, `--frame=${frameBytes}`, ...sshArguments]);
  const senderReport = new Promise<{ peakRssMiB: number }>((resolve) => child.once("message", (message) => resolve(message as { peakRssMiB: number })));
  const channel = await listener.accept({ timeoutMs: 30_000, label: "bench reader" });
  await listener.close();
  const frames = Math.ceil(totalBytes / frameBytes);
  await channel.receive();
  const start = performance.now();
  for (let i = 1; i < frames; i++) await channel.receive();
  const seconds = (performance.now() - start) / 1000;
  const bytes = channel.counters().bytesReceived;
  await channel.close();
  const sender = await senderReport;
  await new Promise((resolve) => child.once("exit", resolve));
  console.log(
    `${ssh ? "SSH tunnel (sshd)" : "raw TCP loopback "} frame ${String(frameBytes).padStart(8)} B: ${((bytes / seconds) / 1e6).toFixed(0).padStart(5)} MB/s ` +
      `(${(frames / seconds / 1e3).toFixed(0)} k frames/s; peak RSS reader ${peakRssMiB().toFixed(0)} MiB, sender ${sender.peakRssMiB.toFixed(0)} MiB)`,
  );
}

/** Baseline without the channel: plain net.Socket writes of 1 MiB with 'drain' handling, counted on arrival. */
async function runRawSender(port: number, totalBytes: number): Promise<void> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve) => socket.once("connect", resolve));
  const payload = Buffer.alloc(1 << 20);
  for (let sent = 0; sent < totalBytes; sent += payload.length) {
    if (!socket.write(payload)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

async function measureRawSocket(totalBytes: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const child = fork(fileURLToPath(import.meta.url), ["--role=raw-sender", `--port=${port}`, `--bytes=${totalBytes}`]);
  const socket = await new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  server.close();
  let bytes = 0;
  let start = 0;
  await new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      if (start === 0) start = performance.now();
      bytes += chunk.length;
    });
    socket.on("end", resolve);
  });
  const seconds = (performance.now() - start) / 1000;
  await new Promise((resolve) => child.once("exit", resolve));
  console.log(`raw net.Socket baseline (no framing, 1 MiB writes): ${((bytes / seconds) / 1e6).toFixed(0).padStart(5)} MB/s`);
}

async function main(): Promise<void> {
  if (argument("--role") === "raw-sender") {
    await runRawSender(Number(argument("--port")), Number(argument("--bytes")));
    return;
  }
  if (argument("--role") === "sender") {
    const sshPort = argument("--ssh-port");
    const ssh = sshPort ? { port: Number(sshPort), user: argument("--ssh-user")!, key: argument("--ssh-key")!, knownHosts: argument("--known-hosts")! } : undefined;
    await runSender(Number(argument("--port")), Number(argument("--bytes")), Number(argument("--frame")), ssh);
    return;
  }
  const totalBytes = Number(argument("--megabytes") ?? 2000) * 1e6;
  const frameSizes = (argument("--frame") ?? "256,16384,1048576").split(",").map(Number);
  await measureRawSocket(totalBytes);
  for (const frameBytes of frameSizes) {
    // Small frames are bounded by per-frame work: send fewer of them so each row takes seconds, not minutes.
    await measure(frameBytes < 4096 ? Math.min(totalBytes, 200e6) : totalBytes, frameBytes);
  }
  const folder = await mkdtemp(join(tmpdir(), "catalyst-bench-ssh-"));
  const sshd = await startSshd(folder);
  try {
    for (const frameBytes of frameSizes.filter((size) => size >= 16384)) await measure(totalBytes, frameBytes, sshd);
  } finally {
    await sshd.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

await main();
