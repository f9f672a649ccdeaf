/**
 * One circuit program as one party over a message channel, with XOR-shared inputs handed over by IKNP
 * correlated OT. The garbler and the evaluator functions mirror each other; the message order is fixed:
 * all OT first (one session, one extension per input, in order), then the garbled-table stream. A program
 * that reveals or shuffles exchanges messages mid-stream, always at a point where the garbler has flushed
 * every table before it, so both sides read the channel in the same order. Each input's labels are a vector
 * of their own, so the program may let each go on its own.
 */
import { NetworkCorrelatedOtReceiver, NetworkCorrelatedOtSender } from "../ot/engineAdapters.js";
import type { MessageChannel } from "../transport/channel.js";
import { channelByteSink, channelByteSource } from "../transport/channelByteStream.js";
import type { CircuitProgram } from "./backend.js";
import { Evaluator } from "./evaluator.js";
import { Garbler } from "./garbler.js";
import { WireVector } from "./wireVector.js";

export interface PartyRun {
  /** This party's share of each output, one byte per bit. */
  outputShares: Uint8Array[];
  andGates: number;
  streamBytes: number;
  seconds: { ot: number; circuit: number };
}

export interface PartyHooks {
  /** Called once the backend exists, e.g. to poll its AND count for progress. */
  onBackend?: (backend: Garbler | Evaluator) => void;
  /**
   * Inputs (by index) that go in as share wires, no OT (circuit/shareWires.ts): for inputs the program only
   * moves into a shuffle, which takes shares anyway. Both parties must name the same ones.
   */
  shareWireInputs?: ReadonlySet<number>;
}

/** An input's share bits as share wires: the bits themselves, one byte per wire. */
const shareWiresOf = (share: Uint8Array) => new WireVector(share.length, 1, share);

/**
 * Garbler side: one COT per input bit (one session for all inputs; none for share-wire inputs), then the tables
 * as they are made. It takes the shares (the array is emptied): once their labels are made they are not needed
 * again, and share-wire inputs are the shares themselves (views, which the program copies before it writes).
 */
export async function garbleOverChannel(program: CircuitProgram, channel: MessageChannel, garblerShares: Uint8Array[], hooks: PartyHooks = {}): Promise<PartyRun> {
  const started = performance.now();
  const shares = garblerShares.splice(0);
  // The garbler's tables wait in its writer until the OT is done.
  // The same COT session makes the input labels and, mid-circuit, the wires of shuffled lanes.
  const sender = new NetworkCorrelatedOtSender(channel);
  const garbler = new Garbler(channelByteSink(channel), { link: { channel, inputs: sender } });
  hooks.onBackend?.(garbler);
  // No local keeps the input labels: the program may let each input's go once it is read.
  const inputs: WireVector[] = [];
  for (const [index, share] of shares.entries()) inputs.push(hooks.shareWireInputs?.has(index) ? shareWiresOf(share) : await garbler.inputShared(share, sender));
  shares.length = 0;
  const otDone = performance.now();
  const outputs = await program(garbler, inputs);
  await garbler.finish();
  return {
    outputShares: takeOutputShares(garbler, outputs),
    andGates: garbler.andGates,
    streamBytes: garbler.streamBytes,
    seconds: { ot: (otDone - started) / 1000, circuit: (performance.now() - otDone) / 1000 },
  };
}

/**
 * The evaluator, and its input labels per table from its COT outputs. A function of its own, so that no local
 * of the caller keeps the labels while the program runs: the program may let each table's go once it is read.
 */
async function evaluatorInputs(channel: MessageChannel, evaluatorShares: Uint8Array[], hooks: PartyHooks): Promise<{ evaluator: Evaluator; inputs: WireVector[] }> {
  const shares = evaluatorShares.splice(0);
  const receiver = new NetworkCorrelatedOtReceiver(channel);
  const labels: Array<Uint8Array | undefined> = [];
  for (const [index, share] of shares.entries()) labels.push(hooks.shareWireInputs?.has(index) ? undefined : await receiver.receiveCorrelated(share));
  // The table stream starts with the garbler's hash key, sent only after the OT.
  const evaluator = await Evaluator.create(channelByteSource(channel), { channel, inputs: receiver });
  hooks.onBackend?.(evaluator);
  const inputs: WireVector[] = [];
  for (const [index, share] of shares.entries()) inputs.push(labels[index] === undefined ? shareWiresOf(share) : await evaluator.inputShared(share, { receiveCorrelated: async () => labels[index]! }));
  return { evaluator, inputs };
}

/** Evaluator side: its COT outputs are its input labels; then it consumes the tables in the same order. It takes the shares, as the garbler does. */
export async function evaluateOverChannel(program: CircuitProgram, channel: MessageChannel, evaluatorShares: Uint8Array[], hooks: PartyHooks = {}): Promise<PartyRun> {
  const started = performance.now();
  const { evaluator, inputs } = await evaluatorInputs(channel, evaluatorShares, hooks);
  const otDone = performance.now();
  const outputs = await program(evaluator, inputs);
  await evaluator.finish();
  return {
    outputShares: takeOutputShares(evaluator, outputs),
    andGates: evaluator.andGates,
    streamBytes: evaluator.streamBytes,
    seconds: { ot: (otDone - started) / 1000, circuit: (performance.now() - otDone) / 1000 },
  };
}

/** Each output's share, in order; each output's labels are let go once read, so shares and labels never both stand whole. */
function takeOutputShares(backend: { outputShare(a: WireVector): Uint8Array }, outputs: WireVector[]): Uint8Array[] {
  const shares: Uint8Array[] = [];
  for (let index = 0; index < outputs.length; index++) {
    shares.push(backend.outputShare(outputs[index]));
    outputs[index] = undefined as never;
  }
  return shares;
}
