/** Aggregates over all rows of a column, vectorised as a tree: each level is one backend call over half the lanes. */
import type { Backend } from "../circuit/backend.js";
import { broadcast, constantInteger, signExtend, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { add, bitLength, popcount } from "../circuit/bitVector/integer.js";
import type { WireVector } from "../circuit/wireVector.js";

/** The number of set bits among `rows` lanes of one bit, `bitLength(rows)` bits wide. */
export async function countSet(backend: Backend, bits: WireVector): Promise<BitPlanes> {
  if (bits.length === 0) return constantInteger(backend, 0n, 1, 1);
  // The lanes of one bit read as the bits of one wide number.
  return popcount(backend, { wires: bits, width: bits.length, lanes: 1 });
}

/** Zeroes the lanes where `keep` is 0 (one AND per bit). */
export async function maskLanes(backend: Backend, value: BitPlanes, keep: WireVector): Promise<BitPlanes> {
  return { ...value, wires: await backend.and(value.wires, broadcast(backend, keep, value.width)) };
}

/**
 * The sum of all lanes, widened so that it cannot overflow: width + ⌈log2 lanes⌉ bits.
 * Signed values are sign-extended as they grow.
 */
export async function sumLanes(backend: Backend, value: BitPlanes, signed: boolean): Promise<BitPlanes> {
  const extend = signed ? signExtend : zeroExtend;
  if (value.lanes === 0) return constantInteger(backend, 0n, value.width, 1);
  let current = value;
  while (current.lanes > 1) {
    const half = Math.ceil(current.lanes / 2);
    const width = current.width + 1;
    const widened = extend(backend, current, width);
    const left = takeLanes(backend, widened, 0, half, half);
    const right = takeLanes(backend, widened, half, current.lanes, half);
    current = await add(backend, left, right);
  }
  const finalWidth = value.width + bitLength(Math.max(0, value.lanes - 1));
  return extend(backend, current, Math.max(finalWidth, current.width));
}

/** Lanes [start, end) of every plane, padded with zero lanes up to `lanes`. */
function takeLanes(backend: Backend, x: BitPlanes, start: number, end: number, lanes: number): BitPlanes {
  const padding = lanes - (end - start);
  const planes: WireVector[] = [];
  for (let bit = 0; bit < x.width; bit++) {
    planes.push(backend.slice(x.wires, bit * x.lanes + start, bit * x.lanes + end));
    if (padding > 0) planes.push(backend.constant(new Uint8Array(padding)));
  }
  return { wires: backend.concat(planes), width: x.width, lanes };
}
