/**
 * A worker thread that garbles or evaluates one Bristol circuit for `catalyst circuit run --backend garbled`.
 * The two workers talk over a loopback TCP channel: real IKNP correlated OT for the inputs, then the tables.
 */
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { connect, listen } from "../transport/tcp.js";
import { bristolProgram, parseBristol } from "./bristol.js";
import { evaluateOverChannel, garbleOverChannel } from "./channelParty.js";

export interface BristolWorkerData {
  role: "garbler" | "evaluator";
  circuitPath: string;
  /** This party's XOR share of each input, one byte per bit. */
  shares: Uint8Array[];
  /** Evaluator only: the garbler's loopback port. */
  port?: number;
}

export type BristolWorkerMessage =
  | { type: "listening"; port: number }
  | { type: "done"; shares: Uint8Array[]; andGates: number; streamBytes: number };

const data = workerData as BristolWorkerData;
const parent = parentPort!;
const circuit = parseBristol(readFileSync(data.circuitPath, "utf8"), data.circuitPath);
const program = bristolProgram(circuit);

if (data.role === "garbler") {
  const listener = await listen("127.0.0.1", 0);
  parent.postMessage({ type: "listening", port: listener.port } satisfies BristolWorkerMessage);
  const channel = await listener.accept({ timeoutMs: 30_000, label: "circuit run garbler" });
  await listener.close();
  const run = await garbleOverChannel(program, channel, data.shares);
  await channel.close().catch(() => undefined);
  parent.postMessage({ type: "done", shares: run.outputShares, andGates: run.andGates, streamBytes: run.streamBytes } satisfies BristolWorkerMessage);
} else {
  const channel = await connect("127.0.0.1", data.port!, { retryForMs: 30_000, label: "circuit run evaluator" });
  const run = await evaluateOverChannel(program, channel, data.shares);
  await channel.close().catch(() => undefined);
  parent.postMessage({ type: "done", shares: run.outputShares, andGates: run.andGates, streamBytes: run.streamBytes } satisfies BristolWorkerMessage);
}
