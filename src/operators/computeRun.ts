/**
 * `catalyst compute` for one party: open the inbox, connect to the peer (direct TCP or the SSH tunnel),
 * agree on the study, query and public sizes, run each query, and seal this party's result shares to the
 * investigator. Result files appear only when every query finished on both sides.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AtomicFile, commitAll } from "../share/atomicFile.js";
import { rowsToBitPlanes } from "../share/bitPlaneLayout.js";
import { CatalystError, ExitCode, InputError, UsageError } from "../share/errors.js";
import { resultFileName, writeResultShare } from "../share/resultFile.js";
import { rowBits, rowBytes } from "../share/schema.js";
import { openShareFile, shareFileName } from "../share/shareFile.js";
import { findTable, partyOf, uploadedTables, type Role, type Study } from "../share/study.js";
import type { ChannelOptions, MessageChannel } from "../transport/channel.js";
import { IdleTimeoutError, TransportError } from "../transport/errors.js";
import { exchangePairHellos, PeerMismatchError, PROTOCOL_NAME, PROTOCOL_VERSION, type PairHello } from "../transport/protocolHeader.js";
import { parseSshTarget, SshConnectError, SshTunnel } from "../transport/sshTunnel.js";
import { StreamChannel } from "../transport/streamChannel.js";
import { connect, listen } from "../transport/tcp.js";
import { queryTables } from "./compile.js";
import { computeQueriesInWorker } from "./computeInWorker.js";
import type { ComputeEvents, ComputeTask, FinishedQuery, TableInput } from "./computeQueries.js";
import { computeQueriesOnPairs, describePairs, planPairs, scheduledNames } from "./workerPairs.js";
import type { SessionProgress } from "./session.js";

/**
 * Bytes the compute worker may post before the socket has taken them: the garbler runs this far ahead of the
 * evaluator (about a third of a second of tables), which smooths the two parties' uneven paces, and no further.
 */
const WORKER_SEND_WINDOW_BYTES = 32 << 20;

export interface ComputeOptions {
  study: Study;
  role: Role;
  secretKey: Uint8Array;
  inbox: string;
  out: string;
  queries?: string[];
  listen?: string;
  connect?: string;
  ssh?: { target: string; keyFile: string; knownHostsFile?: string; fingerprint?: string };
  /** Seconds to wait for the peer to appear. */
  connectTimeoutSeconds: number;
  /** Seconds without any traffic before the peer counts as gone. */
  idleTimeoutSeconds: number;
  /** Seconds the whole session may take once connected. */
  timeoutSeconds?: number;
  /** Worker pairs, one channel each, that run the queries side by side (querySchedule.ts); both parties give the same. Default 1. */
  workers?: number;
}

/** A finished query as `--json` reports it: where its result file went, without the share itself. */
export type QuerySummary = Omit<FinishedQuery, "share" | "outputColumns" | "outputOrdered"> & { resultFile: string };

export interface ComputeCallbacks {
  onPhase?: (text: string) => void;
  onProgress?: (query: string, progress: SessionProgress) => void;
}

/** The garbler's listener as seen from the SSH server, when --connect is not given with --ssh. */
export const DEFAULT_COMPUTE_PORT = 7766;

export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 0 || port > 65535) throw new UsageError(`${flag} expects HOST:PORT, got "${text}"`);
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}

/** Opens and verifies every share of `table` in the inbox, and lays the union of their rows out as bit-planes. */
async function loadTableInput(study: Study, role: Role, secretKey: Uint8Array, inbox: string, table: string): Promise<TableInput> {
  const schema = findTable(study, table);
  const sizes: Record<string, number> = {};
  const missing: string[] = [];
  const parts: Uint8Array[] = [];
  const partRows: Array<{ partner: number; rows: number }> = [];
  const orders: Array<string[] | undefined> = [];
  for (const [partnerIndex, partner] of study.partners.entries()) {
    if (!uploadedTables(study, partner.name).includes(table)) continue;
    const name = shareFileName(study, partner.name, table, role);
    const path = join(inbox, ...name.split("/"));
    let opened;
    try {
      opened = await openShareFile(createReadStream(path), secretKey, study, path, { role, partner: partner.name, table }, true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        sizes[`${partner.name}/${table}`] = -1;
        missing.push(path);
        continue;
      }
      throw error;
    }
    sizes[`${partner.name}/${table}`] = opened.rows;
    partRows.push({ partner: partnerIndex, rows: opened.rows });
    orders.push(opened.header.sortedBy);
    parts.push(opened.data!);
  }
  const rows = parts.reduce((sum, part) => sum + part.length, 0) / rowBytes(schema.columns);
  const data = new Uint8Array(rows * rowBytes(schema.columns));
  let offset = 0;
  for (const part of parts) { data.set(part, offset); offset += part.length; }
  // The circuit may rely on an order only if every upload of the table has it.
  const sortedBy = missing.length === 0 && orders.length > 0 && orders.every((order) => order !== undefined && JSON.stringify(order) === JSON.stringify(orders[0])) ? orders[0] : undefined;
  return { table, sizes, parts: partRows, missing, rows, sortedBy, shareBits: rowsToBitPlanes(data, rows, rowBytes(schema.columns), rowBits(schema.columns)) };
}

/** The peer's name in channel errors, the same on both threads. */
const channelLabel = (role: Role) => `${role}↔peer`;

/**
 * The session's channels, one per worker pair, each opened with a pair hello: the garbler accepts them on its
 * listener, the evaluator opens them through one SSH connection (one forwarded stream each) or over direct TCP.
 */
async function openChannels(options: ComputeOptions, hello: PairHello, onPhase: (text: string) => void): Promise<{ channels: MessageChannel[]; close: () => Promise<void> }> {
  const { workers } = hello;
  // The main thread's channels have no idle timeout of their own (see below), so the hello gets one here.
  const exchangeHello = async (channel: MessageChannel, pair: number) => {
    const seconds = options.idleTimeoutSeconds;
    const timer = setTimeout(() => channel.destroy(new IdleTimeoutError(`${channel.label}: the peer connected but sent no hello for ${seconds} s (is something else connecting to this port?)`)), seconds * 1000);
    try {
      return await exchangePairHellos(channel, { ...hello, pair });
    } finally {
      clearTimeout(timer);
    }
  };
  // No idle timeout here: the relay to the compute worker always has a read pending; the worker's channel times out instead.
  const channelOptions = { idleTimeoutMs: 0, deadlineMs: (options.timeoutSeconds ?? 0) * 1000, label: channelLabel(options.role) };
  const opened: MessageChannel[] = [];
  let closeTransport = async () => {};
  const close = async () => { for (const channel of opened) channel.destroy(); await closeTransport(); };
  try {
    if (options.role === "garbler") {
      if (!options.listen) throw new UsageError("the garbler needs --listen HOST:PORT");
      if (options.connect || options.ssh) throw new UsageError("the garbler listens: --connect and --ssh are for the evaluator");
      const { host, port } = parseHostPort(options.listen, "--listen");
      const listener = await listen(host, port);
      closeTransport = () => listener.close();
      onPhase(`listening on ${listener.host}:${listener.port} for the evaluator${host === "127.0.0.1" || host === "localhost" ? "" : " (direct TCP is not encrypted: use the SSH tunnel across sites)"}`);
      const channels: MessageChannel[] = [];
      while (opened.length < workers) {
        const channel = await listener.accept({ ...channelOptions, timeoutMs: options.connectTimeoutSeconds * 1000 });
        opened.push(channel);
        const pair = await exchangeHello(channel, -1);
        if (channels[pair]) throw new PeerMismatchError(`the peer opened worker pair ${pair} twice`);
        channels[pair] = channel;
      }
      return { channels, close };
    }
    if (options.listen) throw new UsageError("the evaluator connects: --listen is for the garbler");
    const transport = await evaluatorTransport(options, channelOptions, onPhase);
    closeTransport = async () => transport.close();
    for (let pair = 0; pair < workers; pair++) {
      const channel = await transport.open();
      opened.push(channel);
      await exchangeHello(channel, pair);
    }
    return { channels: opened, close };
  } catch (error) {
    // A refused peer still gets our hello, in order before the end, so that it can name the mismatch too.
    if (error instanceof PeerMismatchError) await Promise.all(opened.map((channel) => channel.close().catch(() => undefined)));
    await close();
    throw error;
  }
}

/** How the evaluator reaches the garbler: streams forwarded through one SSH connection, or direct TCP. */
async function evaluatorTransport(options: ComputeOptions, channelOptions: ChannelOptions, onPhase: (text: string) => void): Promise<{ open: () => Promise<MessageChannel>; close: () => void }> {
  if (options.ssh) {
    const target = parseSshTarget(options.ssh.target);
    const forward = options.connect ? parseHostPort(options.connect, "--connect") : { host: "127.0.0.1", port: DEFAULT_COMPUTE_PORT };
    if (!options.ssh.knownHostsFile && !options.ssh.fingerprint) throw new UsageError("--ssh needs --known-hosts FILE or --ssh-fingerprint SHA256:… to check the server's host key");
    const readOrFail = async (path: string, what: string) => readFile(path).catch(() => { throw new InputError(`cannot read ${what}`, { file: path }, "unreadable"); });
    const tunnel = await SshTunnel.open({
      ...target,
      privateKey: await readOrFail(options.ssh.keyFile, "the SSH key"),
      knownHosts: options.ssh.knownHostsFile ? (await readOrFail(options.ssh.knownHostsFile, "the known_hosts file")).toString("utf8") : undefined,
      hostFingerprint: options.ssh.fingerprint,
    });
    onPhase(`SSH tunnel to ${target.user}@${target.host}:${target.port} (host key ${tunnel.hostKeyFingerprint}) → ${forward.host}:${forward.port}`);
    const open = async () => {
      // The garbler may not be listening yet: retry the forward until the connect timeout.
      const giveUpAt = performance.now() + options.connectTimeoutSeconds * 1000;
      for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
        try {
          return new StreamChannel(await tunnel.forward(forward.host, forward.port), channelOptions);
        } catch (error) {
          if (!(error instanceof SshConnectError) || performance.now() + delay > giveUpAt) throw error;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    };
    return { open, close: () => tunnel.close() };
  }
  if (!options.connect) throw new UsageError("the evaluator needs --connect HOST:PORT or --ssh USER@HOST[:PORT]");
  const { host, port } = parseHostPort(options.connect, "--connect");
  let reported = false;
  const open = async () => {
    const channel = await connect(host, port, { ...channelOptions, retryForMs: options.connectTimeoutSeconds * 1000 });
    if (!reported) onPhase(`connected to the garbler at ${host}:${port} (direct TCP)`);
    reported = true;
    return channel;
  };
  return { open, close: () => {} };
}

export interface ComputeSummary {
  queries: QuerySummary[];
  /** Everything this party sent and received over the session, framing included. */
  bytesSent: number;
  bytesReceived: number;
}

export async function runCompute(options: ComputeOptions, callbacks: ComputeCallbacks = {}): Promise<ComputeSummary> {
  const { study, role } = options;
  const onPhase = callbacks.onPhase ?? (() => {});
  const selected = options.queries && options.queries.length > 0 ? options.queries : study.queries.map((query) => query.name);
  if (selected.length === 0) throw new InputError("the study has no queries to compute");
  const queries = selected.map((name) => {
    const query = study.queries.find((candidate) => candidate.name === name);
    if (!query) throw new InputError(`query ${name} is not in the study (queries: ${study.queries.map((q) => q.name).join(", ")})`);
    return { query, tables: queryTables(study, query) };
  });

  onPhase(`opening ${partyOf(study, role).name}'s shares in ${options.inbox}`);
  const inputs = new Map<string, TableInput>();
  for (const { tables } of queries) {
    for (const table of tables) if (!inputs.has(table)) inputs.set(table, await loadTableInput(study, role, options.secretKey, options.inbox, table));
  }

  const task: ComputeTask = { study, role, queries: queries.map(({ query, tables }) => ({ name: query.name, tables })), inputs: [...inputs.values()] };
  const workers = options.workers ?? 1;
  // Counted before connecting: at pilot scale that takes minutes, which the peer would otherwise spend waiting on an open channel.
  const pairPlan = workers > 1 ? await planPairs(task, workers) : undefined;
  const schedule = pairPlan && scheduledNames(task, pairPlan);
  if (schedule) onPhase(`${workers} worker pairs: ${describePairs(schedule)}`);
  const hello: PairHello = {
    protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION, role, study: study.id, studyDigest: study.digest, query: "", run: "",
    inputs: Object.assign({}, ...task.inputs.map((input) => input.sizes)),
    sortedInputs: Object.fromEntries(task.inputs.flatMap((input) => (input.sortedBy ? [[input.table, input.sortedBy]] : []))),
    session: task.queries.map((query) => query.name), workers, pair: -1, schedule,
  };
  const { channels, close } = await openChannels(options, hello, onPhase);
  // Result shares stay in memory until every query has finished on both sides; only then are files written.
  let finished: FinishedQuery[];
  const running = new Set<string>();
  try {
    const channelOptions = { label: channelLabel(role), idleTimeoutMs: options.idleTimeoutSeconds * 1000, sendWindowBytes: WORKER_SEND_WINDOW_BYTES };
    const events: ComputeEvents = { onQueryStarted: (query) => running.add(query), onQueryFinished: (query) => running.delete(query.query), onPhase, onProgress: callbacks.onProgress };
    finished = pairPlan ? await computeQueriesOnPairs(task, channels, pairPlan, channelOptions, events) : await computeQueriesInWorker(task, channels[0], channelOptions, events);
  } catch (error) {
    throw describeFailure(error, role, [...running]);
  } finally {
    await close();
  }
  const counters = channels.map((channel) => channel.counters());
  const traffic = { bytesSent: counters.reduce((sum, each) => sum + each.bytesSent, 0), bytesReceived: counters.reduce((sum, each) => sum + each.bytesReceived, 0) };
  const resultFile = (query: string) => join(options.out, resultFileName({ query, role }, study));
  const files: AtomicFile[] = [];
  try {
    for (const query of finished) {
      const file = await AtomicFile.create(resultFile(query.query));
      files.push(file);
      await writeResultShare(study, { query: query.query, run: query.run, role, columns: query.outputColumns, ordered: query.outputOrdered }, query.share, file.write, options.secretKey);
    }
    await commitAll(files);
  } catch (error) {
    await AtomicFile.abortAll(files);
    throw error;
  }
  const summaries = finished.map(({ query, run, rows, inputRows, andGates, tableBytes, bytesSent, bytesReceived, seconds, operators }): QuerySummary =>
    ({ query, run, resultFile: resultFile(query), rows, inputRows, andGates, tableBytes, bytesSent, bytesReceived, seconds, operators }));
  return { queries: summaries, bytesSent: traffic.bytesSent, bytesReceived: traffic.bytesReceived };
}

/** Says which queries were running when the peer vanished; other errors keep their own wording. */
function describeFailure(error: unknown, role: Role, queries: string[]): unknown {
  if (error instanceof TransportError && queries.length > 0) {
    const wrapped = new TransportError(`${role}: ${queries.length > 1 ? "queries" : "query"} ${queries.join(", ")} stopped: ${error.message}; no result was written`, error.code);
    return wrapped;
  }
  if (error instanceof CatalystError || !(error instanceof Error)) return error;
  return new CatalystError("compute", error.message, ExitCode.failure);
}
