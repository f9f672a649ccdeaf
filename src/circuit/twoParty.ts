/** Runs one circuit program as garbler and evaluator in this process (tests, tools), and recombines output shares. */
import { randomFillSync } from "node:crypto";
import type { CircuitProgram } from "./backend.js";
import { CountingBackend, type GateCounts } from "./countingBackend.js";
import { IdealCorrelatedOt } from "./correlatedOt.js";
import { Evaluator } from "./evaluator.js";
import { Garbler } from "./garbler.js";
import { PlaintextBackend } from "./plaintextBackend.js";
import { createMemoryPipe } from "./tableStream.js";
import { evaluateOverChannel, garbleOverChannel, type PartyHooks } from "./channelParty.js";
import { memoryChannelPair } from "../transport/memoryPair.js";

/** Splits clear bits into two XOR shares with a uniformly random first share. */
export function splitIntoShares(bits: Uint8Array): { garblerShare: Uint8Array; evaluatorShare: Uint8Array } {
  const garblerShare = randomFillSync(new Uint8Array(bits.length));
  const evaluatorShare = new Uint8Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    garblerShare[i] &= 1;
    evaluatorShare[i] = (bits[i] & 1) ^ garblerShare[i];
  }
  return { garblerShare, evaluatorShare };
}

/** The value of each output bit: the XOR of the two parties' shares (only the result recipient does this). */
export function combineOutputShares(garblerShares: Uint8Array, evaluatorShares: Uint8Array): Uint8Array {
  if (garblerShares.length !== evaluatorShares.length) throw new RangeError("output shares differ in length");
  const bits = new Uint8Array(garblerShares.length);
  for (let i = 0; i < bits.length; i++) bits[i] = (garblerShares[i] ^ evaluatorShares[i]) & 1;
  return bits;
}

export async function runPlaintext(program: CircuitProgram, inputs: Uint8Array[]): Promise<Uint8Array[]> {
  const backend = new PlaintextBackend();
  const outputs = await program(backend, inputs.map((bits) => backend.input(bits)));
  return outputs.map((output) => backend.outputShare(output));
}

export async function runCounting(program: CircuitProgram, inputLengths: number[]): Promise<GateCounts> {
  const backend = new CountingBackend();
  await program(backend, inputLengths.map((length) => backend.input(length)));
  return backend.counts;
}

export interface GarbledRun {
  outputs: Uint8Array[];
  garblerShares: Uint8Array[];
  evaluatorShares: Uint8Array[];
  /** Length of the garbled-table stream, header included. */
  streamBytes: number;
  andGates: number;
}

/**
 * Garbles and evaluates concurrently in this process, connected by a bounded in-memory pipe, with inputs
 * XOR-shared at random and handed over by an ideal COT.
 */
export async function runGarbled(program: CircuitProgram, inputs: Uint8Array[], chunkBytes?: number): Promise<GarbledRun> {
  const pipe = createMemoryPipe();
  const ot = new IdealCorrelatedOt();
  const shares = inputs.map(splitIntoShares);
  const garblerSide = (async () => {
    const garbler = new Garbler(pipe.sink, { chunkBytes });
    const wires = [];
    for (const share of shares) wires.push(await garbler.inputShared(share.garblerShare, ot));
    const outputs = await program(garbler, wires);
    await garbler.finish();
    return { shares: outputs.map((output) => garbler.outputShare(output)), andGates: garbler.andGates, streamBytes: garbler.streamBytes };
  })();
  const evaluatorSide = (async () => {
    const evaluator = await Evaluator.create(pipe.source);
    const wires = [];
    for (const share of shares) wires.push(await evaluator.inputShared(share.evaluatorShare, ot));
    const outputs = await program(evaluator, wires);
    await evaluator.finish();
    return { shares: outputs.map((output) => evaluator.outputShare(output)), streamBytes: evaluator.streamBytes };
  })();
  const [garbled, evaluated] = await Promise.all([garblerSide, evaluatorSide]);
  return recombined(garbled, evaluated);
}

/** Both parties' output shares put together, once they agree on the stream they exchanged. */
function recombined(garbled: { shares: Uint8Array[]; streamBytes: number; andGates: number }, evaluated: { shares: Uint8Array[]; streamBytes: number }): GarbledRun {
  if (garbled.streamBytes !== evaluated.streamBytes) throw new Error("garbler and evaluator disagree on the stream length");
  return {
    outputs: garbled.shares.map((share, i) => combineOutputShares(share, evaluated.shares[i])),
    garblerShares: garbled.shares,
    evaluatorShares: evaluated.shares,
    streamBytes: garbled.streamBytes,
    andGates: garbled.andGates,
  };
}

/**
 * As runGarbled, but the two parties talk over an in-memory channel pair with the real OT (base OT, IKNP):
 * for programs that reveal or shuffle, which need the evaluator's answers mid-circuit.
 */
export async function runGarbledOverChannel(program: CircuitProgram, inputs: Uint8Array[], { shareWireInputs }: Pick<PartyHooks, "shareWireInputs"> = {}): Promise<GarbledRun & { garblerBytesSent: number; evaluatorBytesSent: number }> {
  const [garblerChannel, evaluatorChannel] = memoryChannelPair({ label: "garbler↔evaluator" });
  const shares = inputs.map(splitIntoShares);
  try {
    const [garbled, evaluated] = await Promise.all([
      garbleOverChannel(program, garblerChannel, shares.map((share) => share.garblerShare), { shareWireInputs }),
      evaluateOverChannel(program, evaluatorChannel, shares.map((share) => share.evaluatorShare), { shareWireInputs }),
    ]);
    return {
      ...recombined({ ...garbled, shares: garbled.outputShares }, { ...evaluated, shares: evaluated.outputShares }),
      garblerBytesSent: garblerChannel.counters().bytesSent,
      evaluatorBytesSent: evaluatorChannel.counters().bytesSent,
    };
  } finally {
    garblerChannel.destroy();
    evaluatorChannel.destroy();
  }
}
