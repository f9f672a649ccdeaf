/** The backend that only counts gates and the bytes garbling would send: exact cost estimates, no cryptography. */
import { shuffleTrafficBytes } from "../ot/sharedShuffle.js";
import type { Backend } from "./backend.js";
import { Rewiring } from "./rewiring.js";
import { rowBytesFor, type LaneShares } from "./laneShares.js";
import { LABEL_BYTES, WireVector, checkBroadcast, checkSameLength } from "./wireVector.js";

/** What a program would cost if garbled. */
export interface GateCounts {
  and: number;
  /** ANDs with a garbler-known input: one half-gate each. */
  andWithGarblerKnown: number;
  xor: number;
  not: number;
  /** Garbled-table bytes: 32 per AND, 16 per garbler-known AND (the 16-byte stream header is not counted). */
  tableBytes: number;
  /** Bytes both ways besides the tables and the input OT: revealed bits, shuffles and the OT that re-makes their wires. */
  interactionBytes: number;
  /** Round trips the circuit waits for (reveals and shuffles). */
  rounds: number;
  /** Correlated OTs that re-make wires after shuffles (16 bytes each, evaluator to garbler). */
  reinputOts: number;
}

export class CountingBackend extends Rewiring implements Backend {
  readonly kind = "counting" as const;
  readonly counts: GateCounts = { and: 0, andWithGarblerKnown: 0, xor: 0, not: 0, tableBytes: 0, interactionBytes: 0, rounds: 0, reinputOts: 0 };

  private vectorOf(length: number): WireVector {
    return new WireVector(length, 0, new Uint8Array(0));
  }

  /** Input wires of the given count (their values do not matter here). */
  input(length: number): WireVector {
    return this.vectorOf(length);
  }

  constant(bits: ArrayLike<number>): WireVector {
    return this.vectorOf(bits.length);
  }

  xor(a: WireVector, b: WireVector): WireVector {
    checkSameLength(a, b);
    this.counts.xor += a.length;
    return this.vectorOf(a.length);
  }

  not(a: WireVector): WireVector {
    this.counts.not += a.length;
    return this.vectorOf(a.length);
  }

  async and(a: WireVector, b: WireVector): Promise<WireVector> {
    checkSameLength(a, b);
    this.counts.and += a.length;
    this.counts.tableBytes += 2 * LABEL_BYTES * a.length;
    return this.vectorOf(a.length);
  }

  async andBroadcast(planes: WireVector, bits: WireVector): Promise<WireVector> {
    checkBroadcast(planes, bits);
    return this.and(planes, planes);
  }

  async andWithGarblerKnown(a: WireVector): Promise<WireVector> {
    this.counts.andWithGarblerKnown += a.length;
    this.counts.tableBytes += LABEL_BYTES * a.length;
    return this.vectorOf(a.length);
  }

  async lessThanOfRows(rows: WireVector, width: number, first: ArrayLike<number>): Promise<WireVector> {
    this.counts.and += width * first.length;
    this.counts.tableBytes += 2 * LABEL_BYTES * width * first.length;
    return this.vectorOf(first.length);
  }

  /** No values here: operators that branch on revealed bits simulate an outcome (the cost does not depend on it). */
  async reveal(a: WireVector): Promise<undefined> {
    // The garbler's decoding bits one way, the values the other.
    this.counts.interactionBytes += 2 * Math.ceil(a.length / 8);
    this.counts.rounds++;
    return undefined;
  }

  sharesOfLanes(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: number): LaneShares {
    const planes = parts.reduce((sum, part) => sum + part.width, 0);
    return { lanes, planes, rowBytes: rowBytesFor(planes), share: new Uint8Array(0) };
  }

  async shuffleShares(shares: LaneShares): Promise<LaneShares> {
    this.counts.interactionBytes += shuffleTrafficBytes(shares.lanes, shares.rowBytes);
    this.counts.rounds += 2;
    return shares;
  }

  async labelsOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): Promise<WireVector> {
    const wires = (end - first) * (lanes ? lanes.length : shuffled.lanes);
    this.counts.reinputOts += wires;
    this.counts.interactionBytes += LABEL_BYTES * wires;
    return this.vectorOf(wires);
  }

  /** Free: no OT and no traffic. */
  outputWiresOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): WireVector {
    return this.vectorOf((end - first) * (lanes ? lanes.length : shuffled.lanes));
  }

  outputShare(a: WireVector): Uint8Array {
    return new Uint8Array(a.length);
  }

  async finish(): Promise<void> {}
}
