/** Counting set bits over all lanes at once: the popcount of one wide number, a tree of vectorised adders. */
import type { Backend } from "../circuit/backend.js";
import { constantInteger, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { popcount } from "../circuit/bitVector/integer.js";
import type { WireVector } from "../circuit/wireVector.js";

/** The number of set bits among the lanes of one bit, `bitLength(lanes)` bits wide (1 bit for no lanes). */
export async function countSet(backend: Backend, bits: WireVector): Promise<BitPlanes> {
  if (bits.length === 0) return constantInteger(backend, 0n, 1, 1);
  // The lanes of one bit read as the bits of one wide number.
  return popcount(backend, { wires: bits, width: bits.length, lanes: 1 });
}
