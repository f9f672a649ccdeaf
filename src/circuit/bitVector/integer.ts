/** Integer arithmetic on bit-planes: ripple add and subtract, negate, multiply, shifts, popcount. */
import type { Backend } from "../backend.js";
import type { WireVector } from "../wireVector.js";
import { broadcast, constantInteger, fromPlanes, plane, planeRange, type BitPlanes } from "./bitPlanes.js";

function checkShapes(x: BitPlanes, y: BitPlanes): void {
  if (x.width !== y.width || x.lanes !== y.lanes) throw new RangeError(`integers differ in shape: ${x.width}×${x.lanes} and ${y.width}×${y.lanes}`);
}

/**
 * Ripple-carry x + y + carryIn with one AND per carry: c' = c ⊕ ((x ⊕ c) ∧ (y ⊕ c)) is the majority of x, y, c.
 * Truncated to `width` bits it needs width−1 ANDs; with the carry out, width.
 */
async function rippleAdd(backend: Backend, x: BitPlanes, y: BitPlanes, carryIn: WireVector, keepCarry: boolean): Promise<BitPlanes> {
  checkShapes(x, y);
  const sums: WireVector[] = [];
  let carry = carryIn;
  for (let i = 0; i < x.width; i++) {
    const xi = plane(backend, x, i);
    const yi = plane(backend, y, i);
    const xc = backend.xor(xi, carry);
    sums.push(backend.xor(xc, yi));
    if (i < x.width - 1 || keepCarry) carry = backend.xor(carry, await backend.and(xc, backend.xor(yi, carry)));
  }
  if (keepCarry) sums.push(carry);
  return fromPlanes(backend, sums);
}

/** x + y modulo 2^width: width−1 ANDs per lane. */
export function add(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<BitPlanes> {
  return rippleAdd(backend, x, y, backend.constant(new Uint8Array(x.lanes)), false);
}

/** x + y with the carry as an extra top bit: width ANDs per lane. */
export function addWithCarry(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<BitPlanes> {
  return rippleAdd(backend, x, y, backend.constant(new Uint8Array(x.lanes)), true);
}

/** x − y modulo 2^width, as x + ¬y + 1: width−1 ANDs per lane. */
export function subtract(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<BitPlanes> {
  return rippleAdd(backend, x, { ...y, wires: backend.not(y.wires) }, backend.constant(new Uint8Array(x.lanes).fill(1)), false);
}

/** −x modulo 2^width. */
export function negate(backend: Backend, x: BitPlanes): Promise<BitPlanes> {
  return subtract(backend, constantInteger(backend, 0n, x.width, x.lanes), x);
}

/**
 * x · y modulo 2^width (the same for signed and unsigned): shift-and-add, where partial product i is one AND
 * call of x's low width−i bits with bit i of y. About width² ANDs per lane.
 */
export async function multiply(backend: Backend, x: BitPlanes, y: BitPlanes): Promise<BitPlanes> {
  checkShapes(x, y);
  const { width, lanes } = x;
  const low = planeRange(backend, x, 0, width);
  let accumulator = { wires: await backend.andBroadcast(low.wires, plane(backend, y, 0)), width, lanes };
  for (let i = 1; i < width; i++) {
    const partial = { wires: await backend.andBroadcast(planeRange(backend, x, 0, width - i).wires, plane(backend, y, i)), width: width - i, lanes };
    const high = await add(backend, planeRange(backend, accumulator, i, width), partial);
    accumulator = { wires: backend.concat([planeRange(backend, accumulator, 0, i).wires, high.wires]), width, lanes };
  }
  return accumulator;
}

/** x << amount for a public amount (free: planes move, zeros enter at the bottom). */
export function shiftLeft(backend: Backend, x: BitPlanes, amount: number): BitPlanes {
  if (amount <= 0) return x;
  if (amount >= x.width) return constantInteger(backend, 0n, x.width, x.lanes);
  const zeros = backend.constant(new Uint8Array(amount * x.lanes));
  return { wires: backend.concat([zeros, planeRange(backend, x, 0, x.width - amount).wires]), width: x.width, lanes: x.lanes };
}

/** x >> amount for a public amount, filling with zeros (unsigned) or copies of the sign bit (signed). */
export function shiftRight(backend: Backend, x: BitPlanes, amount: number, signed = false): BitPlanes {
  if (amount <= 0) return x;
  const fillBit = signed ? plane(backend, x, x.width - 1) : backend.constant(new Uint8Array(x.lanes));
  const kept = Math.max(0, x.width - amount);
  const fill = broadcast(backend, fillBit, x.width - kept);
  const parts = kept > 0 ? [planeRange(backend, x, amount, x.width).wires, fill] : [fill];
  return { wires: backend.concat(parts), width: x.width, lanes: x.lanes };
}

/** Number of bits needed for values 0..max. */
export function bitLength(max: number): number {
  return Math.max(1, Math.ceil(Math.log2(max + 1)));
}

/**
 * The number of set bits of each lane, `bitLength(width)` bits wide. A tree of adders where every level is
 * one vectorised add: the k numbers of a level sit side by side as k·lanes lanes.
 */
export async function popcount(backend: Backend, x: BitPlanes): Promise<BitPlanes> {
  const { lanes } = x;
  const resultWidth = bitLength(x.width);
  // `count` numbers of `width` bits; number j of lane r is lane j·lanes + r.
  let numbers: BitPlanes = { wires: x.wires, width: 1, lanes: x.width * lanes };
  let count = x.width;
  while (count > 1) {
    if (count % 2 === 1) {
      numbers = appendZeroNumber(backend, numbers, lanes);
      count += 1;
    }
    const half = count / 2;
    const left = selectNumbers(backend, numbers, 0, half, lanes);
    const right = selectNumbers(backend, numbers, half, count, lanes);
    // Sums never exceed x.width, so the carry is dropped once the width suffices.
    numbers = left.width + 1 <= resultWidth ? await addWithCarry(backend, left, right) : await add(backend, left, right);
    count = half;
  }
  const width = numbers.width;
  if (width >= resultWidth) return planeRange(backend, numbers, 0, resultWidth);
  return { wires: backend.concat([numbers.wires, backend.constant(new Uint8Array((resultWidth - width) * lanes))]), width: resultWidth, lanes };
}

function selectNumbers(backend: Backend, numbers: BitPlanes, first: number, end: number, lanes: number): BitPlanes {
  const planes: WireVector[] = [];
  for (let i = 0; i < numbers.width; i++) planes.push(backend.slice(plane(backend, numbers, i), first * lanes, end * lanes));
  return fromPlanes(backend, planes);
}

function appendZeroNumber(backend: Backend, numbers: BitPlanes, lanes: number): BitPlanes {
  const zeros = backend.constant(new Uint8Array(lanes));
  const planes: WireVector[] = [];
  for (let i = 0; i < numbers.width; i++) planes.push(backend.concat([plane(backend, numbers, i), zeros]));
  return fromPlanes(backend, planes);
}
