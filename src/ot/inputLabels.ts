/**
 * Input hand-off into garbling for XOR-shared inputs v = sG xor sE, one correlated OT per input bit with the
 * evaluator's share bit sE as its choice:
 *   garbler:   0-label of v = K xor sG·Δ
 *   evaluator: its COT output K xor sE·Δ = (K xor sG·Δ) xor v·Δ, exactly the label of v.
 * No separate transfer of garbler labels is needed. Labels are 16-byte blocks, contiguous (n labels = 16n
 * bytes), the gate engine's layout. Share bits are packed (bit i of byte i >> 3, least significant first).
 */
import { BLOCK_BYTES, xorDeltaWhereBitSet } from "./blocks.js";
import { packedByteLength } from "./bits.js";
import type { CorrelatedOtReceiver, CorrelatedOtSender, ExtendOptions } from "./correlatedOt.js";

function checkShareBits(bits: Uint8Array, count: number): void {
  if (bits.length < packedByteLength(count)) throw new RangeError(`need ${count} share bits, got ${bits.length * 8}`);
}

/** Garbler side: returns the 0-labels of the `count` shared input bits. The COT's Δ must be the free-XOR Δ. */
export async function garblerInputLabels(
  sender: CorrelatedOtSender,
  garblerShareBits: Uint8Array,
  count: number,
  options: ExtendOptions = {},
): Promise<Uint8Array> {
  checkShareBits(garblerShareBits, count);
  if ((sender.delta[0] & 1) !== 1) throw new RangeError("the free-XOR Δ must have its point-and-permute (lowest) bit set");
  const zeroLabels = new Uint8Array(count * BLOCK_BYTES);
  await sender.extend(
    count,
    (keys, first, size) => {
      xorDeltaWhereBitSet(keys, garblerShareBits, first, size, sender.delta);
      zeroLabels.set(keys, first * BLOCK_BYTES);
    },
    options,
  );
  return zeroLabels;
}

/** Evaluator side: returns the active labels of the `count` shared input bits. */
export async function evaluatorInputLabels(
  receiver: CorrelatedOtReceiver,
  evaluatorShareBits: Uint8Array,
  count: number,
  options: ExtendOptions = {},
): Promise<Uint8Array> {
  checkShareBits(evaluatorShareBits, count);
  return receiver.extendAll(count, evaluatorShareBits, options);
}
