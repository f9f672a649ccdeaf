/**
 * bench:ot — correlated OTs per second between two processes over loopback TCP, bytes per OT, peak RSS.
 * The parent is the COT sender (garbler, holds Δ) and listens; a forked child is the receiver (evaluator).
 * Usage: npm run bench:ot -- [--count N[,N...]] [--chunk OTS] [--profile]
 * Default counts: 10^7 and 10^8. --profile profiles both processes (the receiver under `node --cpu-prof`,
 * the sender through the inspector) and prints the functions with the most self time in each.
 */
import { fork } from "node:child_process";
import { randomBytes, randomFillSync } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CorrelatedOtReceiver, CorrelatedOtSender } from "../../src/ot/correlatedOt.js";
import { DEFAULT_CHUNK_OTS } from "../../src/ot/iknpShared.js";
import { connect, listen } from "../../src/transport/tcp.js";

const argument = (name: string): string | undefined => {
  const prefixed = process.argv.find((arg) => arg.startsWith(`${name}=`));
  if (prefixed !== undefined) return prefixed.slice(name.length + 1);
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};

const chunkOts = Number(argument("--chunk") ?? DEFAULT_CHUNK_OTS);
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

interface ReceiverReport {
  setupMs: number;
  extendMs: number;
  peakRssMiB: number;
  bytesSent: number;
  bytesReceived: number;
}

/** Child: the COT receiver with random choices generated chunk by chunk. */
async function runReceiver(port: number, count: number): Promise<void> {
  const channel = await connect("127.0.0.1", port, { retryForMs: 10_000, label: "bench receiver" });
  const setupStart = performance.now();
  const receiver = await CorrelatedOtReceiver.setup(channel);
  const setupMs = performance.now() - setupStart;
  const choiceBuffer = new Uint8Array(Math.ceil(chunkOts / 8));
  let checksum = 0;
  const extendStart = performance.now();
  await receiver.extend(
    count,
    (_first, size) => randomFillSync(choiceBuffer).subarray(0, Math.ceil(size / 8)),
    (blocks) => {
      checksum ^= blocks[0];
    },
    { chunkOts },
  );
  const extendMs = performance.now() - extendStart;
  const counters = channel.counters();
  await channel.close();
  const report: ReceiverReport = { setupMs, extendMs, peakRssMiB: peakRssMiB(), bytesSent: counters.bytesSent, bytesReceived: counters.bytesReceived };
  process.send?.({ report, checksum });
}

async function runPair(count: number, profileDir: string | null): Promise<void> {
  const listener = await listen("127.0.0.1", 0);
  const execArgv = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ["--role=receiver", `--port=${listener.port}`, `--count=${count}`, `--chunk=${chunkOts}`], { execArgv });
  const receiverReport = new Promise<ReceiverReport>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { report: ReceiverReport }).report));
    child.once("exit", (code) => (code !== 0 ? reject(new Error(`receiver exited with ${code}`)) : undefined));
  });

  const channel = await listener.accept({ timeoutMs: 30_000, label: "bench sender" });
  await listener.close();
  const delta = Uint8Array.from(randomBytes(16));
  delta[0] |= 1;
  const setupStart = performance.now();
  const sender = await CorrelatedOtSender.setup(channel, delta);
  const setupMs = performance.now() - setupStart;
  let checksum = 0;
  const extendStart = performance.now();
  await sender.extend(count, (blocks) => {
    checksum ^= blocks[0];
  }, { chunkOts });
  const extendMs = performance.now() - extendStart;
  const counters = channel.counters();
  await channel.close();
  const receiver = await receiverReport;
  await new Promise((resolve) => child.once("exit", resolve));

  const seconds = Math.max(extendMs, receiver.extendMs) / 1000;
  const totalBytes = counters.bytesSent + counters.bytesReceived;
  console.log(
    [
      `COT  n=${count.toExponential(0).replace("+", "")}  chunk=${chunkOts}`,
      `  base OT setup:     ${setupMs.toFixed(0)} ms (sender), ${receiver.setupMs.toFixed(0)} ms (receiver)`,
      `  extension:         ${seconds.toFixed(2)} s  →  ${(count / seconds / 1e6).toFixed(2)} M COT/s`,
      `  traffic:           ${(totalBytes / 1e6).toFixed(1)} MB total, ${(totalBytes / count).toFixed(3)} bytes/OT (receiver→sender ${(counters.bytesReceived / count).toFixed(3)})`,
      `  peak RSS:          sender ${peakRssMiB().toFixed(0)} MiB, receiver ${receiver.peakRssMiB.toFixed(0)} MiB`,
      `  (checksum ${checksum})`,
    ].join("\n"),
  );
}

/** Sums self time per function over the .cpuprofile files in `dir`. */
function summariseProfiles(dir: string): void {
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
      nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
      samples: number[];
      timeDeltas: number[];
    };
    const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
    const selfTime = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, index) => {
      const frame = byNode.get(id)!.callFrame;
      const name = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}`;
      const delta = profile.timeDeltas[index] ?? 0;
      selfTime.set(name, (selfTime.get(name) ?? 0) + delta);
      total += delta;
    });
    console.log(`profile ${file}: top self time`);
    for (const [name, micros] of [...selfTime.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
      console.log(`  ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}`);
    }
  }
}

async function main(): Promise<void> {
  if (argument("--role") === "receiver") {
    await runReceiver(Number(argument("--port")), Number(argument("--count")));
    return;
  }
  const counts = (argument("--count") ?? "1e7,1e8").split(",").map(Number);
  const profile = process.argv.includes("--profile");
  for (const count of counts) {
    const profileDir = profile ? mkdtempSync(join(tmpdir(), "catalyst-ot-prof-")) : null;
    // The child runs under --cpu-prof; this process (the sender) profiles itself through the inspector.
    const session = profileDir !== null ? new Session() : null;
    if (session !== null) {
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    await runPair(count, profileDir);
    if (session !== null && profileDir !== null) {
      const { profile: senderProfile } = await session.post("Profiler.stop");
      writeFileSync(join(profileDir, "sender.cpuprofile"), JSON.stringify(senderProfile));
      session.disconnect();
      summariseProfiles(profileDir);
      rmSync(profileDir, { recursive: true, force: true });
    }
  }
}

await main();
