/** Garbles and evaluates a Bristol circuit in two worker threads joined by a MessagePort; this thread deals the COT. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker } from "node:worker_threads";
import type { BristolWorkerData, BristolWorkerMessage } from "./bristolWorker.js";
import { correlate } from "./correlatedOt.js";
import { combineOutputShares, splitIntoShares } from "./twoParty.js";

export interface WorkerRunResult {
  outputs: Uint8Array[];
  andGates: number;
  streamBytes: number;
}

/** The compiled worker script; from TypeScript sources (tests) fall back to the build in dist/. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "bristolWorker.js");
  if (existsSync(beside)) return beside;
  const built = resolve(here, "..", "..", "dist", "src", "circuit", "bristolWorker.js");
  if (existsSync(built)) return built;
  throw new Error("the circuit worker is not compiled: run `npx tsc -p .` first");
}

/**
 * Splits each input into random XOR shares, gives one share to each worker, and recombines their output
 * shares. This thread sees both shares and Δ (it is the ideal COT), so this is a local tool, not a deployment.
 */
export async function runBristolInWorkers(circuitPath: string, inputs: Uint8Array[]): Promise<WorkerRunResult> {
  const shares = inputs.map(splitIntoShares);
  const channel = new MessageChannel();
  const script = workerScript();
  const start = (data: BristolWorkerData, transfer: Array<import("node:worker_threads").MessagePort>) => new Worker(script, { workerData: data, transferList: transfer });
  const garbler = start({ role: "garbler", circuitPath, shares: shares.map((share) => share.garblerShare), stream: channel.port1 }, [channel.port1]);
  const evaluator = start({ role: "evaluator", circuitPath, shares: shares.map((share) => share.evaluatorShare), stream: channel.port2 }, [channel.port2]);
  let cotIndex = 0;
  const finished = (worker: Worker, onMessage?: (message: BristolWorkerMessage) => void) =>
    new Promise<Extract<BristolWorkerMessage, { type: "done" }>>((resolvePromise, reject) => {
      let done: Extract<BristolWorkerMessage, { type: "done" }> | undefined;
      worker.on("message", (message: BristolWorkerMessage) => {
        if (message.type === "done") { done = message; resolvePromise(message); } else onMessage?.(message);
      });
      worker.on("error", reject);
      worker.on("exit", (code) => { if (!done) reject(new Error(`a circuit worker stopped (exit ${code}) before finishing`)); });
    });
  try {
    const [garbled, evaluated] = await Promise.all([
      finished(garbler, (message) => {
        if (message.type !== "cot-keys") return;
        const choices = shares[cotIndex++].evaluatorShare;
        evaluator.postMessage({ labels: correlate(message.keys, choices, message.delta) });
      }),
      finished(evaluator),
    ]);
    return {
      outputs: garbled.shares.map((share, i) => combineOutputShares(share, evaluated.shares[i])),
      andGates: garbled.andGates,
      streamBytes: garbled.streamBytes,
    };
  } finally {
    // The workers keep their stream ports open; they are done once both reported.
    await Promise.all([garbler.terminate(), evaluator.terminate()]);
  }
}
