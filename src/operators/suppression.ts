/**
 * Minimum cell count, enforced inside MPC: a cell whose value is from 1 to t−1 is replaced by zero and
 * flagged, so its value never leaves the computation (threat model, invariant 4).
 */
import type { Backend } from "../circuit/backend.js";
import { constantInteger, signExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { equal, lessThanSigned } from "../circuit/bitVector/compare.js";
import { select } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";

export interface SuppressedCell {
  value: BitPlanes;
  suppressed: WireVector;
}

/** `value` is a signed integer per lane; cells in [1, minCellCount−1] become suppressed zeros. */
export async function suppressSmallCells(backend: Backend, value: BitPlanes, minCellCount: number): Promise<SuppressedCell> {
  // One more bit than either operand needs keeps the signed comparison exact.
  const width = Math.max(value.width, Math.ceil(Math.log2(minCellCount + 1)) + 1);
  const widened = signExtend(backend, value, width);
  const zero = constantInteger(backend, 0n, width, value.lanes);
  const belowThreshold = await lessThanSigned(backend, widened, constantInteger(backend, BigInt(minCellCount), width, value.lanes));
  const isZero = await equal(backend, widened, zero);
  const notPositive = await lessThanSigned(backend, widened, zero);
  // suppressed = below t and not ≤ 0, i.e. below ∧ ¬zero ∧ ¬negative; the last two cannot both hold.
  const suppressed = await backend.and(belowThreshold, backend.not(backend.xor(isZero, notPositive)));
  const masked = await select(backend, suppressed, constantInteger(backend, 0n, value.width, value.lanes), value);
  return { value: masked, suppressed };
}
