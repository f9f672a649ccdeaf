/**
 * Runs computeQueries in a worker thread while this thread keeps the real channel (socket or SSH tunnel) and
 * relays its frames, so neither the circuit nor the socket ever waits for the other to yield. workerPairs.ts
 * starts several such workers, one per worker pair.
 */
import { MessageChannel as PortPair, Worker } from "node:worker_threads";
import { TrailingTableBytesError, TruncatedTableStreamError } from "../circuit/tableStream.js";
import { workerScript } from "../share/workerScript.js";
import type { MessageChannel } from "../transport/channel.js";
import { ChannelPortRelay } from "../transport/channelPortRelay.js";
import { restoreError } from "../transport/errorTransfer.js";
import type { MessagePortChannelOptions } from "../transport/messagePortChannel.js";
import type { ComputeEvents, ComputeTask, FinishedQuery } from "./computeQueries.js";
import type { ComputeWorkerData, ComputeWorkerMessage, ParkedJoinMessage } from "./computeWorker.js";

/** Errors raised in the worker whose exact class matters here, beyond the channel's and the CLI's own. */
const WORKER_ERROR_CLASSES = [TruncatedTableStreamError, TrailingTableBytesError];

/**
 * How long the worker may take to report a failure of the real channel itself (after the frames that came
 * before it, as a single thread would) before it is stopped and the channel's failure is reported here.
 */
export const FAILURE_GRACE_MS = 3_000;

/**
 * Same contract as computeQueries. `channel` should have no idle timeout of its own (the relay always has a
 * read pending on it); `channelOptions.idleTimeoutMs` applies in the worker, where waiting on the peer is known.
 */
export async function computeQueriesInWorker(task: ComputeTask, channel: MessageChannel, channelOptions: MessagePortChannelOptions, events: ComputeEvents = {}): Promise<FinishedQuery[]> {
  const run = startWorker({ task, channel: channelOptions }, channel, events);
  try {
    return await run.finished;
  } finally {
    await run.stop();
  }
}

export interface WorkerRun {
  finished: Promise<FinishedQuery[]>;
  /** Posts a parked join from another pair to the worker; `transfer` moves its shares instead of copying them. */
  post(message: ParkedJoinMessage, transfer?: ArrayBuffer[]): void;
  /** Stops relaying and the worker; on failure it may be mid-computation, so it is not waited for. */
  stop(): Promise<void>;
}

/** Starts one compute worker relayed to `channel`; `onParked` hears the joins it parks for other pairs. */
export function startWorker(data: Omit<ComputeWorkerData, "port">, channel: MessageChannel, events: ComputeEvents, onParked?: (message: ParkedJoinMessage) => void): WorkerRun {
  const { port1: relayPort, port2: workerPort } = new PortPair();
  // The share bits move to the worker without a copy; this thread does not need them again.
  const owned = data.task.inputs.map((input) => input.shareBits).filter((bits) => bits.byteLength > 0 && bits.byteOffset === 0 && bits.byteLength === bits.buffer.byteLength);
  const transfer = [...new Set(owned.map((bits) => bits.buffer as ArrayBuffer))];
  const workerData: ComputeWorkerData = { ...data, port: workerPort };
  // A large young generation: operators make many short-lived vectors, and the default one spent about a
  // tenth of the circuit's time in scavenges (bench:rollup 6 × 2000: 5.0 → 5.4 M AND/s).
  const worker = new Worker(workerScript(import.meta.url, "computeWorker.js"), { workerData, transferList: [workerPort, ...transfer], resourceLimits: { maxYoungGenerationSizeMb: 192 } });
  let relay: ChannelPortRelay | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const finished = new Promise<FinishedQuery[]>((resolve, reject) => {
    const done: FinishedQuery[] = [];
    relay = new ChannelPortRelay(channel, relayPort, {
      onFailure: (error) => { graceTimer = setTimeout(() => reject(error), FAILURE_GRACE_MS); },
    });
    worker.on("message", (message: ComputeWorkerMessage) => {
      switch (message.type) {
        case "started": events.onQueryStarted?.(message.query); return;
        case "phase": events.onPhase?.(message.text); return;
        case "progress": events.onProgress?.(message.query, message.progress); return;
        case "finished": done.push(message.query); events.onQueryFinished?.(message.query); return;
        case "parked": onParked?.(message); return;
        case "done": resolve(done); return;
        case "failed": reject(restoreError(message.error, WORKER_ERROR_CLASSES)); return;
      }
    });
    worker.on("error", reject);
    worker.on("exit", (code) => reject(new Error(`the compute worker stopped (exit code ${code}) before it finished`)));
  });
  return {
    finished,
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    stop: async () => {
      clearTimeout(graceTimer);
      relay?.stop();
      relayPort.close();
      await worker.terminate();
    },
  };
}
