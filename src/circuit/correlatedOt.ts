/** The input hand-off a correlated OT provides for XOR-shared inputs, and an in-process ideal COT for tests. */
import { randomFillSync } from "node:crypto";
import { LABEL_BYTES } from "./wireVector.js";

/**
 * The garbler's side: for `count` bits it receives random 16-byte K_i (the correlation is its Δ).
 * It then sets the 0-label of input bit i to K_i ⊕ sG_i·Δ. The returned bytes belong to the caller, which
 * may turn them into labels in place (they are a whole copy of the inputs).
 */
export interface CorrelatedOtSender {
  sendCorrelated(delta: Uint8Array, count: number): Promise<Uint8Array>;
}

/**
 * The evaluator's side: for choice bits sE_i it receives K_i ⊕ sE_i·Δ, which is exactly the label of the
 * value v_i = sG_i ⊕ sE_i, so no separate garbler-label transfer is needed. The returned bytes belong to
 * the caller, which keeps them as the labels.
 */
export interface CorrelatedOtReceiver {
  receiveCorrelated(choices: Uint8Array): Promise<Uint8Array>;
}

/** K ⊕ choice·Δ for every block: the one formula both the ideal COT and dealers use. */
export function correlate(keys: Uint8Array, choices: Uint8Array, delta: Uint8Array): Uint8Array {
  const labels = keys.slice();
  for (let i = 0; i < choices.length; i++) {
    if (!choices[i]) continue;
    for (let k = 0; k < LABEL_BYTES; k++) labels[i * LABEL_BYTES + k] ^= delta[k];
  }
  return labels;
}

/**
 * The ideal functionality, in one process: a trusted stand-in until the OT extension lands. Calls are
 * matched in order (the n-th send with the n-th receive).
 */
export class IdealCorrelatedOt implements CorrelatedOtSender, CorrelatedOtReceiver {
  private readonly sent: Array<{ delta: Uint8Array; keys: Uint8Array }> = [];
  private readonly waiting: Array<() => void> = [];

  async sendCorrelated(delta: Uint8Array, count: number): Promise<Uint8Array> {
    const keys = new Uint8Array(count * LABEL_BYTES);
    randomFillSync(keys);
    // The ideal functionality keeps its own copy: the caller owns what is returned and may change it.
    this.sent.push({ delta: delta.slice(), keys: keys.slice() });
    this.waiting.shift()?.();
    return keys;
  }

  async receiveCorrelated(choices: Uint8Array): Promise<Uint8Array> {
    while (this.sent.length === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const { delta, keys } = this.sent.shift()!;
    if (keys.length !== choices.length * LABEL_BYTES) throw new RangeError(`COT size mismatch: garbler sent ${keys.length / LABEL_BYTES}, evaluator asked ${choices.length}`);
    return correlate(keys, choices, delta);
  }
}
