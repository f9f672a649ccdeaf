/** The garbler: free-XOR, half-gates and a TCCR hash; writes garbled tables to a byte sink as they are produced. */
import { randomFillSync } from "node:crypto";
import { packBits, unpackBits } from "../ot/bits.js";
import { SharedRowShuffler } from "../ot/sharedShuffle.js";
import type { MessageChannel } from "../transport/channel.js";
import type { Backend } from "./backend.js";
import { HalfGateKernels } from "./halfGateKernels.js";
import { xorLabels } from "./labelXor.js";
import { Rewiring } from "./rewiring.js";
import type { CorrelatedOtSender } from "./correlatedOt.js";
import { lessThanOfRows, RowComparisonScratch } from "./rowComparison.js";
import { rowsOfParts, sharedPlanes, type LaneShares } from "./laneShares.js";
import { isShareWires, notShareWires, xorShareWires } from "./shareWires.js";
import { TableWriter, type ByteSink } from "./tableStream.js";
import { TccrHash } from "./tccrHash.js";
import { LABEL_BYTES, WireVector, checkBroadcast, checkSameLength, ownedCopy, repeatedWires } from "./wireVector.js";

/** ANDs garbled per batch: big enough that AES calls are efficient, small enough to stay in cache. */
export const GATES_PER_BATCH = 8192;
/** The stream starts with the 16-byte hash key; the evaluator reads it first. */
export const STREAM_HEADER_BYTES = 16;

/** A wire vector from another backend (or of the wrong shape) was given to the garbler. */
export class GarblerMisuseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GarblerMisuseError";
  }
}

/**
 * How the garbler hears back from the evaluator mid-circuit (reveals, shuffles): the channel its tables go
 * over, and the correlated OT session that made the input labels (it makes the wires of shuffled lanes too).
 */
export interface GarblerLink {
  channel: MessageChannel;
  inputs: CorrelatedOtSender;
}

export interface GarblerOptions {
  /** Size of the chunks handed to the sink (default 1 MiB). */
  chunkBytes?: number;
  /** Needed only by programs that reveal or shuffle. */
  link?: GarblerLink;
}

/**
 * Holds the 0-label of every wire; the 1-label is the 0-label ⊕ Δ (free-XOR). The point-and-permute bit of a
 * label is the lowest bit of its first byte, and Δ has it set, so the two labels of a wire differ in it.
 */
export class Garbler extends Rewiring implements Backend {
  readonly kind = "garbler" as const;
  private readonly delta = new Uint8Array(LABEL_BYTES);
  private readonly deltaWords: Uint32Array;
  private readonly hash: TccrHash;
  private readonly kernels: HalfGateKernels;
  private readonly writer: TableWriter;
  /** Unique tweaks: half-gate pair g uses tweaks 2g and 2g+1, a single half-gate g uses 2g. */
  private gateIndex = 0;
  private andCount = 0;
  private readonly link?: GarblerLink;
  private shuffler?: Promise<SharedRowShuffler>;

  constructor(sink: ByteSink, options: GarblerOptions = {}) {
    super();
    randomFillSync(this.delta);
    this.delta[0] |= 1;
    this.deltaWords = new Uint32Array(this.delta.buffer);
    const hashKey = randomFillSync(new Uint8Array(16));
    this.hash = new TccrHash(hashKey);
    this.kernels = new HalfGateKernels(GATES_PER_BATCH, (blocks) => this.hash.permute(blocks));
    this.kernels.setDelta(this.delta);
    this.writer = new TableWriter(sink, options.chunkBytes);
    this.writer.reserve(STREAM_HEADER_BYTES).set(hashKey);
    this.link = options.link;
  }

  /** AND gates garbled so far (a garbler-known AND counts as one). */
  get andGates(): number {
    return this.andCount;
  }

  /** Bytes of the garbled-table stream so far, header included. */
  get streamBytes(): number {
    return this.writer.bytesProduced;
  }

  /**
   * Input wires for XOR-shared bits v = sG ⊕ sE: the COT gives K per bit and the 0-label is K ⊕ sG·Δ, while
   * the evaluator's COT output K ⊕ sE·Δ is then the label of v. For bits only the garbler holds, sE = 0.
   */
  async inputShared(garblerShare: Uint8Array, ot: CorrelatedOtSender): Promise<WireVector> {
    const keys = await ot.sendCorrelated(this.delta, garblerShare.length);
    if (keys.length !== garblerShare.length * LABEL_BYTES) throw new GarblerMisuseError("the COT returned the wrong number of keys");
    // The keys are ours (see CorrelatedOtSender): they become the labels in place, no second copy of the inputs.
    const vector = new WireVector(garblerShare.length, 16, ownedCopy(keys));
    const words = vector.words();
    const d = this.deltaWords;
    for (let i = 0; i < garblerShare.length; i++) {
      if (!garblerShare[i]) continue;
      const q = i * 4;
      words[q] ^= d[0]; words[q + 1] ^= d[1]; words[q + 2] ^= d[2]; words[q + 3] ^= d[3];
    }
    return vector;
  }

  /** A public constant c has 0-label c·Δ; the evaluator holds the all-zero label for every constant. */
  constant(bits: ArrayLike<number>): WireVector {
    const vector = WireVector.allocate(bits.length, 16);
    const words = vector.words();
    const d = this.deltaWords;
    for (let i = 0; i < bits.length; i++) {
      if (!bits[i]) continue;
      const q = i * 4;
      words[q] = d[0]; words[q + 1] = d[1]; words[q + 2] = d[2]; words[q + 3] = d[3];
    }
    return vector;
  }

  xor(a: WireVector, b: WireVector): WireVector {
    if (isShareWires(a) && isShareWires(b)) return xorShareWires(a, b);
    this.checkLabels(a, b);
    // Free-XOR: the labels themselves are XORed.
    return new WireVector(a.length, 16, xorLabels(a.data, b.data));
  }

  not(a: WireVector): WireVector {
    if (isShareWires(a)) return notShareWires(a, true);
    this.checkLabels(a);
    const result = WireVector.uninitialized(a.length, 16);
    const x = a.words(), z = result.words(), d = this.deltaWords;
    const d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3];
    for (let q = 0; q < z.length; q += 4) {
      z[q] = x[q] ^ d0; z[q + 1] = x[q + 1] ^ d1; z[q + 2] = x[q + 2] ^ d2; z[q + 3] = x[q + 3] ^ d3;
    }
    return result;
  }

  async and(a: WireVector, b: WireVector): Promise<WireVector> {
    this.checkLabels(a, b);
    return this.garbleAnd(a, (start, end) => b.data.subarray(start * 16, end * 16));
  }

  async andBroadcast(planes: WireVector, bits: WireVector): Promise<WireVector> {
    this.checkLabels(planes);
    checkBroadcast(planes, bits);
    return this.garbleAnd(planes, (start, end) => repeatedWires(bits, start, end));
  }

  private readonly comparisonScratch = new RowComparisonScratch();

  lessThanOfRows(rows: WireVector, width: number, first: ArrayLike<number>, second: ArrayLike<number>): Promise<WireVector> {
    this.checkLabels(rows);
    return lessThanOfRows(rows, width, first, second, async (a, b, output) => { await this.garbleAnd(a, (start, end) => b.data.subarray(start * 16, end * 16), output); }, this.comparisonScratch);
  }

  /** AND gates between `a` and the second inputs' labels, which `secondInputs` gives batch by batch, into `result` (a new vector by default). */
  private async garbleAnd(a: WireVector, secondInputs: (start: number, end: number) => Uint8Array, result = WireVector.uninitialized(a.length, 16)): Promise<WireVector> {
    for (let start = 0; start < a.length; start += GATES_PER_BATCH) {
      const end = Math.min(a.length, start + GATES_PER_BATCH);
      const tables = this.writer.reserve((end - start) * 2 * LABEL_BYTES);
      this.garbleAndBatch(a.data.subarray(start * 16, end * 16), secondInputs(start, end), result.data.subarray(start * 16, end * 16), tables);
      if (this.writer.hasFullChunks) await this.writer.flush();
    }
    this.andCount += a.length;
    return result;
  }

  /**
   * Half-gates (Zahur, Rosulek, Evans 2015) for a batch: with pa, pb the permute bits of the 0-labels,
   *   TG = H(A0) ⊕ H(A1) ⊕ pb·Δ,   WG = H(A0) ⊕ pa·TG,
   *   TE = H(B0) ⊕ H(B1) ⊕ A0,     WE = H(B0) ⊕ pb·(TE ⊕ A0),   C0 = WG ⊕ WE,
   * and the table of gate i is TG ‖ TE; gate g hashes A with tweak 2g and B with 2g+1 (SIMD kernels).
   */
  private garbleAndBatch(a0Bytes: Uint8Array, b0Bytes: Uint8Array, outputBytes: Uint8Array, tableBytes: Uint8Array): void {
    this.kernels.garble(a0Bytes, b0Bytes, outputBytes, tableBytes, this.gateIndex);
    this.gateIndex += a0Bytes.length / LABEL_BYTES;
  }

  /**
   * AND with bits the garbler knows (one half-gate): T = H(A0) ⊕ H(A1) ⊕ k·Δ and C0 = H(A0) ⊕ pa·T.
   * The evaluator computes H(A) ⊕ sa·T, which is C0 when a = 0 and C0 ⊕ k·Δ when a = 1.
   */
  async andWithGarblerKnown(a: WireVector, garblerBits: Uint8Array | undefined): Promise<WireVector> {
    this.checkLabels(a);
    if (!garblerBits || garblerBits.length !== a.length) throw new GarblerMisuseError("the garbler needs its clear bits, one per wire");
    const result = WireVector.uninitialized(a.length, 16);
    const d = this.deltaWords;
    for (let start = 0; start < a.length; start += GATES_PER_BATCH) {
      const end = Math.min(a.length, start + GATES_PER_BATCH);
      const gates = end - start;
      const a0Bytes = a.data.subarray(start * 16, end * 16);
      const firstTweak = 2 * this.gateIndex;
      this.gateIndex += gates;
      const hashA0 = this.hash.hash(a0Bytes, firstTweak, 2);
      const hashA1 = this.hash.hash(this.withDelta(a0Bytes), firstTweak, 2);
      const tableBytes = this.writer.reserve(gates * LABEL_BYTES);
      const table = new Uint32Array(tableBytes.buffer, tableBytes.byteOffset, gates * 4);
      const a0 = new Uint32Array(a0Bytes.buffer, a0Bytes.byteOffset, gates * 4);
      const out = new Uint32Array(result.data.buffer, result.data.byteOffset + start * 16, gates * 4);
      for (let i = 0, q = 0; i < gates; i++, q += 4) {
        const pa = -(a0[q] & 1);
        const known = -(garblerBits[start + i] & 1);
        for (let k = 0; k < 4; k++) {
          const tg = hashA0[q + k] ^ hashA1[q + k] ^ (d[k] & known);
          table[q + k] = tg;
          out[q + k] = hashA0[q + k] ^ (tg & pa);
        }
      }
      if (this.writer.hasFullChunks) await this.writer.flush();
    }
    this.andCount += a.length;
    return result;
  }

  private withDelta(labels: Uint8Array): Uint8Array {
    const result = new Uint8Array(labels.length);
    const x = new Uint32Array(labels.buffer, labels.byteOffset, labels.length >>> 2);
    const z = new Uint32Array(result.buffer);
    const d = this.deltaWords;
    const d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3];
    for (let q = 0; q < z.length; q += 4) {
      z[q] = x[q] ^ d0; z[q + 1] = x[q + 1] ^ d1; z[q + 2] = x[q + 2] ^ d2; z[q + 3] = x[q + 3] ^ d3;
    }
    return result;
  }

  /**
   * Writes each wire's decoding bit (the permute bit of its 0-label) into the stream, and takes the values back
   * from the evaluator, which decoded them with its labels.
   */
  async reveal(a: WireVector): Promise<Uint8Array> {
    this.checkLabels(a);
    const channel = this.waitingOnEvaluator().channel;
    const byteCount = Math.ceil(a.length / 8);
    // The decoding bits are the garbler's output shares.
    this.writer.reserve(byteCount).set(packBits(this.outputShare(a)));
    // Not the region's length after this: a flush may hand the sink a chunk that fills its buffer, and a sink
    // that transfers it to another thread leaves every view of it empty.
    await this.writer.flushAll();
    return unpackBits(await channel.receiveExactly(byteCount, "revealed bits"), a.length);
  }

  /** Shares are the permute bits of the 0-labels. */
  sharesOfLanes(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: number): LaneShares {
    // Share wires are this party's shares already; labels give theirs by their permute bits.
    for (const part of parts) if (!isShareWires(part.wires)) this.checkLabels(part.wires);
    return rowsOfParts(parts, lanes);
  }

  /** The garbler draws the first of the two permutations. */
  async shuffleShares(shares: LaneShares): Promise<LaneShares> {
    const { channel } = this.waitingOnEvaluator();
    await this.writer.flushAll();
    this.shuffler ??= SharedRowShuffler.setup(channel, "first");
    return { ...shares, share: await (await this.shuffler).shuffle(shares.share, shares.lanes, shares.rowBytes) };
  }

  async labelsOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): Promise<WireVector> {
    const { inputs } = this.waitingOnEvaluator();
    await this.writer.flushAll();
    return this.inputShared(sharedPlanes(shuffled, first, end, lanes), inputs);
  }

  /** This party's share bits, as they are: the garbler's shares XOR the evaluator's to the values. */
  outputWiresOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): WireVector {
    return new WireVector((end - first) * (lanes ? lanes.length : shuffled.lanes), 1, sharedPlanes(shuffled, first, end, lanes));
  }

  /** The link, before a step that waits on the evaluator (which first needs every table made so far). */
  private waitingOnEvaluator(): GarblerLink {
    if (!this.link) throw new GarblerMisuseError("this garbler has no link to the evaluator: reveals and shuffles need one");
    return this.link;
  }

  /** The garbler's output share of each wire: the permute bit of its 0-label, or the share bit of an output wire. */
  outputShare(a: WireVector): Uint8Array {
    if (a.bytesPerWire === 1) return a.data.slice();
    this.checkLabels(a);
    const shares = new Uint8Array(a.length);
    for (let i = 0; i < a.length; i++) shares[i] = a.data[i * 16] & 1;
    return shares;
  }

  /** Hands the last partial chunk to the sink and ends it. */
  async finish(): Promise<void> {
    await this.writer.flush(true);
  }

  private checkLabels(a: WireVector, b?: WireVector): void {
    if (a.bytesPerWire !== 16 || (b && b.bytesPerWire !== 16)) throw new GarblerMisuseError("the garbler works on 16-byte labels only (share wires, made without OT, cannot enter a gate)");
    if (b) checkSameLength(a, b);
  }
}
