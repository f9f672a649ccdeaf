/**
 * One query as one compute party, over one message channel: the XOR-shared inputs enter through correlated
 * OT, the circuit is garbled (or evaluated) as a stream, and each party keeps only its share of the output.
 * The order of messages is fixed and depends only on public sizes: OT first, then the table stream, then a
 * two-step commit so that neither party keeps a result the other did not finish.
 */
import { CountingBackend } from "../circuit/countingBackend.js";
import { Evaluator } from "../circuit/evaluator.js";
import { Garbler } from "../circuit/garbler.js";
import type { WireVector } from "../circuit/wireVector.js";
import { NetworkCorrelatedOtReceiver, NetworkCorrelatedOtSender } from "../ot/engineAdapters.js";
import { bitPlanesToRows } from "../share/bitPlaneLayout.js";
import { RowCodec } from "../share/rowCodec.js";
import { rowBits } from "../share/schema.js";
import type { Role } from "../share/study.js";
import type { MessageChannel } from "../transport/channel.js";
import { channelByteSink, channelByteSource } from "../transport/channelByteStream.js";
import { PeerMismatchError } from "../transport/protocolHeader.js";
import type { QueryPlan } from "./builtinQueries.js";

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
}

/** Exact AND count of a plan for these public sizes, from the counting backend (no cryptography). */
export async function countPlan(plan: QueryPlan, rows: number, inputBits: number): Promise<{ andGates: number; bytes: number }> {
  const backend = new CountingBackend();
  await plan.circuit(backend, backend.input(inputBits * rows), rows);
  const counts = backend.counts;
  return { andGates: counts.and + counts.andWithGarblerKnown, bytes: counts.tableBytes };
}

const COMMIT = new TextEncoder().encode("catalyst:evaluated");
const COMMITTED = new TextEncoder().encode("catalyst:committed");

/**
 * Runs `plan` on this party's share bits (plane-major, one byte per bit: see share/bitPlaneLayout) of
 * `rows` input rows. Both parties call it with the same plan and sizes.
 */
export async function runQueryAsParty(
  role: Role,
  plan: QueryPlan,
  channel: MessageChannel,
  shareBits: Uint8Array,
  rows: number,
  andGatesTotal: number,
  onProgress?: (progress: SessionProgress) => void,
): Promise<SessionResult> {
  const started = performance.now();
  let backend: Garbler | Evaluator;
  let inputs: WireVector;
  onProgress?.({ phase: "ot", andGatesDone: 0, andGatesTotal, bytesSent: channel.counters().bytesSent });
  if (role === "garbler") {
    // The garbler holds its tables back until the OT is done, so the two never interleave on the channel.
    const garbler = new Garbler(channelByteSink(channel));
    inputs = await garbler.inputShared(shareBits, new NetworkCorrelatedOtSender(channel));
    backend = garbler;
  } else {
    // The evaluator's labels come first, then the table stream begins with the garbler's hash key.
    const labels = await new NetworkCorrelatedOtReceiver(channel).receiveCorrelated(shareBits);
    const evaluator = await Evaluator.create(channelByteSource(channel));
    inputs = await evaluator.inputShared(shareBits, { receiveCorrelated: async () => labels });
    backend = evaluator;
  }
  const otDone = performance.now();

  const timer = onProgress ? setInterval(() => onProgress({ phase: "circuit", andGatesDone: backend.andGates, andGatesTotal, bytesSent: channel.counters().bytesSent }), 250) : undefined;
  let outputWires: WireVector;
  try {
    outputWires = await plan.circuit(backend, inputs, rows);
    await backend.finish();
  } finally {
    if (timer) clearInterval(timer);
  }
  const circuitDone = performance.now();
  onProgress?.({ phase: "commit", andGatesDone: backend.andGates, andGatesTotal, bytesSent: channel.counters().bytesSent });

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

  const outputBits = backend.outputShare(outputWires);
  const codec = new RowCodec(plan.outputColumns);
  return {
    outputShare: bitPlanesToRows(outputBits, plan.outputRows, codec.recordBytes, rowBits(plan.outputColumns)),
    andGates: backend.andGates,
    tableBytes: backend.streamBytes,
    seconds: { ot: (otDone - started) / 1000, circuit: (circuitDone - otDone) / 1000 },
  };
}

function expectMessage(received: Uint8Array, expected: Uint8Array): void {
  if (received.length !== expected.length || received.some((byte, index) => byte !== expected[index])) {
    throw new PeerMismatchError("the peer ended the computation out of step (it ran a different circuit?)");
  }
}
