/**
 * Lanes taken out of the circuit as one party's XOR share, row by row: what a shuffle moves (one bit per
 * wire instead of a 16-byte label), and what its wires are made from again afterwards.
 */
import type { WireVector } from "./wireVector.js";

/** One party's share of a record's lanes: row i holds lane i's planes, bit j of the row plane j. */
export interface LaneShares {
  lanes: number;
  planes: number;
  /** Bytes per row: whole 32-bit words (the shuffle XORs rows word by word). */
  rowBytes: number;
  /** Row-major, packed; empty on the counting backend. */
  share: Uint8Array;
}

export function rowBytesFor(planes: number): number {
  return 4 * Math.ceil(planes / 32);
}

/**
 * Rows of the parts' planes (all over the same lanes), one bit per wire: bit 0 of the wire's first byte, which
 * is the clear bit in the plaintext backend and the point-and-permute bit of a label (the garbler's 0-label,
 * the evaluator's held label): together the two parties' shares of the wire.
 */
export function rowsOfParts(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: number): LaneShares {
  const planes = parts.reduce((sum, part) => sum + part.width, 0);
  const rowBytes = rowBytesFor(planes);
  const share = new Uint8Array(lanes * rowBytes);
  let plane = 0;
  for (const part of parts) {
    if (part.wires.length !== part.width * lanes) throw new RangeError(`a part of ${part.width} planes has ${part.wires.length} wires, not ${part.width * lanes}`);
    const { data, bytesPerWire } = part.wires;
    for (let j = 0; j < part.width; j++, plane++) {
      const byte = plane >>> 3, mask = 1 << (plane & 7);
      for (let lane = 0, wire = j * lanes * bytesPerWire; lane < lanes; lane++, wire += bytesPerWire) {
        if (data[wire] & 1) share[lane * rowBytes + byte] |= mask;
      }
    }
  }
  return { lanes, planes, rowBytes, share };
}

/** Rows of `first`'s planes followed by `second`'s, over the same lanes (this party's shares of both). */
export function concatenateLaneShares(first: LaneShares, second: LaneShares): LaneShares {
  if (first.lanes !== second.lanes) throw new RangeError(`shares of ${first.lanes} and of ${second.lanes} lanes`);
  const planes = first.planes + second.planes;
  const rowBytes = rowBytesFor(planes);
  const lanes = first.lanes;
  // Empty shares (the counting backend's) stay empty.
  if (first.share.length === 0 && second.share.length === 0) return { lanes, planes, rowBytes, share: new Uint8Array(0) };
  const share = new Uint8Array(lanes * rowBytes);
  for (let lane = 0; lane < lanes; lane++) {
    const row = lane * rowBytes;
    share.set(first.share.subarray(lane * first.rowBytes, (lane + 1) * first.rowBytes), row);
    for (let plane = 0; plane < second.planes; plane++) {
      const bit = (second.share[lane * second.rowBytes + (plane >>> 3)] >>> (plane & 7)) & 1;
      const at = first.planes + plane;
      share[row + (at >>> 3)] |= bit << (at & 7);
    }
  }
  return { lanes, planes, rowBytes, share };
}

/** Planes [first, end) of the given lanes, plane-major, one byte per bit: the input of a re-made wire vector. */
export function sharedPlanes(shuffled: LaneShares, first: number, end: number, lanes?: ArrayLike<number>): Uint8Array {
  if (first < 0 || end > shuffled.planes || first > end) throw new RangeError(`planes [${first}, ${end}) are outside the ${shuffled.planes} shuffled`);
  const count = lanes ? lanes.length : shuffled.lanes;
  const width = end - first;
  const bits = new Uint8Array(width * count);
  const { share, rowBytes } = shuffled;
  // Lane by lane: each row is read once (one cache line or two), however many planes are taken from it.
  for (let i = 0; i < count; i++) {
    const row = (lanes ? lanes[i] : i) * rowBytes;
    for (let plane = first, out = i; plane < end; plane++, out += count) bits[out] = (share[row + (plane >>> 3)] >>> (plane & 7)) & 1;
  }
  return bits;
}
