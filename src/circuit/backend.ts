/** The one interface every circuit program is written against: plaintext, counting, garbler and evaluator. */
import type { LaneShares } from "./laneShares.js";
import type { WireVector } from "./wireVector.js";

/**
 * Operations act on whole vectors so that one call processes thousands of wires. XOR and NOT are free
 * (synchronous, no communication); AND is one batched garbling step and may wait for the table stream.
 */
export interface Backend {
  /** "plaintext", "counting", "garbler" or "evaluator". */
  readonly kind: BackendKind;

  /** Public constant wires, one per entry of `bits` (0 or 1). Both parties know them. */
  constant(bits: ArrayLike<number>): WireVector;
  xor(a: WireVector, b: WireVector): WireVector;
  not(a: WireVector): WireVector;
  /** Element-wise AND: one half-gates pair (32 bytes) per wire, all hashed in a few batched AES calls. */
  and(a: WireVector, b: WireVector): Promise<WireVector>;
  /**
   * AND of every plane of `planes` (a whole number of `bits.length` wires each) with the same `bits`: the gates
   * of `and` with `bits` repeated once per plane, without that copy, which for a masked column is as large as
   * the column itself.
   */
  andBroadcast(planes: WireVector, bits: WireVector): Promise<WireVector>;
  /**
   * Element-wise AND with bits the garbler knows in the clear (one half-gate, 16 bytes per wire), for example
   * the switches of a permutation network it chose. The garbler and the plaintext backend need `garblerBits`;
   * the evaluator and the counting backend receive `undefined` and ignore it.
   */
  andWithGarblerKnown(a: WireVector, garblerBits: Uint8Array | undefined): Promise<WireVector>;

  slice(a: WireVector, start: number, end?: number): WireVector;
  concat(parts: readonly WireVector[]): WireVector;
  gather(a: WireVector, indices: ArrayLike<number>): WireVector;
  /** A copy of `target` with `target[indices[i]] = values[i]`. */
  scatter(target: WireVector, indices: ArrayLike<number>, values: WireVector): WireVector;
  /** For `width` equal planes (one integer per lane, plane-major): the same lanes picked from every plane. */
  gatherLanes(a: WireVector, width: number, lanes: ArrayLike<number>): WireVector;
  /** gatherLanes of several plane-major vectors over the same lanes, their planes one after another in one vector. */
  gatherLanesOfParts(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: ArrayLike<number>): WireVector;
  /**
   * Planes of `lanes` wires laid out row by row (wire lane·k + p is lane `lane` of plane p): for picking rows at
   * random many times (revealed comparisons), where reading one wire from each of k large planes would miss the
   * cache k times per row.
   */
  planesToRows(planes: readonly WireVector[], lanes: number): WireVector;
  /**
   * rows[first[i]] < rows[second[i]] for a row-by-row record of `width`-bit unsigned integers (plane 0 lowest): the
   * gates of lessThan on the gathered rows (`width` ANDs per pair), without gathering them.
   */
  lessThanOfRows(rows: WireVector, width: number, first: ArrayLike<number>, second: ArrayLike<number>): Promise<WireVector>;
  /** For `width` equal planes: a copy of `target` with lane `lanes[i]` of every plane set from lane i of `values`. */
  scatterLanes(target: WireVector, width: number, lanes: ArrayLike<number>, values: WireVector): WireVector;
  /** As scatterLanes, but writing into `store`, which must be a fresh vector that nothing else refers to yet. */
  scatterLanesInPlace(store: WireVector, width: number, lanes: ArrayLike<number>, values: WireVector): void;

  /**
   * Reveals each wire's value to both parties, one byte per wire. Only for values that say nothing about the
   * data, such as comparisons between distinct rows after a shuffle (operators/shuffleSort.ts). One round trip
   * between the parties; the counting backend holds no values and returns undefined.
   */
  reveal(a: WireVector): Promise<Uint8Array | undefined>;
  /**
   * This party's XOR shares of a record's lanes (parts of `width` planes over `lanes` lanes), row by row: one
   * bit per wire instead of a label. The parts' wires may go as soon as this returns, before any shuffle. Parts
   * may be share wires (shareWires.ts), which are this party's shares already.
   */
  sharesOfLanes(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: number): LaneShares;
  /**
   * The rows of `shares` shuffled by a permutation neither party knows (sharedShuffle.ts in src/ot), as fresh
   * shares; both parties call it at the same point. `labelsOfShares` makes wires of them again.
   */
  shuffleShares(shares: LaneShares): Promise<LaneShares>;
  /** Wires for planes [first, end) of shared lanes, taking the lanes in the given public order (all, by default): one correlated OT per wire. */
  labelsOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): Promise<WireVector>;
  /**
   * Planes [first, end) of shared lanes as share wires (shareWires.ts), holding only this party's share bit: no
   * OT, so no gate can read them, but rewiring, XOR and NOT work on them and `outputShare` gives the share back.
   * For rows that leave as result shares straight after a shuffle, or wait as shares until a gate needs them;
   * `lanes` takes the lanes in that public order, as in `labelsOfShares`.
   */
  outputWiresOfShares(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): WireVector;

  /**
   * This party's share of each wire's value, one byte (0 or 1) per wire. The garbler's and evaluator's
   * shares XOR to the value; the plaintext backend returns the value itself; nothing is ever decoded.
   */
  outputShare(a: WireVector): Uint8Array;

  /** Waits until everything produced so far has been handed to the sink (garbler) or consumed (evaluator). */
  finish(): Promise<void>;
}

export type BackendKind = "plaintext" | "counting" | "garbler" | "evaluator";

/** A circuit program: written once, run on any backend. */
export type CircuitProgram = (backend: Backend, inputs: WireVector[]) => Promise<WireVector[]>;
