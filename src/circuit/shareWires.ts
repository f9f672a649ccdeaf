/**
 * Share wires: one byte per wire holding this party's XOR share bit, not a label. The garbler's and the
 * evaluator's bits XOR to the value. They cost no OT to make (an input's share, a shuffled row's), so no gate
 * can read them, but XOR and NOT work share by share, rewiring moves them, and a shuffle or the result takes
 * them as they are. In the plaintext backend every wire is one byte and holds its value: the same rules hold.
 */
import type { Backend } from "./backend.js";
import { checkSameLength, WireVector } from "./wireVector.js";

export function isShareWires(vector: WireVector): boolean {
  return vector.bytesPerWire === 1;
}

/** `length` zeros of `like`'s kind: a zero's share is 0 for both parties, so share wires take them too. */
export function zerosLike(backend: Backend, like: WireVector, length: number): WireVector {
  return isShareWires(like) ? WireVector.allocate(length, 1) : backend.constant(new Uint8Array(length));
}

/**
 * `wires` in `like`'s kind: labels become share wires by each party's output share (free and local; a public
 * constant's are the garbler's bits and the evaluator's zeros). For a public column beside share wires.
 */
export function inKindOf(backend: Backend, like: WireVector, wires: WireVector): WireVector {
  return isShareWires(like) && !isShareWires(wires) ? new WireVector(wires.length, 1, backend.outputShare(wires)) : wires;
}

/** a XOR b share by share: each party XORs its own shares. */
export function xorShareWires(a: WireVector, b: WireVector): WireVector {
  checkSameLength(a, b);
  const result = WireVector.uninitialized(a.length, 1);
  for (let i = 0; i < a.length; i++) result.data[i] = a.data[i] ^ b.data[i];
  return result;
}

/**
 * NOT a: one party (the garbler, by convention) flips its shares, the other keeps its own, as a copy too: the
 * result may be owned, and written in place, by the operator that asked for it.
 */
export function notShareWires(a: WireVector, flips: boolean): WireVector {
  if (!flips) return new WireVector(a.length, 1, a.data.slice());
  const result = WireVector.uninitialized(a.length, 1);
  for (let i = 0; i < a.length; i++) result.data[i] = a.data[i] ^ 1;
  return result;
}

/**
 * `wires` as share wires: labels give their output shares (free and local). The plaintext backend's wires
 * are one byte each already, and the counting backend's hold nothing: both pass through.
 */
export function toShareWires(backend: Backend, wires: WireVector): WireVector {
  if (backend.kind === "counting" || isShareWires(wires)) return wires;
  return new WireVector(wires.length, 1, backend.outputShare(wires));
}

/**
 * Labels for share wires of `width` planes over `lanes` lanes, so that gates can read them: one correlated
 * OT per wire. Labels pass through. The counting backend cannot tell the kinds apart and counts the OT, so
 * callers take up only what is share wires in a real run.
 */
export async function labelsOfShareWires(backend: Backend, wires: WireVector, width: number, lanes: number): Promise<WireVector> {
  if (backend.kind === "plaintext" || (backend.kind !== "counting" && !isShareWires(wires))) return wires;
  return backend.labelsOfShares(backend.sharesOfLanes([{ wires, width }], lanes), 0, width);
}
