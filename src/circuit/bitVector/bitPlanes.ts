/** Integers of any width, vectorised over rows: `width` bit-planes of `lanes` wires each, in one wire vector. */
import type { Backend } from "../backend.js";
import { zerosLike } from "../shareWires.js";
import type { WireVector } from "../wireVector.js";

/**
 * Plane `i` (bit i, least significant first) holds that bit of every lane, so one backend call works on a
 * whole column: bit i of lane r is wire `i·lanes + r`.
 */
export interface BitPlanes {
  readonly wires: WireVector;
  readonly width: number;
  readonly lanes: number;
}

export function bitPlanes(wires: WireVector, width: number): BitPlanes {
  if (width <= 0 || wires.length % width !== 0) throw new RangeError(`${wires.length} wires do not split into ${width} bit-planes`);
  return { wires, width, lanes: wires.length / width };
}

/** Bit `index` of every lane (a free view). */
export function plane(backend: Backend, x: BitPlanes, index: number): WireVector {
  if (index < 0 || index >= x.width) throw new RangeError(`bit ${index} outside a ${x.width}-bit integer`);
  return backend.slice(x.wires, index * x.lanes, (index + 1) * x.lanes);
}

/** Every plane, lowest first, one free view each. */
export function planeViews(backend: Backend, x: BitPlanes): WireVector[] {
  return Array.from({ length: x.width }, (_, index) => plane(backend, x, index));
}

/** Planes `[start, end)` as a narrower integer (a free view). */
export function planeRange(backend: Backend, x: BitPlanes, start: number, end: number): BitPlanes {
  return { wires: backend.slice(x.wires, start * x.lanes, end * x.lanes), width: end - start, lanes: x.lanes };
}

export function fromPlanes(backend: Backend, planes: readonly WireVector[]): BitPlanes {
  return { wires: backend.concat(planes), width: planes.length, lanes: planes[0].length };
}

/** One bit per lane repeated into `width` planes, to combine it with a whole integer. */
export function broadcast(backend: Backend, bit: WireVector, width: number): WireVector {
  return width === 1 ? bit : backend.concat(new Array<WireVector>(width).fill(bit));
}

/** The same public value in every lane. */
export function constantInteger(backend: Backend, value: bigint, width: number, lanes: number): BitPlanes {
  return { wires: backend.constant(encodeIntegers(new Array<bigint>(lanes).fill(value), width)), width, lanes };
}

export function zeroExtend(backend: Backend, x: BitPlanes, width: number): BitPlanes {
  if (width <= x.width) return planeRange(backend, x, 0, width);
  // Zeros of x's own kind, so share wires widen too.
  return { wires: backend.concat([x.wires, zerosLike(backend, x.wires, (width - x.width) * x.lanes)]), width, lanes: x.lanes };
}

export function signExtend(backend: Backend, x: BitPlanes, width: number): BitPlanes {
  if (width <= x.width) return planeRange(backend, x, 0, width);
  return { wires: backend.concat([x.wires, broadcast(backend, plane(backend, x, x.width - 1), width - x.width)]), width, lanes: x.lanes };
}

/** Clear values to plane-major bits (two's complement modulo 2^width), as backends take them. */
export function encodeIntegers(values: readonly bigint[], width: number): Uint8Array {
  const lanes = values.length;
  const bits = new Uint8Array(width * lanes);
  for (let r = 0; r < lanes; r++) {
    let value = BigInt.asUintN(width, values[r]);
    for (let i = 0; i < width && value !== 0n; i++, value >>= 1n) bits[i * lanes + r] = Number(value & 1n);
  }
  return bits;
}

export function decodeUnsigned(bits: Uint8Array, width: number): bigint[] {
  const lanes = bits.length / width;
  const values: bigint[] = [];
  for (let r = 0; r < lanes; r++) {
    let value = 0n;
    for (let i = width - 1; i >= 0; i--) value = (value << 1n) | BigInt(bits[i * lanes + r] & 1);
    values.push(value);
  }
  return values;
}

export function decodeSigned(bits: Uint8Array, width: number): bigint[] {
  return decodeUnsigned(bits, width).map((value) => BigInt.asIntN(width, value));
}
