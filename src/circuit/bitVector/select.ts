/** Multiplexers and conditional swaps on bit-planes: one AND per bit. */
import type { Backend } from "../backend.js";
import type { WireVector } from "../wireVector.js";
import type { BitPlanes } from "./bitPlanes.js";

function checkShapes(x: BitPlanes, y: BitPlanes, condition: WireVector): void {
  if (x.width !== y.width || x.lanes !== y.lanes) throw new RangeError(`integers differ in shape: ${x.width}×${x.lanes} and ${y.width}×${y.lanes}`);
  if (condition.length !== x.lanes) throw new RangeError(`condition has ${condition.length} lanes, the integers ${x.lanes}`);
}

/** condition ? whenTrue : whenFalse per lane, as whenFalse ⊕ (condition ∧ (whenTrue ⊕ whenFalse)). */
export async function select(backend: Backend, condition: WireVector, whenTrue: BitPlanes, whenFalse: BitPlanes): Promise<BitPlanes> {
  checkShapes(whenTrue, whenFalse, condition);
  const difference = await backend.andBroadcast(backend.xor(whenTrue.wires, whenFalse.wires), condition);
  return { ...whenFalse, wires: backend.xor(whenFalse.wires, difference) };
}

/** Swaps x and y in the lanes where `condition` is 1: d = c ∧ (x ⊕ y); x ⊕= d; y ⊕= d. */
export async function conditionalSwap(backend: Backend, condition: WireVector, x: BitPlanes, y: BitPlanes): Promise<[BitPlanes, BitPlanes]> {
  checkShapes(x, y, condition);
  const difference = await backend.andBroadcast(backend.xor(x.wires, y.wires), condition);
  return [{ ...x, wires: backend.xor(x.wires, difference) }, { ...y, wires: backend.xor(y.wires, difference) }];
}
