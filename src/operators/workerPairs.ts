/**
 * A compute session on several worker pairs (`catalyst compute --workers N`): the schedule both parties derive
 * before they connect, each pair's inputs, and this thread's part once they run: one worker per pair, parked
 * joins passed from the pair that parks them to the pairs that take them up, and one outcome for them all.
 */
import { TransportError } from "../transport/errors.js";
import type { MessageChannel } from "../transport/channel.js";
import type { MessagePortChannelOptions } from "../transport/messagePortChannel.js";
import { FAILURE_GRACE_MS, startWorker, type WorkerRun } from "./computeInWorker.js";
import { compileTask, sessionCosts, type ComputeEvents, type ComputeTask, type FinishedQuery, type TableInput } from "./computeQueries.js";
import type { ParkedJoinMessage } from "./computeWorker.js";
import { readersByPair, scheduleQueries, type QueryLoad, type QuerySchedule } from "./querySchedule.js";

/** The schedule of a session on worker pairs, with what it was made from. */
export interface PairPlan extends QuerySchedule {
  /** Each query's counted load, in session order. */
  loads: QueryLoad[];
  /** The tables each query scans as compiled: not those under a join it takes up. */
  scans: string[][];
}

/** Counts every query of the session (in session order: take-ups need the earlier parks) and schedules them on `pairs` pairs. */
export async function planPairs(task: Pick<ComputeTask, "study" | "queries" | "inputs">, pairs: number): Promise<PairPlan> {
  const session = compileTask(task);
  const costOf = sessionCosts(task, session);
  const loads: QueryLoad[] = [];
  for (let index = 0; index < session.length; index++) {
    // Only what the schedule and the pairs read: not the operator lists.
    const { andGates, joinsParked, joinsTakenUp } = await costOf(index);
    loads.push({ andGates, joinsParked, joinsTakenUp });
  }
  return { ...scheduleQueries(loads, pairs), loads, scans: session.map((compiled) => compiled.tables) };
}

/** The schedule as query names per pair: what both parties compare in their hellos and report. */
export function scheduledNames(task: Pick<ComputeTask, "queries">, plan: QuerySchedule): string[][] {
  return plan.pairs.map((indices) => indices.map((index) => task.queries[index].name));
}

/** A schedule in words, as compute and plan print it: "pair 1 runs a, b; pair 2 runs c". */
export function describePairs(names: string[][]): string {
  return names.map((queries, pair) => `pair ${pair + 1} runs ${queries.join(", ") || "nothing"}`).join("; ");
}

/**
 * computeQueries on the plan's pairs, one channel each (`channels[i]` reaches the peer's pair i). The finished
 * queries come back in session order. If a pair fails, the others get a moment to fail too, and the error that
 * says why (a mismatch, a missing share) wins over the hang-ups it caused.
 */
export async function computeQueriesOnPairs(task: ComputeTask, channels: MessageChannel[], plan: PairPlan, channelOptions: MessagePortChannelOptions, events: ComputeEvents = {}): Promise<FinishedQuery[]> {
  const readers = readersByPair(plan.loads, plan);
  const inputs = inputsByPair(task, plan);
  const runs: WorkerRun[] = channels.map((channel, pair) => {
    const parkedHere = plan.pairs[pair].flatMap((index) => plan.loads[index].joinsParked.map((park) => park.text));
    const published = parkedHere.filter((text) => readers.some((counts, other) => other !== pair && (counts.get(text) ?? 0) > 0));
    return startWorker(
      { task: { ...task, scheduled: plan.pairs[pair], inputs: inputs[pair], loads: plan.loads }, channel: channelOptions, readers: Object.fromEntries(readers[pair]), published },
      channel, events, (message) => passOn(message, pair),
    );
  });
  // Every other pair that takes the join up gets it: copies for all but the last, which takes the shares.
  const passOn = (message: ParkedJoinMessage, from: number) => {
    const receivers = runs.filter((_, pair) => pair !== from && (readers[pair].get(message.text) ?? 0) > 0);
    for (const [index, run] of receivers.entries()) run.post(message, index === receivers.length - 1 ? [message.join.rows.shares.share.buffer as ArrayBuffer] : []);
  };
  const outcomes = runs.map((run) => run.finished);
  try {
    const finished = (await Promise.all(outcomes)).flat();
    const order = new Map(task.queries.map(({ name }, index) => [name, index]));
    return finished.sort((first, second) => order.get(first.query)! - order.get(second.query)!);
  } catch (first) {
    throw await clearestFailure(first, outcomes);
  } finally {
    await Promise.all(runs.map((run) => run.stop()));
  }
}

/** The pairs' failures once they settle (for a moment at most): the first that is not a hang-up, else the first. */
async function clearestFailure(first: unknown, outcomes: Array<Promise<unknown>>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    Promise.allSettled(outcomes),
    new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), FAILURE_GRACE_MS); }),
  ]);
  clearTimeout(timer);
  const failures = (settled ?? []).flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : []));
  return failures.find((failure) => !(failure instanceof TransportError)) ?? first;
}

/**
 * Each pair's inputs: every table's public sizes, and the share bits of the tables its queries scan. A table
 * scanned on several pairs is copied for all but the last, which takes the original.
 */
function inputsByPair(task: ComputeTask, plan: PairPlan): TableInput[][] {
  const scannedBy = plan.pairs.map((indices) => new Set(indices.flatMap((index) => plan.scans[index])));
  const lastScanner = new Map<string, number>();
  for (const [pair, tables] of scannedBy.entries()) for (const table of tables) lastScanner.set(table, pair);
  return plan.pairs.map((_, pair) => task.inputs.map((input) => {
    if (!scannedBy[pair].has(input.table)) return { ...input, shareBits: new Uint8Array(0) };
    return { ...input, shareBits: pair === lastScanner.get(input.table) ? input.shareBits : input.shareBits.slice() };
  }));
}
