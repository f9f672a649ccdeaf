/**
 * bench:gc — AND gates per second of the gate engine: garbling alone, evaluation alone, and end to end with
 * garbler and evaluator in two processes joined by a Unix-domain socket; bytes per AND; peak RSS of each process.
 * Circuits: "layered" (each round one vector AND of 2^20 wires plus one XOR per AND; ≥ 10^8 ANDs by default)
 * and "sort" (bitonic sort of 2^16 rows of 32-bit keys, 2.85·10^8 ANDs: 64 ANDs and 190 XORs per compare-exchange).
 * Usage: npm run bench:gc -- [--ands N] [--rows N] [--only layered|sort] [--skip-alone | --garble-only] [--profile]
 * (--garble-only with --ands 1e9 shows the garbler's memory staying flat over 10^9 ANDs.)
 * Each phase runs in a fresh child process so that its peak RSS is its own. --profile adds `node --cpu-prof`
 * to every child and prints where the self time went.
 */
import { spawn } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from "node:worker_threads";
import { join } from "node:path";
import type { Backend, CircuitProgram } from "../../src/circuit/backend.js";
import { bitPlanes } from "../../src/circuit/bitVector/bitPlanes.js";
import { bitonicSort } from "../../src/circuit/bitVector/bitonicSort.js";
import type { CorrelatedOtReceiver, CorrelatedOtSender } from "../../src/circuit/correlatedOt.js";
import { Evaluator } from "../../src/circuit/evaluator.js";
import { Garbler } from "../../src/circuit/garbler.js";
import type { ByteSink, ByteSource } from "../../src/circuit/tableStream.js";
import type { WireVector } from "../../src/circuit/wireVector.js";
import { channelByteSink, channelByteSource } from "../../src/transport/channelByteStream.js";
import { ChannelPortRelay } from "../../src/transport/channelPortRelay.js";
import { MessagePortChannel } from "../../src/transport/messagePortChannel.js";
import { StreamChannel } from "../../src/transport/streamChannel.js";

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};

type CircuitName = "layered" | "sort";
type Phase = "garble-only" | "evaluate-only" | "garbler" | "evaluator";

interface CircuitPlan {
  name: CircuitName;
  description: string;
  inputBits: number[];
  program: CircuitProgram;
}

function plan(name: CircuitName, ands: number, rows: number): CircuitPlan {
  if (name === "layered") {
    const lanes = Math.min(1 << 20, ands);
    const rounds = Math.ceil(ands / lanes);
    return {
      name,
      description: `layered: ${rounds} rounds of next = (a AND b) XOR a on ${lanes} wires (one XOR per AND), ${(rounds * lanes).toExponential(2)} ANDs`,
      inputBits: [lanes, lanes],
      program: async (backend: Backend, [first, second]: WireVector[]) => {
        let a = first;
        let b = second;
        for (let round = 0; round < rounds; round++) {
          const next = backend.xor(await backend.and(a, b), a);
          a = b;
          b = next;
        }
        return [backend.slice(b, 0, 128)];
      },
    };
  }
  const lg = Math.log2(rows);
  return {
    name,
    description: `sort: bitonic sort of ${rows} rows of 32-bit keys, ${((rows / 4) * lg * (lg + 1) * 64).toExponential(3)} ANDs (compare 32 + swap 32 per compare-exchange)`,
    inputBits: [32 * rows],
    program: async (backend: Backend, [keys]: WireVector[]) => [(await bitonicSort(backend, bitPlanes(keys, 32))).wires],
  };
}

/**
 * Bench-only stand-in for the COT: both processes expand the same seed into K, the evaluator's share is 0,
 * so the garbler's 0-label is K ⊕ sG·Δ and the evaluator's label is K. Never use outside a benchmark.
 */
class SeededCorrelatedOt implements CorrelatedOtSender, CorrelatedOtReceiver {
  private readonly generator;
  constructor(seed: Buffer) {
    this.generator = createCipheriv("aes-128-ctr", seed, Buffer.alloc(16));
  }
  private expand(count: number): Uint8Array {
    return new Uint8Array(this.generator.update(Buffer.alloc(count * 16)));
  }
  async sendCorrelated(_delta: Uint8Array, count: number): Promise<Uint8Array> {
    return this.expand(count);
  }
  async receiveCorrelated(choices: Uint8Array): Promise<Uint8Array> {
    return this.expand(choices.length);
  }
}

interface PhaseReport {
  phase: Phase;
  seconds: number;
  andGates: number;
  streamBytes: number;
  peakRssBytes: number;
  /** User + system CPU seconds of the whole child process. */
  cpuSeconds: number;
}

/**
 * One phase in a child process; prints its report as the last stdout line. For end to end, the main thread
 * only relays the socket and a worker thread computes, over the channels catalyst compute uses.
 */
async function runPhase(phase: Phase, circuitName: CircuitName, ands: number, rows: number, seed: string, socketPath: string): Promise<void> {
  let computed: Omit<PhaseReport, "peakRssBytes" | "cpuSeconds">;
  if (phase === "garble-only") {
    let discarded = 0;
    computed = await compute(phase, circuitName, ands, rows, seed, { write: (chunk) => { discarded += chunk.length; } });
  } else if (phase === "evaluate-only") {
    // Evaluation cost does not depend on table contents: replay one random 1 MiB chunk forever.
    const chunk = new Uint8Array(randomBytes(1 << 20));
    computed = await compute(phase, circuitName, ands, rows, seed, { read: async () => chunk });
  } else {
    // As catalyst compute runs: the worker's port channel relayed onto the socket's channel by this thread.
    const ports = new MessageChannel();
    let server: ReturnType<typeof createServer> | undefined;
    let socket: Socket;
    if (phase === "garbler") {
      socket = await connectWithRetry(socketPath);
    } else {
      const connected = new Promise<Socket>((resolve) => { server = createServer(resolve); });
      server!.listen(socketPath);
      console.log("ready");
      socket = await connected;
    }
    const real = new StreamChannel(socket, { label: phase, idleTimeoutMs: 0 });
    const relay = new ChannelPortRelay(real, ports.port2);
    const worker = new Worker(process.argv[1], { workerData: { phase, circuitName, ands, rows, seed, port: ports.port1 }, transferList: [ports.port1] });
    computed = await new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
    relay.stop();
    real.destroy();
    await worker.terminate();
    server?.close();
    ports.port2.close();
  }
  const report: PhaseReport = { ...computed, peakRssBytes: process.resourceUsage().maxRSS * 1024, cpuSeconds: cpuSeconds() };
  console.log(JSON.stringify(report));
}

/** Runs the circuit as garbler (into `sink`) or evaluator (from `source`) and times it. */
async function compute(phase: Phase, circuitName: CircuitName, ands: number, rows: number, seed: string, stream: ByteSink | ByteSource): Promise<Omit<PhaseReport, "peakRssBytes" | "cpuSeconds">> {
  const circuit = plan(circuitName, ands, rows);
  const ot = new SeededCorrelatedOt(Buffer.from(seed, "hex"));
  const started = performance.now();
  if ("write" in stream) {
    const garbler = new Garbler(stream);
    const inputs = [];
    for (const bits of circuit.inputBits) inputs.push(await garbler.inputShared(randomBytes(bits).map((byte) => byte & 1), ot));
    const outputs = await circuit.program(garbler, inputs);
    outputs.forEach((output) => garbler.outputShare(output));
    await garbler.finish();
    return { phase, seconds: (performance.now() - started) / 1000, andGates: garbler.andGates, streamBytes: garbler.streamBytes };
  }
  const evaluator = await Evaluator.create(stream);
  const inputs = [];
  for (const bits of circuit.inputBits) inputs.push(await evaluator.inputShared(new Uint8Array(bits), ot));
  const outputs = await circuit.program(evaluator, inputs);
  outputs.forEach((output) => evaluator.outputShare(output));
  if (phase === "evaluator") await evaluator.finish();
  return { phase, seconds: (performance.now() - started) / 1000, andGates: evaluator.andGates, streamBytes: evaluator.streamBytes };
}

/** The compute thread of an end-to-end child, with compute's send window. */
async function computeInWorker(): Promise<void> {
  const data = workerData as { phase: Phase; circuitName: CircuitName; ands: number; rows: number; seed: string; port: MessagePort };
  const channel = new MessagePortChannel(data.port, { label: data.phase, idleTimeoutMs: 0, sendWindowBytes: 32 << 20 });
  const stream = data.phase === "garbler" ? channelByteSink(channel) : channelByteSource(channel);
  const computed = await compute(data.phase, data.circuitName, data.ands, data.rows, data.seed, stream);
  // Everything sent is written before the report; the peer may have hung up first, which is no error by now.
  await channel.close().catch(() => undefined);
  parentPort!.postMessage(computed);
}

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function connectWithRetry(path: string): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = createConnection(path, () => resolve(socket));
        socket.once("error", reject);
      });
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Starts this script as a child for one phase; resolves with its report. */
function child(phase: Phase, circuit: CircuitName, options: { ands: number; rows: number; seed: string; socketPath: string; profileDir?: string }, onReady?: () => void): Promise<PhaseReport> {
  const nodeArgs = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${circuit}-${phase}.cpuprofile`] : [];
  const args = [...nodeArgs, process.argv[1], "--phase", phase, "--circuit", circuit, "--ands", String(options.ands), "--rows", String(options.rows), "--seed", options.seed, "--socket", options.socketPath];
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    process_.stdout.on("data", (data: Buffer) => {
      output += data.toString();
      if (output.includes("ready\n") && onReady) { const ready = onReady; onReady = undefined; ready(); }
    });
    process_.on("exit", (code) => {
      const last = output.trim().split("\n").pop() ?? "";
      if (code !== 0) reject(new Error(`${phase} child exited with ${code}`));
      else resolve(JSON.parse(last) as PhaseReport);
    });
  });
}

const millions = (rate: number) => (rate / 1e6).toFixed(2).padStart(6);
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Self time per function from the children's .cpuprofile files, top entries. */
function summariseProfiles(dir: string): void {
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".cpuprofile")).sort()) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] };
    const byNode = new Map<number, number>();
    profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const byFunction = new Map<string, number>();
    let total = 0;
    for (const node of profile.nodes) {
      const time = byNode.get(node.id) ?? 0;
      total += time;
      const where = node.callFrame.url ? node.callFrame.url.split("/").slice(-1)[0] + ":" + (node.callFrame.lineNumber + 1) : "native";
      const key = `${node.callFrame.functionName || "(anonymous)"} ${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + time);
    }
    console.log(`  profile ${file}:`);
    for (const [name, time] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`);
  }
}

async function main(): Promise<void> {
  const ands = Number(argument("--ands") ?? 1e8);
  const rows = Number(argument("--rows") ?? 65536);
  const phase = argument("--phase") as Phase | undefined;
  if (phase) {
    await runPhase(phase, argument("--circuit") as CircuitName, ands, rows, argument("--seed")!, argument("--socket")!);
    return;
  }
  const only = argument("--only");
  const work = mkdtempSync(join(tmpdir(), "catalyst-bench-gc-"));
  const profileDir = process.argv.includes("--profile") ? join(work, "profiles") : undefined;
  try {
    for (const name of (["layered", "sort"] as CircuitName[]).filter((circuit) => !only || only === circuit)) {
      const options = { ands, rows, seed: randomBytes(16).toString("hex"), socketPath: join(work, `${name}.sock`), profileDir };
      console.log(`bench:gc  ${plan(name, ands, rows).description}`);
      const alone = !process.argv.includes("--skip-alone");
      const skipped: PhaseReport = { phase: "garble-only", seconds: NaN, andGates: NaN, streamBytes: NaN, peakRssBytes: NaN, cpuSeconds: NaN };
      const garbleOnly = alone ? await child("garble-only", name, options) : skipped;
      const evaluateOnly = alone && !process.argv.includes("--garble-only") ? await child("evaluate-only", name, options) : skipped;
      if (process.argv.includes("--garble-only")) {
        console.log(`  garble only:   ${millions(garbleOnly.andGates / garbleOnly.seconds)} M AND/s  ${garbleOnly.seconds.toFixed(1)} s  peak RSS ${megabytes(garbleOnly.peakRssBytes)}  ${garbleOnly.andGates.toLocaleString("en-US")} ANDs, ${(garbleOnly.streamBytes / 1e9).toFixed(2)} GB of tables`);
        continue;
      }
      let garblerDone: Promise<PhaseReport> | undefined;
      const evaluator = await child("evaluator", name, options, () => { garblerDone = child("garbler", name, options); });
      const garbler = await garblerDone!;
      const bytesPerAnd = (garbler.streamBytes - 16) / garbler.andGates;
      console.log(`  garble only:   ${millions(garbleOnly.andGates / garbleOnly.seconds)} M AND/s  ${garbleOnly.seconds.toFixed(1)} s  peak RSS ${megabytes(garbleOnly.peakRssBytes)}`);
      console.log(`  evaluate only: ${millions(evaluateOnly.andGates / evaluateOnly.seconds)} M AND/s  ${evaluateOnly.seconds.toFixed(1)} s  peak RSS ${megabytes(evaluateOnly.peakRssBytes)}`);
      console.log(`  end to end:    ${millions(evaluator.andGates / evaluator.seconds)} M AND/s  ${evaluator.seconds.toFixed(1)} s  (two processes, Unix socket, I/O thread + compute thread each)  peak RSS garbler ${megabytes(garbler.peakRssBytes)}, evaluator ${megabytes(evaluator.peakRssBytes)}`);
      console.log(`                 CPU seconds: garbler ${garbler.cpuSeconds.toFixed(1)}, evaluator ${evaluator.cpuSeconds.toFixed(1)} (garble-only ${garbleOnly.cpuSeconds.toFixed(1)}, evaluate-only ${evaluateOnly.cpuSeconds.toFixed(1)})`);
      console.log(`  ${garbler.andGates.toLocaleString("en-US")} ANDs, ${(garbler.streamBytes / 1e9).toFixed(2)} GB of tables, ${bytesPerAnd.toFixed(2)} bytes/AND`);
    }
    if (profileDir) summariseProfiles(profileDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (isMainThread) await main();
else await computeInWorker();
