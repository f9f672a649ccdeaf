/**
 * One query as one compute party, over one message channel (see circuit/channelParty.ts for OT and
 * garbling), followed by a two-step commit so that neither party keeps a result the other did not finish.
 * The order and sizes of messages depend only on public sizes.
 */
import type { CircuitProgram } from "../circuit/backend.js";
import { evaluateOverChannel, garbleOverChannel, type PartyRun } from "../circuit/channelParty.js";
import { bitPlanePartsToRows } from "../share/bitPlaneLayout.js";
import { RowCodec } from "../share/rowCodec.js";
import { rowBits } from "../share/schema.js";
import type { Role } from "../share/study.js";
import type { MessageChannel } from "../transport/channel.js";
import { PeerMismatchError } from "../transport/protocolHeader.js";
import type { OperatorRun, QueryCircuit } from "./compile.js";
import { groupRunsByTable, splitShareIntoRuns } from "./inputPlanes.js";
import type { ParkedJoins } from "./parkedJoins.js";

export interface SessionProgress {
  phase: "ot" | "circuit" | "commit";
  andGatesDone: number;
  andGatesTotal: number;
  bytesSent: number;
}

export interface SessionResult {
  /** This party's share of the output table, row-major records of the plan's output columns. */
  outputShare: Uint8Array;
  andGates: number;
  tableBytes: number;
  seconds: { ot: number; circuit: number };
  /** Each operator's own ANDs and seconds, and the peak RSS when it finished, in the order they finished. */
  operators: OperatorRun[];
}

const COMMIT = new TextEncoder().encode("catalyst:evaluated");
const COMMITTED = new TextEncoder().encode("catalyst:committed");

/**
 * Runs `plan` on this party's share bits of each input table (plane-major, one byte per bit: see
 * share/bitPlaneLayout). Both parties call it with the same plan and sizes. It takes the share bits (the
 * array is emptied), so they go once the input labels are made. `parked` holds the joins this session's
 * queries share (sharedJoins.ts): one store for all of them, in run order.
 */
export async function runQueryAsParty(
  role: Role,
  plan: QueryCircuit,
  channel: MessageChannel,
  shareBits: Uint8Array[],
  andGatesTotal: number,
  onProgress?: (progress: SessionProgress) => void,
  parked?: ParkedJoins,
): Promise<SessionResult> {
  // Each table's labels are made run by run (inputPlanes.ts), so the query can own and free them column by column.
  const operators: OperatorRun[] = [];
  let partyBackend: { andGates: number } | undefined;
  const trace = { andGates: () => partyBackend?.andGates ?? 0, onOperator: (run: OperatorRun) => { operators.push(run); } };
  const program: CircuitProgram = (backend, inputs) => plan.circuitParts(backend, groupRunsByTable(inputs.splice(0), plan.inputLayouts), trace, parked);
  // The runs are taken by the party, which lets them go once their labels are made (share-wire runs are the wires).
  const shareRuns = shareBits.splice(0).flatMap((bits, table) => splitShareIntoRuns(bits, plan.inputLayouts[table]));
  // Runs of share-wire tables (shareWireInputs.ts) skip the input OT; the peer's plan names the same ones.
  const shareWireInputs = new Set<number>();
  let runIndex = 0;
  for (const layout of plan.inputLayouts) for (let run = 0; run < layout.runs.length; run++, runIndex++) if (layout.shareWires) shareWireInputs.add(runIndex);
  onProgress?.({ phase: "ot", andGatesDone: 0, andGatesTotal, bytesSent: channel.counters().bytesSent });
  let timer: NodeJS.Timeout | undefined;
  const hooks = {
    shareWireInputs,
    onBackend: (backend: { andGates: number }) => {
      partyBackend = backend;
      if (onProgress) timer = setInterval(() => onProgress({ phase: "circuit", andGatesDone: backend.andGates, andGatesTotal, bytesSent: channel.counters().bytesSent }), 250);
    },
  };
  let run: PartyRun;
  try {
    run = role === "garbler" ? await garbleOverChannel(program, channel, shareRuns, hooks) : await evaluateOverChannel(program, channel, shareRuns, hooks);
  } finally {
    if (timer) clearInterval(timer);
  }
  onProgress?.({ phase: "commit", andGatesDone: run.andGates, andGatesTotal, bytesSent: channel.counters().bytesSent });

  // Neither side keeps a result unless both finished: the evaluator reports, the garbler confirms.
  if (role === "evaluator") {
    await channel.send(COMMIT);
    channel.flush();
    expectMessage(await channel.receive(), COMMITTED);
  } else {
    expectMessage(await channel.receive(), COMMIT);
    await channel.send(COMMITTED);
    channel.flush();
  }

  const codec = new RowCodec(plan.outputColumns);
  return {
    outputShare: bitPlanePartsToRows(run.outputShares, plan.outputRows, codec.recordBytes, rowBits(plan.outputColumns)),
    andGates: run.andGates,
    tableBytes: run.streamBytes,
    seconds: run.seconds,
    operators,
  };
}

function expectMessage(received: Uint8Array, expected: Uint8Array): void {
  if (received.length !== expected.length || received.some((byte, index) => byte !== expected[index])) {
    throw new PeerMismatchError("the peer ended the computation out of step (it ran a different circuit?)");
  }
}
