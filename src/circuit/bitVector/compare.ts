/** Comparisons on bit-planes: < and <= (width ANDs), == and != (width−1 ANDs), unsigned and signed. */
import type { Backend } from "../backend.js";
import type { WireVector } from "../wireVector.js";
import { fromPlanes, plane, type BitPlanes } from "./bitPlanes.js";

function checkShapes(x: BitPlanes, y: BitPlanes): void {
  if (x.width !== y.width || x.lanes !== y.lanes) throw new RangeError(`integers differ in shape: ${x.width}×${x.lanes} and ${y.width}×${y.lanes}`);
}

/**
 * x < y (unsigned), one bit per lane: the borrow out of x − y. The borrow b' = majority(¬x, y, b) is computed
 * with one AND and no NOT (a NOT costs the garbler a pass over the labels) as y ⊕ ((x ⊕ b) ∧ (y ⊕ b)).
 */
export async function lessThan(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  checkShapes(x, y);
  // With b = 0 the first step is y0 ⊕ (x0 ∧ y0).
  const x0 = plane(backend, x, 0);
  const y0 = plane(backend, y, 0);
  let borrow = backend.xor(y0, await backend.and(x0, y0));
  for (let i = 1; i < x.width; i++) {
    const yi = plane(backend, y, i);
    const yb = backend.xor(yi, borrow);
    borrow = backend.xor(yi, await backend.and(backend.xor(plane(backend, x, i), borrow), yb));
  }
  return borrow;
}

/** Two's complement order is unsigned order with the sign bits flipped. */
function flipSign(backend: Backend, x: BitPlanes): BitPlanes {
  const top = (x.width - 1) * x.lanes;
  return {
    wires: backend.concat([backend.slice(x.wires, 0, top), backend.not(backend.slice(x.wires, top))]),
    width: x.width,
    lanes: x.lanes,
  };
}

export function lessThanSigned(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  return lessThan(backend, flipSign(backend, x), flipSign(backend, y));
}

export async function lessOrEqual(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  return backend.not(await lessThan(backend, y, x));
}

export async function lessOrEqualSigned(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  return backend.not(await lessThanSigned(backend, y, x));
}

/** x == y: XNOR every bit, then an AND tree where each level is one call (width−1 ANDs per lane). */
export async function equal(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  checkShapes(x, y);
  let same = { wires: backend.not(backend.xor(x.wires, y.wires)), width: x.width, lanes: x.lanes };
  while (same.width > 1) {
    const half = Math.floor(same.width / 2);
    const left = backend.slice(same.wires, 0, half * same.lanes);
    const right = backend.slice(same.wires, half * same.lanes, 2 * half * same.lanes);
    const paired = await backend.and(left, right);
    const planes = [paired];
    if (same.width % 2 === 1) planes.push(plane(backend, same, same.width - 1));
    same = { ...fromPlanes(backend, planes), width: half + (same.width % 2), lanes: same.lanes };
  }
  return same.wires;
}

export async function notEqual(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<WireVector> {
  return backend.not(await equal(backend, x, y));
}
