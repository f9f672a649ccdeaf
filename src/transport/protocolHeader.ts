/**
 * The first message of every compute session. Both sides send theirs before reading the peer's, so a
 * mismatch (another study, another query, another version, the same role twice, different input sizes)
 * is seen and reported by both sides, not only by the one that reads first.
 */
import { CatalystError, ExitCode } from "../share/errors.js";
import { exchangeFirstMessages, type MessageChannel } from "./channel.js";

export const PROTOCOL_NAME = "catalyst-2pc";
/**
 * 2: the header carries `sortedInputs`, which changes the circuit (joins merge sorted uploads).
 * 3: the circuit may shuffle and reveal mid-stream (shuffle sorts), with messages both ways.
 * 4: a shuffle's switch sends one message of two rows, not two (the OT pad is the straight switch's message).
 * 5: share-wire inputs (operators/shareWireInputs.ts) get no input OT, and a join may sort by shuffling.
 * 6: a join several queries read is computed by the first and taken up by the others (operators/sharedJoins.ts).
 * 7: a session runs over one or more channels, one per worker pair, each opened with a `PairHello` that
 *    carries the session's header: the whole session is agreed on before any query runs.
 */
export const PROTOCOL_VERSION = 7;

export interface ProtocolHeader {
  protocol: string;
  version: number;
  role: "garbler" | "evaluator";
  study: string;
  studyDigest: string;
  query: string;
  /** Public sizes both sides must agree on: rows of each uploaded table, by `partner/table`. */
  inputs: Record<string, number>;
  /** Tables whose uploads all arrive sorted, and by which columns: it changes the circuit, so both must agree. */
  sortedInputs?: Record<string, string[]>;
  /** The session's queries in order: a join they share changes each one's circuit (operators/sharedJoins.ts). */
  session?: string[];
  /** The garbler picks the run id; the evaluator sends "" and adopts it. */
  run: string;
}

/** The peer is running something else: a different study, query, version or input set. */
export class PeerMismatchError extends CatalystError {
  constructor(message: string) {
    super("peer-mismatch", message, ExitCode.integrity);
  }
}

/** Row counts by `partner/table`; a negative count marks a share missing from that side's inbox. */
function compareInputs(ours: Record<string, number>, theirs: Record<string, number>): string[] {
  const names = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].sort();
  const differences: string[] = [];
  for (const name of names) {
    const mine = ours[name] ?? -1;
    const peer = theirs[name] ?? -1;
    if (mine === peer) continue;
    if (mine < 0) differences.push(`${name} is missing here but the peer has ${peer} rows`);
    else if (peer < 0) differences.push(`${name} is missing at the peer (we have ${mine} rows)`);
    else differences.push(`${name} has ${mine} rows here and ${peer} at the peer (a different upload?)`);
  }
  return differences;
}

/** Checks the peer's header against ours; returns the first disagreement as a sentence, or undefined. */
export function findMismatch(ours: ProtocolHeader, theirs: ProtocolHeader): string | undefined {
  if (theirs.protocol !== PROTOCOL_NAME) return `the peer does not speak ${PROTOCOL_NAME} (is something else listening on that port?)`;
  if (theirs.version !== ours.version) return `the peer runs protocol version ${theirs.version}, we run ${ours.version}: upgrade the older side`;
  if (theirs.role === ours.role) return `both sides are the ${ours.role}: one must run --party=garbler and the other --party=evaluator`;
  if (theirs.study !== ours.study) return `the peer runs study ${theirs.study}, we run ${ours.study}`;
  if (theirs.studyDigest !== ours.studyDigest) return `the peer's study.json differs from ours (digest ${theirs.studyDigest}, ours ${ours.studyDigest})`;
  if (theirs.query !== ours.query) return `the peer runs query ${theirs.query}, we run ${ours.query}`;
  const [sessionOurs, sessionTheirs] = [(ours.session ?? []).join(", "), (theirs.session ?? []).join(", ")];
  if (sessionOurs !== sessionTheirs) return `the peer runs the queries ${sessionTheirs} in this session, we run ${sessionOurs}: give both sides the same --query list`;
  const differences = compareInputs(ours.inputs, theirs.inputs);
  if (differences.length > 0) return `the two inboxes differ: ${differences.join("; ")}`;
  const sortedOurs = JSON.stringify(ours.sortedInputs ?? {});
  const sortedTheirs = JSON.stringify(theirs.sortedInputs ?? {});
  if (sortedOurs !== sortedTheirs) return `the two inboxes' shares were sorted differently (here ${sortedOurs}, at the peer ${sortedTheirs}): were they made by different catalyst versions?`;
  return undefined;
}

/**
 * The first message on each channel of a session, before any query: the session's header (every table's
 * sizes, the query list; `query` and `run` empty), how many worker pairs each side runs and how it scheduled
 * the queries on them, and (from the evaluator, which opens the channels) which pair this channel carries. The
 * garbler accepts the channels in whatever order they arrive and sorts them by it.
 */
export interface PairHello extends ProtocolHeader {
  workers: number;
  /** The evaluator's pair index on this channel; the garbler sends -1 and adopts it. */
  pair: number;
  /** With several pairs: each pair's queries by name. */
  schedule?: string[][];
}

/** Exchanges pair hellos; returns the channel's pair index. Fails with PeerMismatchError on any disagreement. */
export async function exchangePairHellos(channel: MessageChannel, ours: PairHello): Promise<number> {
  const theirs = await exchangeJson(channel, ours, "hello");
  const mismatch = findMismatch(ours, theirs) ?? findPairMismatch(ours, theirs);
  if (mismatch) throw new PeerMismatchError(mismatch);
  return ours.role === "evaluator" ? ours.pair : theirs.pair;
}

function findPairMismatch(ours: PairHello, theirs: PairHello): string | undefined {
  if (theirs.workers !== ours.workers) return `the peer runs ${theirs.workers} worker pair(s), we run ${ours.workers}: give both sides the same --workers`;
  const [scheduleOurs, scheduleTheirs] = [JSON.stringify(ours.schedule ?? []), JSON.stringify(theirs.schedule ?? [])];
  if (scheduleOurs !== scheduleTheirs) return `the two sides scheduled the queries on worker pairs differently (here ${scheduleOurs}, at the peer ${scheduleTheirs}): were they made by different catalyst versions?`;
  const pair = ours.role === "evaluator" ? ours.pair : theirs.pair;
  if (!Number.isInteger(pair) || pair < 0 || pair >= ours.workers) return `${ours.role === "evaluator" ? "we name" : "the peer names"} worker pair ${pair} of ${ours.workers}`;
  return undefined;
}

/** Sends our header, reads the peer's, and fails with PeerMismatchError on any disagreement. */
export async function exchangeProtocolHeaders(channel: MessageChannel, ours: ProtocolHeader): Promise<ProtocolHeader> {
  const theirs = await exchangeJson(channel, ours, "header");
  const mismatch = findMismatch(ours, theirs);
  if (mismatch) throw new PeerMismatchError(mismatch);
  return theirs;
}

/** Sends ours as JSON and parses the peer's; anything but JSON is someone else on the port. */
async function exchangeJson<Message>(channel: MessageChannel, ours: Message, what: string): Promise<Message> {
  const reply = await exchangeFirstMessages(channel, new TextEncoder().encode(JSON.stringify(ours)));
  try {
    return JSON.parse(new TextDecoder().decode(reply)) as Message;
  } catch {
    throw new PeerMismatchError(`the peer's first message is not a ${PROTOCOL_NAME} ${what} (is something else listening on that port?)`);
  }
}
