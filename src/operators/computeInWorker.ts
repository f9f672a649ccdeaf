/**
 * Runs computeQueries in worker threads, one per worker pair, while this thread keeps the real channels (socket
 * or SSH tunnel streams) and relays their frames, so neither the circuit nor the socket ever waits for the other
 * to yield. With several pairs, this thread also passes parked joins between them (querySchedule.ts).
 */
import { MessageChannel as PortPair, Worker } from "node:worker_threads";
import { TrailingTableBytesError, TruncatedTableStreamError } from "../circuit/tableStream.js";
import { workerScript } from "../share/workerScript.js";
import type { MessageChannel } from "../transport/channel.js";
import { ChannelPortRelay } from "../transport/channelPortRelay.js";
import { restoreError } from "../transport/errorTransfer.js";
import type { MessagePortChannelOptions } from "../transport/messagePortChannel.js";
import type { PlanCost } from "./compile.js";
import { compileTask, sessionCosts, type ComputeEvents, type ComputeTask, type FinishedQuery, type TableInput } from "./computeQueries.js";
import type { ComputeWorkerData, ComputeWorkerMessage, ParkedJoinMessage } from "./computeWorker.js";
import { readersByWorker, scheduleQueries, type QuerySchedule } from "./querySchedule.js";

/** Errors raised in the worker whose exact class matters here, beyond the channel's and the CLI's own. */
const WORKER_ERROR_CLASSES = [TruncatedTableStreamError, TrailingTableBytesError];

/**
 * How long the worker may take to report a failure of the real channel itself (after the frames that came
 * before it, as a single thread would) before it is stopped and the channel's failure is reported here.
 */
const FAILURE_GRACE_MS = 3_000;

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

/**
 * computeQueries over several worker pairs, one channel each (`channels[i]` reaches the peer's pair i). Both
 * parties compute the same schedule from the same public sizes, so each pair runs the same queries on both
 * sides. The finished queries come back in session order.
 */
export async function computeQueriesInWorkers(task: ComputeTask, channels: MessageChannel[], channelOptions: MessagePortChannelOptions, events: ComputeEvents = {}): Promise<FinishedQuery[]> {
  if (channels.length === 1) return computeQueriesInWorker(task, channels[0], channelOptions, events);
  const schedule = await scheduleTask(task, channels.length);
  const readers = readersByWorker(schedule.loads, schedule);
  events.onPhase?.(`${channels.length} worker pairs: ${schedule.workers.map((queries, pair) => `pair ${pair + 1} runs ${queries.map((index) => task.queries[index].name).join(", ") || "nothing"}`).join("; ")}`);
  const inputs = inputsByWorker(task, schedule);
  const runs = channels.map((channel, pair) => startWorker(
    { task: { ...task, runs: schedule.workers[pair], inputs: inputs[pair] }, channel: channelOptions, readers: Object.fromEntries(readers[pair]) },
    channel, events, (message) => {
      // A parked join goes to every other pair that takes it up (each gets its own copy of the shares).
      for (const [other, run] of runs.entries()) if (other !== pair && (readers[other].get(message.text) ?? 0) > 0) run.post(message);
    },
  ));
  try {
    const finished = (await Promise.all(runs.map((run) => run.finished))).flat();
    const order = new Map(task.queries.map(({ name }, index) => [name, index]));
    return finished.sort((first, second) => order.get(first.query)! - order.get(second.query)!);
  } finally {
    // One pair failing stops them all: the others' peers are told by their channels closing.
    await Promise.all(runs.map((run) => run.stop()));
  }
}

/** The schedule of a task's queries over `workers` pairs, with each query's counted load. */
export async function scheduleTask(task: ComputeTask, workers: number): Promise<QuerySchedule & { loads: PlanCost[] }> {
  const session = compileTask(task);
  const costOf = sessionCosts(task, session);
  const loads: PlanCost[] = [];
  for (let index = 0; index < session.length; index++) loads.push(await costOf(index));
  return { ...scheduleQueries(loads, workers), loads };
}

/**
 * Each pair's inputs: every table's public sizes, and the share bits of the tables its queries read. A table
 * read on several pairs is copied for all but the last, which takes the original.
 */
function inputsByWorker(task: ComputeTask, schedule: QuerySchedule): TableInput[][] {
  const readsOf = schedule.workers.map((queries) => new Set(queries.flatMap((index) => task.queries[index].tables)));
  const lastReader = new Map<string, number>();
  for (const [pair, tables] of readsOf.entries()) for (const table of tables) lastReader.set(table, pair);
  return schedule.workers.map((_, pair) => task.inputs.map((input) => {
    if (!readsOf[pair].has(input.table)) return { ...input, shareBits: new Uint8Array(0) };
    return { ...input, shareBits: pair === lastReader.get(input.table) ? input.shareBits : input.shareBits.slice() };
  }));
}

interface WorkerRun {
  finished: Promise<FinishedQuery[]>;
  /** Posts a message to the worker (a parked join from another pair). */
  post(message: ParkedJoinMessage): void;
  /** Stops relaying and the worker; on failure it may be mid-computation, so it is not waited for. */
  stop(): Promise<void>;
}

function startWorker(data: Omit<ComputeWorkerData, "port">, channel: MessageChannel, events: ComputeEvents, onParked?: (message: ParkedJoinMessage) => void): WorkerRun {
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
    post: (message) => worker.postMessage(message),
    stop: async () => {
      clearTimeout(graceTimer);
      relay?.stop();
      relayPort.close();
      await worker.terminate();
    },
  };
}
