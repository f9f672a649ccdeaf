/** The backend that computes in the clear, one byte per bit: reference semantics for tests and verify mode. */
import { randomPermutation } from "../ot/permutationNetwork.js";
import { permuteRows } from "../ot/sharedShuffle.js";
import type { Backend } from "./backend.js";
import { Rewiring } from "./rewiring.js";
import { lessThanOfRows, RowComparisonScratch } from "./rowComparison.js";
import { rowsOfParts, sharedPlanes, type LaneShares } from "./laneShares.js";
import { WireVector, checkBroadcast, checkSameLength } from "./wireVector.js";

export class PlaintextBackend extends Rewiring implements Backend {
  readonly kind = "plaintext" as const;

  /** Wires carrying the given clear bits (any non-zero byte counts as 1). */
  input(bits: ArrayLike<number>): WireVector {
    return this.constant(bits);
  }

  constant(bits: ArrayLike<number>): WireVector {
    const vector = WireVector.allocate(bits.length, 1);
    for (let i = 0; i < bits.length; i++) vector.data[i] = bits[i] ? 1 : 0;
    return vector;
  }

  xor(a: WireVector, b: WireVector): WireVector {
    checkSameLength(a, b);
    const result = WireVector.allocate(a.length, 1);
    for (let i = 0; i < a.length; i++) result.data[i] = a.data[i] ^ b.data[i];
    return result;
  }

  not(a: WireVector): WireVector {
    const result = WireVector.allocate(a.length, 1);
    for (let i = 0; i < a.length; i++) result.data[i] = a.data[i] ^ 1;
    return result;
  }

  async and(a: WireVector, b: WireVector): Promise<WireVector> {
    checkSameLength(a, b);
    const result = WireVector.allocate(a.length, 1);
    for (let i = 0; i < a.length; i++) result.data[i] = a.data[i] & b.data[i];
    return result;
  }

  async andBroadcast(planes: WireVector, bits: WireVector): Promise<WireVector> {
    checkBroadcast(planes, bits);
    const result = WireVector.allocate(planes.length, 1);
    const period = bits.length;
    for (let i = 0, j = 0; i < planes.length; i++, j = j + 1 === period ? 0 : j + 1) result.data[i] = planes.data[i] & bits.data[j];
    return result;
  }

  async andWithGarblerKnown(a: WireVector, garblerBits: Uint8Array | undefined): Promise<WireVector> {
    if (!garblerBits || garblerBits.length !== a.length) throw new RangeError("the plaintext backend needs the garbler's clear bits, one per wire");
    return this.and(a, this.constant(garblerBits));
  }

  private readonly comparisonScratch = new RowComparisonScratch();

  lessThanOfRows(rows: WireVector, width: number, first: ArrayLike<number>, second: ArrayLike<number>): Promise<WireVector> {
    return lessThanOfRows(rows, width, first, second, async (a, b, output) => { for (let i = 0; i < a.length; i++) output.data[i] = a.data[i] & b.data[i]; }, this.comparisonScratch);
  }

  async reveal(a: WireVector): Promise<Uint8Array> {
    return a.data.slice();
  }

  /** The clear rows in a random order (the "share" is the value itself). */
  sharesOfLanes(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: number): LaneShares {
    return rowsOfParts(parts, lanes);
  }

  async shuffleShares(shares: LaneShares): Promise<LaneShares> {
    return { ...shares, share: permuteRows(shares.share, randomPermutation(shares.lanes), shares.rowBytes) };
  }

  async labelsOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): Promise<WireVector> {
    return new WireVector((end - first) * (lanes ? lanes.length : shuffled.lanes), 1, sharedPlanes(shuffled, first, end, lanes));
  }

  /** The clear bits: the plaintext backend's wires hold values, and its "shares" are the values. */
  outputWiresOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): WireVector {
    return new WireVector((end - first) * (lanes ? lanes.length : shuffled.lanes), 1, sharedPlanes(shuffled, first, end, lanes));
  }

  outputShare(a: WireVector): Uint8Array {
    return a.data.slice();
  }

  async finish(): Promise<void> {}
}
