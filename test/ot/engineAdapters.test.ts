import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { NetworkCorrelatedOtReceiver, NetworkCorrelatedOtSender } from "../../src/ot/engineAdapters.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";

describe("gate-engine adapters", () => {
  it("serve sendCorrelated / receiveCorrelated with one-byte-per-bit choices over one session", async () => {
    const [left, right] = memoryChannelPair();
    const sender = new NetworkCorrelatedOtSender(left);
    const receiver = new NetworkCorrelatedOtReceiver(right);
    const delta = Uint8Array.from(randomBytes(16));
    delta[0] |= 1;
    for (const count of [100, 37]) {
      const choices = Uint8Array.from(randomBytes(count), (byte) => byte & 1);
      const [keys, labels] = await Promise.all([sender.sendCorrelated(delta, count), receiver.receiveCorrelated(choices)]);
      for (let i = 0; i < count; i++) {
        for (let k = 0; k < 16; k++) expect(labels[16 * i + k]).toBe(keys[16 * i + k] ^ (choices[i] ? delta[k] : 0));
      }
    }
    const otherDelta = delta.slice();
    otherDelta[3] ^= 1;
    await expect(sender.sendCorrelated(otherDelta, 1)).rejects.toThrow(/one Δ/);
    left.destroy();
  });
});
