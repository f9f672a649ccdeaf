/**
 * Minimum cell count, enforced inside MPC: a cell whose value is from 1 to t−1 is replaced by zero and
 * flagged, so its value never leaves the computation (threat model, invariant 4).
 */
import type { Backend } from "../circuit/backend.js";
import { constantInteger, plane, planeRange, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { equal } from "../circuit/bitVector/compare.js";
import { bitLength } from "../circuit/bitVector/integer.js";
import type { WireVector } from "../circuit/wireVector.js";

/** Per lane: whether the cell is to be suppressed (a value from 1 to t−1), and whether it is zero. Never both. */
export interface SmallCellFlags {
  suppressed: WireVector;
  isZero: WireVector;
}

/**
 * `value` is a signed integer per lane. With t public, the test splits the value at the bits of t−1:
 * 1 ≤ v ≤ t−1 exactly when every higher bit (the sign included) is 0 and the low bits are from 1 to t−1.
 * That costs about width + lg t ANDs per lane, where two signed comparisons and an equality cost three widths.
 */
export async function smallCellFlags(backend: Backend, value: BitPlanes, minCellCount: number): Promise<SmallCellFlags> {
  const zero = (planes: BitPlanes) => (planes.width === 0 ? backend.constant(new Uint8Array(planes.lanes).fill(1)) : equal(backend, planes, constantInteger(backend, 0n, planes.width, planes.lanes)));
  if (minCellCount <= 1) return { suppressed: backend.constant(new Uint8Array(value.lanes)), isZero: await zero(value) };
  const lowWidth = Math.min(bitLength(minCellCount - 1), value.width - 1);
  const low = planeRange(backend, value, 0, lowWidth);
  const highZero = await zero(planeRange(backend, value, lowWidth, value.width));
  const lowZero = await zero(low);
  const lowBelow = await lessThanConstant(backend, low, BigInt(minCellCount));
  return {
    suppressed: await backend.and(highZero, await backend.and(lowBelow, backend.not(lowZero))),
    isZero: await backend.and(highZero, lowZero),
  };
}

/**
 * x < c (unsigned) for a public c, from the lowest bit up: lt = ¬xᵢ ∨ lt where cᵢ = 1, ¬xᵢ ∧ lt where cᵢ = 0.
 * The steps below c's lowest set bit are free, so it costs one AND per bit above it.
 */
export async function lessThanConstant(backend: Backend, x: BitPlanes, c: bigint): Promise<WireVector> {
  if (c >= 1n << BigInt(x.width)) return backend.constant(new Uint8Array(x.lanes).fill(1));
  let lessThan: WireVector | undefined;
  for (let bit = 0; bit < x.width; bit++) {
    const xBit = plane(backend, x, bit);
    const set = ((c >> BigInt(bit)) & 1n) === 1n;
    if (lessThan === undefined) {
      if (set) lessThan = backend.not(xBit);
      continue;
    }
    // ¬x ∨ lt = ¬(x ∧ ¬lt)
    lessThan = set ? backend.not(await backend.and(xBit, backend.not(lessThan))) : await backend.and(backend.not(xBit), lessThan);
  }
  return lessThan ?? backend.constant(new Uint8Array(x.lanes));
}
