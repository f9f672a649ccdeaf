/** The evaluator: mirrors the garbler, holding one label per wire and reading garbled tables from a byte source. */
import { packBits, unpackBits } from "../ot/bits.js";
import { SharedRowShuffler } from "../ot/sharedShuffle.js";
import type { MessageChannel } from "../transport/channel.js";
import type { Backend } from "./backend.js";
import { HalfGateKernels } from "./halfGateKernels.js";
import { xorLabels } from "./labelXor.js";
import { Rewiring } from "./rewiring.js";
import type { CorrelatedOtReceiver } from "./correlatedOt.js";
import { GATES_PER_BATCH, STREAM_HEADER_BYTES } from "./garbler.js";
import { lessThanOfRows, RowComparisonScratch } from "./rowComparison.js";
import { rowsOfParts, sharedPlanes, type LaneShares } from "./laneShares.js";
import { isShareWires, notShareWires, xorShareWires } from "./shareWires.js";
import { TableReader, UnalignedTableStreamError, type ByteSource } from "./tableStream.js";
import { TccrHash } from "./tccrHash.js";
import { LABEL_BYTES, WireVector, checkBroadcast, checkSameLength, ownedCopy, repeatedWires } from "./wireVector.js";

/** A wire vector from another backend (or of the wrong shape) was given to the evaluator. */
export class EvaluatorMisuseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvaluatorMisuseError";
  }
}

/** Mirror of GarblerLink: the channel the tables come over, and the correlated OT session of the input labels. */
export interface EvaluatorLink {
  channel: MessageChannel;
  inputs: CorrelatedOtReceiver;
}

/**
 * Holds the one label per wire that encodes its value; it never learns which value that is. It consumes
 * tables in exactly the order the garbler produced them, so both must run the same program.
 */
export class Evaluator extends Rewiring implements Backend {
  readonly kind = "evaluator" as const;
  /** Must match the garbler's tweak sequence gate for gate. */
  private gateIndex = 0;
  private andCount = 0;

  private readonly kernels: HalfGateKernels;
  private shuffler?: Promise<SharedRowShuffler>;

  private constructor(private readonly reader: TableReader, private readonly hash: TccrHash, private readonly link?: EvaluatorLink) {
    super();
    this.kernels = new HalfGateKernels(GATES_PER_BATCH, (blocks) => hash.permute(blocks));
  }

  /** Reads the stream header (the garbler's fresh hash key) and returns a ready evaluator; `link` only for programs that reveal or shuffle. */
  static async create(source: ByteSource, link?: EvaluatorLink): Promise<Evaluator> {
    const reader = new TableReader(source);
    const hashKey = (await reader.take(STREAM_HEADER_BYTES)).slice();
    return new Evaluator(reader, new TccrHash(hashKey), link);
  }

  get andGates(): number {
    return this.andCount;
  }

  /** Bytes of the garbled-table stream consumed so far, header included. */
  get streamBytes(): number {
    return this.reader.bytesConsumed;
  }

  /** Input wires for XOR-shared bits: the COT output K ⊕ sE·Δ is the label of v = sG ⊕ sE. */
  async inputShared(evaluatorShare: Uint8Array, ot: CorrelatedOtReceiver): Promise<WireVector> {
    const labels = await ot.receiveCorrelated(evaluatorShare);
    if (labels.length !== evaluatorShare.length * LABEL_BYTES) throw new EvaluatorMisuseError("the COT returned the wrong number of labels");
    // The labels are ours (see CorrelatedOtReceiver): kept as they are, no second copy of the inputs.
    return new WireVector(evaluatorShare.length, 16, ownedCopy(labels));
  }

  /** Every public constant is the all-zero label here (the garbler's 0-label is c·Δ). */
  constant(bits: ArrayLike<number>): WireVector {
    return WireVector.allocate(bits.length, 16);
  }

  xor(a: WireVector, b: WireVector): WireVector {
    if (isShareWires(a) && isShareWires(b)) return xorShareWires(a, b);
    this.checkLabels(a, b);
    // Free-XOR: the labels themselves are XORed.
    return new WireVector(a.length, 16, xorLabels(a.data, b.data));
  }

  /** Free: the garbler swaps the meaning of the labels, the evaluator's label stays the same. */
  not(a: WireVector): WireVector {
    if (isShareWires(a)) return notShareWires(a, false);
    this.checkLabels(a);
    return a;
  }

  async and(a: WireVector, b: WireVector): Promise<WireVector> {
    this.checkLabels(a, b);
    return this.evaluateAnd(a, (start, end) => b.data.subarray(start * 16, end * 16));
  }

  async andBroadcast(planes: WireVector, bits: WireVector): Promise<WireVector> {
    this.checkLabels(planes);
    checkBroadcast(planes, bits);
    return this.evaluateAnd(planes, (start, end) => repeatedWires(bits, start, end));
  }

  private readonly comparisonScratch = new RowComparisonScratch();

  lessThanOfRows(rows: WireVector, width: number, first: ArrayLike<number>, second: ArrayLike<number>): Promise<WireVector> {
    this.checkLabels(rows);
    return lessThanOfRows(rows, width, first, second, async (a, b, output) => { await this.evaluateAnd(a, (start, end) => b.data.subarray(start * 16, end * 16), output); }, this.comparisonScratch);
  }

  /** AND gates between `a` and the second inputs' labels, which `secondInputs` gives batch by batch, into `result` (a new vector by default). */
  private async evaluateAnd(a: WireVector, secondInputs: (start: number, end: number) => Uint8Array, result = WireVector.uninitialized(a.length, 16)): Promise<WireVector> {
    for (let start = 0; start < a.length; start += GATES_PER_BATCH) {
      const end = Math.min(a.length, start + GATES_PER_BATCH);
      const tables = await this.reader.take((end - start) * 2 * LABEL_BYTES);
      this.evaluateAndBatch(a.data.subarray(start * 16, end * 16), secondInputs(start, end), result.data.subarray(start * 16, end * 16), tables);
    }
    this.andCount += a.length;
    return result;
  }

  /**
   * Half-gates evaluation for a batch: with sa, sb the permute bits of the held labels A, B and the table TG ‖ TE,
   *   WG = H(A) ⊕ sa·TG,   WE = H(B) ⊕ sb·(TE ⊕ A),   C = WG ⊕ WE (SIMD kernels, the garbler's tweaks).
   */
  private evaluateAndBatch(aBytes: Uint8Array, bBytes: Uint8Array, outputBytes: Uint8Array, tableBytes: Uint8Array): void {
    this.kernels.evaluate(aBytes, bBytes, outputBytes, tableBytes, this.gateIndex);
    this.gateIndex += aBytes.length / LABEL_BYTES;
  }

  /** One half-gate per wire: C = H(A) ⊕ sa·T. */
  async andWithGarblerKnown(a: WireVector): Promise<WireVector> {
    this.checkLabels(a);
    const result = WireVector.uninitialized(a.length, 16);
    for (let start = 0; start < a.length; start += GATES_PER_BATCH) {
      const end = Math.min(a.length, start + GATES_PER_BATCH);
      const gates = end - start;
      const aBytes = a.data.subarray(start * 16, end * 16);
      const firstTweak = 2 * this.gateIndex;
      this.gateIndex += gates;
      const table = alignedWords(await this.reader.take(gates * LABEL_BYTES));
      const hashA = this.hash.hash(aBytes, firstTweak, 2);
      const labels = new Uint32Array(aBytes.buffer, aBytes.byteOffset, gates * 4);
      const out = new Uint32Array(result.data.buffer, result.data.byteOffset + start * 16, gates * 4);
      for (let i = 0, q = 0; i < gates; i++, q += 4) {
        const sa = -(labels[q] & 1);
        out[q] = hashA[q] ^ (table[q] & sa);
        out[q + 1] = hashA[q + 1] ^ (table[q + 1] & sa);
        out[q + 2] = hashA[q + 2] ^ (table[q + 2] & sa);
        out[q + 3] = hashA[q + 3] ^ (table[q + 3] & sa);
      }
    }
    this.andCount += a.length;
    return result;
  }

  /** Decodes each wire with the garbler's decoding bit from the stream, and sends the values back. */
  async reveal(a: WireVector): Promise<Uint8Array> {
    this.checkLabels(a);
    const decoding = await this.reader.take(Math.ceil(a.length / 8));
    // No check that the stream was read to its end here: the next comparisons may already be reading it.
    const channel = this.linkToGarbler().channel;
    // Value = the garbler's share (its decoding bit) ⊕ ours.
    const values = unpackBits(decoding, a.length);
    const ours = this.outputShare(a);
    for (let i = 0; i < a.length; i++) values[i] ^= ours[i];
    await channel.send(packBits(values));
    channel.flush();
    return values;
  }

  /** Shares are the permute bits of the held labels. */
  sharesOfLanes(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: number): LaneShares {
    // Share wires are this party's shares already; labels give theirs by their permute bits.
    for (const part of parts) if (!isShareWires(part.wires)) this.checkLabels(part.wires);
    return rowsOfParts(parts, lanes);
  }

  /** The evaluator draws the second of the two permutations. */
  async shuffleShares(shares: LaneShares): Promise<LaneShares> {
    const { channel } = this.atGarblersWait();
    this.shuffler ??= SharedRowShuffler.setup(channel, "second");
    return { ...shares, share: await (await this.shuffler).shuffle(shares.share, shares.lanes, shares.rowBytes) };
  }

  async labelsOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): Promise<WireVector> {
    const { inputs } = this.atGarblersWait();
    return this.inputShared(sharedPlanes(shuffled, first, end, lanes), inputs);
  }

  /** This party's share bits, as they are: the garbler's shares XOR ours to the values. */
  outputWiresOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): WireVector {
    return new WireVector((end - first) * (lanes ? lanes.length : shuffled.lanes), 1, sharedPlanes(shuffled, first, end, lanes));
  }

  /** The link, where the garbler flushed its tables to wait for us: every table it sent must have been read. */
  private atGarblersWait(): EvaluatorLink {
    const link = this.linkToGarbler();
    if (!this.reader.atChunkEnd) throw new UnalignedTableStreamError();
    return link;
  }

  private linkToGarbler(): EvaluatorLink {
    if (!this.link) throw new EvaluatorMisuseError("this evaluator has no link to the garbler: reveals and shuffles need one");
    return this.link;
  }

  /** The evaluator's output share of each wire: the permute bit of the label it holds, or the share bit of an output wire. */
  outputShare(a: WireVector): Uint8Array {
    if (a.bytesPerWire === 1) return a.data.slice();
    this.checkLabels(a);
    const shares = new Uint8Array(a.length);
    for (let i = 0; i < a.length; i++) shares[i] = a.data[i * 16] & 1;
    return shares;
  }

  /** Checks that the garbler sent nothing beyond what this program consumed. */
  async finish(): Promise<void> {
    await this.reader.expectEnd();
  }

  private checkLabels(a: WireVector, b?: WireVector): void {
    if (a.bytesPerWire !== 16 || (b && b.bytesPerWire !== 16)) throw new EvaluatorMisuseError("the evaluator works on 16-byte labels only (share wires, made without OT, cannot enter a gate)");
    if (b) checkSameLength(a, b);
  }
}

/** Table bytes from a socket may sit at any offset; copy only in that rare case. */
function alignedWords(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  return new Uint32Array(bytes.slice().buffer);
}
