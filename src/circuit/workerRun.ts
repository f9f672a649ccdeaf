/** Garbles and evaluates a Bristol circuit in two worker threads that run the two-party protocol between them. */
import { Worker } from "node:worker_threads";
import { workerScript } from "../share/workerScript.js";
import type { BristolWorkerData, BristolWorkerMessage } from "./bristolWorker.js";
import { combineOutputShares, splitIntoShares } from "./twoParty.js";

export interface WorkerRunResult {
  outputs: Uint8Array[];
  andGates: number;
  streamBytes: number;
}

/**
 * Splits each input into random XOR shares, gives one share to each worker, and recombines their output
 * shares. The workers run the real protocol between them (OT and garbling over loopback TCP); this thread
 * only deals the input shares and combines the outputs, so it is a local tool, not a deployment.
 */
export async function runBristolInWorkers(circuitPath: string, inputs: Uint8Array[]): Promise<WorkerRunResult> {
  const shares = inputs.map(splitIntoShares);
  const script = workerScript(import.meta.url, "bristolWorker.js");
  const start = (data: BristolWorkerData) => new Worker(script, { workerData: data });
  const finished = (worker: Worker, onMessage?: (message: BristolWorkerMessage) => void) =>
    new Promise<Extract<BristolWorkerMessage, { type: "done" }>>((resolvePromise, reject) => {
      let done: Extract<BristolWorkerMessage, { type: "done" }> | undefined;
      worker.on("message", (message: BristolWorkerMessage) => {
        if (message.type === "done") { done = message; resolvePromise(message); } else onMessage?.(message);
      });
      worker.on("error", reject);
      worker.on("exit", (code) => { if (!done) reject(new Error(`a circuit worker stopped (exit ${code}) before finishing`)); });
    });
  const garbler = start({ role: "garbler", circuitPath, shares: shares.map((share) => share.garblerShare) });
  let evaluator: Worker | undefined;
  try {
    type Done = Extract<BristolWorkerMessage, { type: "done" }>;
    let evaluated: Promise<Done> | undefined;
    const garbled = finished(garbler, (message) => {
      if (message.type !== "listening") return;
      evaluator = start({ role: "evaluator", circuitPath, shares: shares.map((share) => share.evaluatorShare), port: message.port });
      evaluated = finished(evaluator);
      // Awaited below; a failure here also surfaces as the garbler losing its peer.
      evaluated.catch(() => undefined);
    });
    const garblerDone = await garbled;
    const evaluatorDone = await evaluated!;
    return {
      outputs: garblerDone.shares.map((share, i) => combineOutputShares(share, evaluatorDone.shares[i])),
      andGates: garblerDone.andGates,
      streamBytes: garblerDone.streamBytes,
    };
  } finally {
    await Promise.all([garbler.terminate(), evaluator?.terminate()]);
  }
}
