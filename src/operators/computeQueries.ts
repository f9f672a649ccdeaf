/**
 * The protocol part of `catalyst compute`, for any message channel: per query, agree on the study, query and
 * public sizes, compile the query for them, and run it as this party (session.ts). It runs in a worker
 * thread (computeWorker.ts) so the thread that owns the socket is never busy with the circuit.
 */
import type { Column } from "../share/schema.js";
import { InputError } from "../share/errors.js";
import { randomBytes } from "../share/random.js";
import type { Role, Study } from "../share/study.js";
import type { MessageChannel } from "../transport/channel.js";
import { exchangeProtocolHeaders, PROTOCOL_NAME, PROTOCOL_VERSION } from "../transport/protocolHeader.js";
import type { OperatorRun } from "./compile.js";
import { compileSession } from "./compileSession.js";
import { ParkedJoins } from "./parkedJoins.js";
import { runQueryAsParty, type SessionProgress } from "./session.js";

/** One input table as this party holds it: public sizes and its share's bits. */
export interface TableInput {
  table: string;
  /** partner/table → rows; -1 marks a share missing from this inbox. */
  sizes: Record<string, number>;
  /** Rows per contributing partner (by study index), for the compiler. */
  parts: Array<{ partner: number; rows: number }>;
  missing: string[];
  rows: number;
  /** The columns every upload of the table is sorted by, when all of them are (see joinKeys.ts). */
  sortedBy?: string[];
  shareBits: Uint8Array;
}

export interface ComputeTask {
  study: Study;
  role: Role;
  /** The queries to run in order, with the tables each reads. */
  queries: Array<{ name: string; tables: string[] }>;
  inputs: TableInput[];
}

/** What a finished query leaves for the result file and the summary. */
export interface FinishedQuery {
  query: string;
  run: string;
  outputColumns: Column[];
  outputOrdered: boolean;
  /** This party's share of the output table, row-major records of the output columns. */
  share: Uint8Array;
  rows: number;
  /** Rows of the tables this query scans: a join shared with an earlier query is taken up, not scanned. */
  inputRows: number;
  andGates: number;
  tableBytes: number;
  bytesSent: number;
  bytesReceived: number;
  seconds: { ot: number; circuit: number; total: number };
  /** Each operator's own ANDs and seconds, and this process's peak RSS when it finished (see compile.ts). */
  operators: OperatorRun[];
}

export interface ComputeEvents {
  onQueryStarted?: (query: string) => void;
  onPhase?: (text: string) => void;
  onProgress?: (query: string, progress: SessionProgress) => void;
  onQueryFinished?: (finished: FinishedQuery) => void;
}

/**
 * Runs every query of `task` over `channel`; a query is finished once both sides have committed to it. It
 * empties each input's share bits after the last query that reads them.
 */
export async function computeQueries(task: ComputeTask, channel: MessageChannel, events: ComputeEvents = {}): Promise<FinishedQuery[]> {
  const { study, role } = task;
  const inputs = new Map(task.inputs.map((input) => [input.table, input]));
  const finished: FinishedQuery[] = [];
  // Compiled together, so that a join several queries read is computed once and parked as shares between them.
  const sortedInputs = Object.fromEntries(task.inputs.flatMap((input) => (input.sortedBy ? [[input.table, input.sortedBy]] : [])));
  const session = compileSession(study, task.queries.map(({ name }) => study.queries.find((candidate) => candidate.name === name)!),
    Object.fromEntries(task.inputs.map((input) => [input.table, input.parts])), { sortedInputs });
  const parked = new ParkedJoins();
  // The counting backend's own store: each query's cost is counted, in run order, before it runs.
  const parkedForCost = new ParkedJoins();
  // A table's share bits go with the last query that reads them: at pilot scale they are hundreds of MB,
  // held otherwise beside the labels made from them until the session ends.
  const lastReader = new Map<string, number>();
  for (const [index, { tables }] of session.entries()) for (const table of tables) lastReader.set(table, index);
  for (const [queryIndex, { name, tables }] of task.queries.entries()) {
    events.onQueryStarted?.(name);
    const tableInputs = tables.map((table) => inputs.get(table)!);
    const queryOrders = Object.fromEntries(tableInputs.flatMap((input) => (input.sortedBy ? [[input.table, input.sortedBy]] : [])));
    const before = channel.counters();
    const started = performance.now();
    // The garbler names the run; both result files carry it so reveal never mixes runs.
    const proposedRun = role === "garbler" ? Array.from(randomBytes(8), (byte) => byte.toString(16).padStart(2, "0")).join("") : "";
    const header = await exchangeProtocolHeaders(channel, {
      protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION, role, study: study.id, studyDigest: study.digest,
      query: name, inputs: Object.assign({}, ...tableInputs.map((input) => input.sizes)), sortedInputs: queryOrders, run: proposedRun,
      session: task.queries.map((entry) => entry.name),
    });
    const runId = role === "garbler" ? proposedRun : header.run;
    const missing = tableInputs.flatMap((input) => input.missing);
    if (missing.length > 0) {
      throw new InputError(`missing share${missing.length > 1 ? "s" : ""} for query ${name}: ${missing.join(", ")} (run \`catalyst inbox check\`)`, { file: missing[0] }, "missing-share");
    }
    const compiled = session[queryIndex];
    const ordered = compiled.tables.map((table) => inputs.get(table)!);
    const cost = await compiled.cost(ordered.map((input) => input.shareBits.length), parkedForCost);
    const inputRows = ordered.reduce((sum, input) => sum + input.rows, 0);
    events.onPhase?.(`query ${name}: ${inputRows} input rows, ${cost.andGates.toLocaleString("en-US")} AND gates`);
    const shareBits = ordered.map((input) => input.shareBits);
    for (const input of ordered) if (lastReader.get(input.table) === queryIndex) input.shareBits = new Uint8Array(0);
    const result = await runQueryAsParty(role, compiled, channel, shareBits, cost.andGates, (progress) => events.onProgress?.(name, progress), parked);
    const after = channel.counters();
    const done: FinishedQuery = {
      query: name, run: runId, outputColumns: compiled.outputColumns, outputOrdered: compiled.outputOrdered, share: result.outputShare, rows: compiled.outputRows, inputRows,
      andGates: result.andGates, tableBytes: result.tableBytes,
      bytesSent: after.bytesSent - before.bytesSent, bytesReceived: after.bytesReceived - before.bytesReceived,
      seconds: { ...result.seconds, total: (performance.now() - started) / 1000 },
      operators: result.operators,
    };
    finished.push(done);
    events.onQueryFinished?.(done);
  }
  return finished;
}
