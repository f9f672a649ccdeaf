/**
 * Two connected in-memory channels, for running both parties in one process (tests, the in-process
 * engine). Node's duplexPair does not tell one side when the other is destroyed, so the pair is
 * cross-linked: destroying either end closes the other, as a dropped TCP connection would.
 */
import { duplexPair, type Duplex } from "node:stream";
import type { ChannelOptions } from "./channel.js";
import { StreamChannel } from "./streamChannel.js";

export function memoryDuplexPair(): [Duplex, Duplex] {
  const [left, right] = duplexPair();
  left.once("close", () => right.destroy());
  right.once("close", () => left.destroy());
  return [left, right];
}

export function memoryChannelPair(options: ChannelOptions = {}): [StreamChannel, StreamChannel] {
  const [left, right] = memoryDuplexPair();
  return [
    new StreamChannel(left, { ...options, label: `${options.label ?? "memory"} (left)` }),
    new StreamChannel(right, { ...options, label: `${options.label ?? "memory"} (right)` }),
  ];
}
