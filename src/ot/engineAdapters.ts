/**
 * Adapters from the network COT sessions to the gate engine's input hand-off interface
 * (src/circuit/correlatedOt.ts: `sendCorrelated(delta, count)` / `receiveCorrelated(choices)`, choices one
 * byte per bit). Matched structurally, so src/ot does not depend on src/circuit.
 * The base OTs run once, on the first call; every later call extends the same session.
 */
import type { MessageChannel } from "../transport/channel.js";
import { packBits } from "./bits.js";
import { CorrelatedOtReceiver, CorrelatedOtSender, type ExtendOptions } from "./correlatedOt.js";

export class NetworkCorrelatedOtSender {
  private session: Promise<CorrelatedOtSender> | null = null;

  constructor(
    private readonly channel: MessageChannel,
    private readonly options: ExtendOptions = {},
  ) {}

  /** Returns K_i for `count` OTs; the peer receives K_i xor sE_i·Δ. Δ must stay the same for the session. */
  async sendCorrelated(delta: Uint8Array, count: number): Promise<Uint8Array> {
    this.session ??= CorrelatedOtSender.setup(this.channel, delta);
    const sender = await this.session;
    if (!Buffer.from(sender.delta).equals(Buffer.from(delta))) {
      throw new RangeError("a correlated OT session serves one Δ; start a new session for another");
    }
    return sender.extendAll(count, this.options);
  }
}

export class NetworkCorrelatedOtReceiver {
  private session: Promise<CorrelatedOtReceiver> | null = null;

  constructor(
    private readonly channel: MessageChannel,
    private readonly options: ExtendOptions = {},
  ) {}

  /** `choices` has one byte (0 or 1) per OT; returns K_i xor choice_i·Δ, 16 bytes each. */
  async receiveCorrelated(choices: Uint8Array): Promise<Uint8Array> {
    this.session ??= CorrelatedOtReceiver.setup(this.channel);
    const receiver = await this.session;
    return receiver.extendAll(choices.length, packBits(choices), this.options);
  }
}
