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
import { randomBytes } from "../share/random.js";
import { resultFileName, writeResultShare } from "../share/resultFile.js";
import { rowBits, rowBytes } from "../share/schema.js";
import { openShareFile, shareFileName } from "../share/shareFile.js";
import { findTable, partyOf, type Role, type Study } from "../share/study.js";
import type { MessageChannel } from "../transport/channel.js";
import { TransportError } from "../transport/errors.js";
import { exchangeProtocolHeaders, PROTOCOL_NAME, PROTOCOL_VERSION } from "../transport/protocolHeader.js";
import { parseSshTarget, SshConnectError, SshTunnel } from "../transport/sshTunnel.js";
import { StreamChannel } from "../transport/streamChannel.js";
import { connect, listen } from "../transport/tcp.js";
import { compileQuery, queryTables, type CompiledQuery } from "./compile.js";
import { runQueryAsParty, type SessionProgress } from "./session.js";

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
}

export interface QuerySummary {
  query: string;
  run: string;
  resultFile: string;
  rows: number;
  inputRows: number;
  andGates: number;
  tableBytes: number;
  bytesSent: number;
  bytesReceived: number;
  seconds: { ot: number; circuit: number; total: number };
}

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

interface TableInput {
  table: string;
  /** partner/table → rows; -1 marks a share missing from this inbox. */
  sizes: Record<string, number>;
  /** Rows per contributing partner (by study index), for the compiler. */
  parts: Array<{ partner: number; rows: number }>;
  missing: string[];
  rows: number;
  shareBits: Uint8Array;
}

/** Opens and verifies every share of `table` in the inbox, and lays the union of their rows out as bit-planes. */
async function loadTableInput(study: Study, role: Role, secretKey: Uint8Array, inbox: string, table: string): Promise<TableInput> {
  const schema = findTable(study, table);
  const sizes: Record<string, number> = {};
  const missing: string[] = [];
  const parts: Uint8Array[] = [];
  const partRows: Array<{ partner: number; rows: number }> = [];
  for (const [partnerIndex, partner] of study.partners.entries()) {
    if (!partner.tables.includes(table)) continue;
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
    parts.push(opened.data!);
  }
  const rows = parts.reduce((sum, part) => sum + part.length, 0) / rowBytes(schema.columns);
  const data = new Uint8Array(rows * rowBytes(schema.columns));
  let offset = 0;
  for (const part of parts) { data.set(part, offset); offset += part.length; }
  return { table, sizes, parts: partRows, missing, rows, shareBits: rowsToBitPlanes(data, rows, rowBytes(schema.columns), rowBits(schema.columns)) };
}

async function openChannel(options: ComputeOptions, onPhase: (text: string) => void): Promise<{ channel: MessageChannel; close: () => Promise<void> }> {
  const channelOptions = { idleTimeoutMs: options.idleTimeoutSeconds * 1000, deadlineMs: (options.timeoutSeconds ?? 0) * 1000, label: `${options.role}↔peer` };
  if (options.role === "garbler") {
    if (!options.listen) throw new UsageError("the garbler needs --listen HOST:PORT");
    if (options.connect || options.ssh) throw new UsageError("the garbler listens: --connect and --ssh are for the evaluator");
    const { host, port } = parseHostPort(options.listen, "--listen");
    const listener = await listen(host, port);
    onPhase(`listening on ${listener.host}:${listener.port} for the evaluator${host === "127.0.0.1" || host === "localhost" ? "" : " (direct TCP is not encrypted: use the SSH tunnel across sites)"}`);
    try {
      const channel = await listener.accept({ ...channelOptions, timeoutMs: options.connectTimeoutSeconds * 1000 });
      return { channel, close: async () => { channel.destroy(); await listener.close(); } };
    } catch (error) {
      await listener.close();
      throw error;
    }
  }
  if (options.listen) throw new UsageError("the evaluator connects: --listen is for the garbler");
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
    // The garbler may not be listening yet: retry the forward until the connect timeout.
    const giveUpAt = performance.now() + options.connectTimeoutSeconds * 1000;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        const stream = await tunnel.forward(forward.host, forward.port);
        const channel = new StreamChannel(stream, channelOptions);
        return { channel, close: async () => { channel.destroy(); tunnel.close(); } };
      } catch (error) {
        if (!(error instanceof SshConnectError) || performance.now() + delay > giveUpAt) { tunnel.close(); throw error; }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
  if (!options.connect) throw new UsageError("the evaluator needs --connect HOST:PORT or --ssh USER@HOST[:PORT]");
  const { host, port } = parseHostPort(options.connect, "--connect");
  const channel = await connect(host, port, { ...channelOptions, retryForMs: options.connectTimeoutSeconds * 1000 });
  onPhase(`connected to the garbler at ${host}:${port} (direct TCP)`);
  return { channel, close: async () => channel.destroy() };
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

  const { channel, close } = await openChannel(options, onPhase);
  // Result shares stay in memory until every query has finished on both sides; only then are files written.
  const finished: Array<{ compiled: CompiledQuery; share: Uint8Array; summary: QuerySummary }> = [];
  let current = "";
  try {
    for (const { query, tables } of queries) {
      current = query.name;
      const tableInputs = tables.map((table) => inputs.get(table)!);
      const before = channel.counters();
      const started = performance.now();
      // The garbler names the run; both result files carry it so reveal never mixes runs.
      const proposedRun = role === "garbler" ? Array.from(randomBytes(8), (byte) => byte.toString(16).padStart(2, "0")).join("") : "";
      const header = await exchangeProtocolHeaders(channel, {
        protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION, role, study: study.id, studyDigest: study.digest,
        query: query.name, inputs: Object.assign({}, ...tableInputs.map((input) => input.sizes)), run: proposedRun,
      });
      const runId = role === "garbler" ? proposedRun : header.run;
      const missing = tableInputs.flatMap((input) => input.missing);
      if (missing.length > 0) {
        throw new InputError(`missing share${missing.length > 1 ? "s" : ""} for query ${query.name}: ${missing.join(", ")} (run \`catalyst inbox check\`)`, { file: missing[0] }, "missing-share");
      }
      const compiled = compileQuery(study, query, Object.fromEntries(tableInputs.map((input) => [input.table, input.parts])));
      const ordered = compiled.tables.map((table) => inputs.get(table)!);
      const cost = await compiled.cost(ordered.map((input) => input.shareBits.length));
      const inputRows = ordered.reduce((sum, input) => sum + input.rows, 0);
      onPhase(`query ${query.name}: ${inputRows} input rows, ${cost.andGates.toLocaleString("en-US")} AND gates`);
      const result = await runQueryAsParty(role, compiled, channel, ordered.map((input) => input.shareBits), cost.andGates, (progress) => callbacks.onProgress?.(query.name, progress));
      finished.push({ compiled, share: result.outputShare, summary: {
        query: query.name, run: runId, resultFile: join(options.out, resultFileName({ query: query.name, role }, study)), rows: compiled.outputRows, inputRows,
        andGates: result.andGates, tableBytes: result.tableBytes,
        bytesSent: channel.counters().bytesSent - before.bytesSent, bytesReceived: channel.counters().bytesReceived - before.bytesReceived,
        seconds: { ...result.seconds, total: (performance.now() - started) / 1000 },
      } });
    }
    // Both sides confirmed every query; a peer that hangs up first is no longer an error.
    await channel.close().catch(() => undefined);
  } catch (error) {
    throw describeFailure(error, role, current);
  } finally {
    await close();
  }
  const traffic = channel.counters();
  const files: AtomicFile[] = [];
  try {
    for (const { compiled, share, summary } of finished) {
      const file = await AtomicFile.create(summary.resultFile);
      files.push(file);
      await writeResultShare(study, { query: compiled.query, run: summary.run, role, columns: compiled.outputColumns }, share, file.write, options.secretKey);
    }
    await commitAll(files);
  } catch (error) {
    await AtomicFile.abortAll(files);
    throw error;
  }
  return { queries: finished.map((entry) => entry.summary), bytesSent: traffic.bytesSent, bytesReceived: traffic.bytesReceived };
}

/** Says which query was running when the peer vanished; other errors keep their own wording. */
function describeFailure(error: unknown, role: Role, query: string): unknown {
  if (error instanceof TransportError && query) {
    const wrapped = new TransportError(`${role}: query ${query} stopped: ${error.message}; no result was written`, error.code);
    return wrapped;
  }
  if (error instanceof CatalystError || !(error instanceof Error)) return error;
  return new CatalystError("compute", error.message, ExitCode.failure);
}
