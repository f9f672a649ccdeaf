/**
 * The protocol part of `catalyst compute`, for any message channel: per query, agree on the study, query and
 * public sizes, compile the query for them, and run it as this party (session.ts). It runs in a worker
 * thread (computeWorker.ts) so the thread that owns the socket is never busy with the circuit.
 */
import { rowBits, type Column } from "../share/schema.js";
import { InputError } from "../share/errors.js";
import { randomBytes } from "../share/random.js";
import { findTable, type Role, type Study } from "../share/study.js";
import type { MessageChannel } from "../transport/channel.js";
import { exchangeProtocolHeaders, PROTOCOL_NAME, PROTOCOL_VERSION } from "../transport/protocolHeader.js";
import type { CompiledQuery, OperatorRun, PlanCost } from "./compile.js";
import { compileSession } from "./compileSession.js";
import { ParkedJoins, type ParkedJoinSharing } from "./parkedJoins.js";
import type { QueryLoad } from "./querySchedule.js";
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
  /** The session's queries in order, with the tables each reads. */
  queries: Array<{ name: string; tables: string[] }>;
  /** With several worker pairs (querySchedule.ts): the queries this pair runs, as indices into `queries`. All by default. */
  scheduled?: number[];
  /** Every query's counted load, when the schedule has counted them already (counting the pilot takes minutes). */
  loads?: QueryLoad[];
  /** Every table of the session; a table none of the scheduled queries scans may come without its share bits. */
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
 * Runs the queries of `task` (those `scheduled`) over `channel`; a query is finished once both sides have
 * committed to it. It empties each input's share bits after the last query here that reads them. `sharing`
 * connects the parked joins with the session's other worker pairs.
 */
export async function computeQueries(task: ComputeTask, channel: MessageChannel, events: ComputeEvents = {}, sharing?: ParkedJoinSharing): Promise<FinishedQuery[]> {
  const { study, role } = task;
  const inputs = new Map(task.inputs.map((input) => [input.table, input]));
  const scheduled = task.scheduled ?? task.queries.map((_, index) => index);
  const finished: FinishedQuery[] = [];
  const session = compileTask(task);
  const parked = new ParkedJoins(sharing);
  const costOf = task.loads ? async (index: number) => task.loads![index] : sessionCosts(task, session);
  // A table's share bits go with the last query that reads them: at pilot scale they are hundreds of MB,
  // held otherwise beside the labels made from them until the session ends.
  const lastReader = new Map<string, number>();
  for (const index of scheduled) for (const table of session[index].tables) lastReader.set(table, index);
  const parkedHere = new Set<string>();
  for (const queryIndex of scheduled) {
    const { name, tables } = task.queries[queryIndex];
    if (sharing) {
      // Joins another pair parks arrive before the query starts, on both parties' pairs alike.
      const cost = await costOf(queryIndex);
      for (const { text } of cost.joinsParked) parkedHere.add(text);
      await parked.awaitArrivals(Object.keys(cost.joinsTakenUp).filter((text) => !parkedHere.has(text)));
    }
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
    const cost = await costOf(queryIndex);
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

/** The session's queries compiled together, so that a join several of them read is computed once and parked as shares between them. */
export function compileTask(task: Pick<ComputeTask, "study" | "queries" | "inputs">): CompiledQuery[] {
  const { study } = task;
  const sortedInputs = Object.fromEntries(task.inputs.flatMap((input) => (input.sortedBy ? [[input.table, input.sortedBy]] : [])));
  return compileSession(study, task.queries.map(({ name }) => study.queries.find((candidate) => candidate.name === name)!),
    Object.fromEntries(task.inputs.map((input) => [input.table, input.parts])), { sortedInputs });
}

/**
 * Each query's exact cost, counted on demand in session order: a query that takes up a join needs the earlier
 * queries' counted runs, which park it in the counting backend's own store.
 */
export function sessionCosts(task: Pick<ComputeTask, "study" | "inputs">, session: readonly CompiledQuery[]): (index: number) => Promise<PlanCost> {
  const rowsOf = new Map(task.inputs.map((input) => [input.table, input.rows]));
  const parkedForCost = new ParkedJoins();
  const costs: PlanCost[] = [];
  return async (index) => {
    while (costs.length <= index) {
      const compiled = session[costs.length];
      // Wires from public sizes: another pair's input may come here without its share bits.
      costs.push(await compiled.cost(compiled.tables.map((table) => rowsOf.get(table)! * rowBits(findTable(task.study, table).columns)), parkedForCost));
    }
    return costs[index];
  };
}
