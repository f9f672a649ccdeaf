/**
 * The worker thread of `catalyst compute`: runs the queries (computeQueries.ts) over a MessagePortChannel
 * whose real channel stays on the main thread, and reports phases, progress, results and failures.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { transferableError, type TransferredError } from "../transport/errorTransfer.js";
import { MessagePortChannel, type MessagePortChannelOptions } from "../transport/messagePortChannel.js";
import { computeQueries, type ComputeTask, type FinishedQuery } from "./computeQueries.js";
import { enableGarbageCollection } from "./garbageCollection.js";
import type { ParkedJoin, ParkedJoinSharing } from "./parkedJoins.js";
import type { SessionProgress } from "./session.js";

export interface ComputeWorkerData {
  task: ComputeTask;
  /** This thread's end of the channel; the other end is relayed to the real channel. */
  port: MessagePort;
  channel: MessagePortChannelOptions;
  /** With several worker pairs: how many take-ups of each shared join run on this one (querySchedule.ts). */
  readers?: Record<string, number>;
  /** With several worker pairs: the joins parked here that other pairs take up. */
  published?: string[];
}

/** A join parked on one worker pair, on its way through the main thread to the pairs that take it up. */
export interface ParkedJoinMessage {
  type: "parked";
  text: string;
  join: ParkedJoin;
}

export type ComputeWorkerMessage =
  | { type: "started"; query: string }
  | { type: "phase"; text: string }
  | { type: "progress"; query: string; progress: SessionProgress }
  | { type: "finished"; query: FinishedQuery }
  | { type: "done" }
  | { type: "failed"; error: TransferredError }
  | ParkedJoinMessage;

// The circuit replaces whole columns of labels; collecting them between operators keeps the process's memory near what is live.
enableGarbageCollection();
const data = workerData as ComputeWorkerData;
const parent = parentPort!;
const post = (message: ComputeWorkerMessage, transfer: ArrayBuffer[] = []) => parent.postMessage(message, transfer);
const channel = new MessagePortChannel(data.port, data.channel);
let outcome: ComputeWorkerMessage;
try {
  const sharing = data.readers ? parkedJoinSharing(data.readers, new Set(data.published)) : undefined;
  await computeQueries(data.task, channel, {
    onQueryStarted: (query) => post({ type: "started", query }),
    onPhase: (text) => post({ type: "phase", text }),
    onProgress: (query, progress) => post({ type: "progress", query, progress }),
    // The share is not needed here again: move it rather than copy it.
    onQueryFinished: (query) => post({ type: "finished", query }, query.share.byteLength === query.share.buffer.byteLength ? [query.share.buffer as ArrayBuffer] : []),
  }, sharing);
  outcome = { type: "done" };
} catch (error) {
  outcome = { type: "failed", error: transferableError(error) };
}
// Either way, close in order behind every frame posted and wait briefly for the peer's close. After success
// both sides confirmed every query, so a peer that hangs up first is no error; after a refusal, this lets our
// protocol header reach the peer, which would otherwise see a bare reset without the reason.
await channel.close().catch(() => undefined);
post(outcome);
data.port.close();
parent.removeAllListeners("message");

/** Joins go out to the main thread, which passes them on to the pairs that read them, and come in from it. */
function parkedJoinSharing(readers: Record<string, number>, published: ReadonlySet<string>): ParkedJoinSharing {
  const arrived = new Map<string, ParkedJoin>();
  const waiting = new Map<string, (join: ParkedJoin) => void>();
  parent.on("message", (message: ParkedJoinMessage) => {
    if (message.type !== "parked") return;
    const resolve = waiting.get(message.text);
    if (resolve) { waiting.delete(message.text); resolve(message.join); } else arrived.set(message.text, message.join);
  });
  return {
    readersHere: (text) => readers[text] ?? 0,
    publish: (text, join) => { if (published.has(text)) post({ type: "parked", text, join }); },
    arrival: (text) => {
      const join = arrived.get(text);
      if (join) { arrived.delete(text); return Promise.resolve(join); }
      return new Promise((resolve) => waiting.set(text, resolve));
    },
  };
}
