import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { ristretto255 } from "@noble/curves/ed25519.js";
import {
  baseOtReceive,
  baseOtSend,
  deriveBaseOtKey,
  randomScalar,
  receiverKeys,
  receiverPoints,
  senderKeys,
} from "../../src/ot/baseOt.js";
import { getBit } from "../../src/ot/bits.js";
import { ProtocolError } from "../../src/transport/errors.js";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";

const Point = ristretto255.Point;
const order = Point.Fn.ORDER;
const block = (bytes: Uint8Array, i: number): string => Buffer.from(bytes.subarray(16 * i, 16 * i + 16)).toString("hex");
const modOrder = (value: bigint): bigint => ((value % order) + order) % order;

describe("base OT (Chou–Orlandi over ristretto255)", () => {
  it("gives the receiver exactly the chosen key of each pair, over a channel, in batches", async () => {
    const count = 300; // three batches: 128, 128, 44
    const choices = Uint8Array.from(randomBytes(Math.ceil(count / 8)));
    const [senderChannel, receiverChannel] = memoryChannelPair();
    const [{ keys0, keys1 }, received] = await Promise.all([baseOtSend(senderChannel, count), baseOtReceive(receiverChannel, choices, count)]);
    for (let i = 0; i < count; i++) {
      const chosen = getBit(choices, i) ? keys1 : keys0;
      const other = getBit(choices, i) ? keys0 : keys1;
      expect(block(received, i)).toBe(block(chosen, i));
      expect(block(received, i)).not.toBe(block(other, i));
    }
    // One point from the sender and one 32-byte point per OT from the receiver, per batch of 128.
    expect(senderChannel.counters().bytesSent).toBe(3 * (4 + 32));
    expect(senderChannel.counters().bytesReceived).toBe(3 * 4 + count * 32);
    senderChannel.destroy();
  });

  it("matches an independent recomputation of the algebra with scalar arithmetic", () => {
    // With A = a·G and B = b·G + c·A = (b + c·a)·G, the shared points are multiples of G by known scalars:
    //   receiver b·A = ab·G;  sender a·B = (ab + c·a²)·G  and  a·B − a·A = (ab + (c − 1)·a²)·G.
    const a = randomScalar();
    const secrets = [randomScalar(), randomScalar(), randomScalar(), randomScalar()];
    const choices = [0, 1, 1, 0];
    const senderPointBytes = Point.BASE.multiply(a).toBytes();
    const message = receiverPoints(Point.fromBytes(senderPointBytes), choices, secrets);
    const { keys0, keys1 } = senderKeys(a, message, 10);
    const received = receiverKeys(senderPointBytes, message, secrets, 10);
    choices.forEach((choice, i) => {
      const b = secrets[i];
      const receiverPoint = message.subarray(32 * i, 32 * i + 32);
      expect(Buffer.from(receiverPoint).equals(Buffer.from(Point.BASE.multiply(modOrder(b + BigInt(choice) * a)).toBytes()))).toBe(true);
      const expectedKey = (scalar: bigint): string =>
        Buffer.from(deriveBaseOtKey(10 + i, senderPointBytes, receiverPoint, Point.BASE.multiply(modOrder(scalar)).toBytes())).toString("hex");
      expect(block(received, i)).toBe(expectedKey(a * b));
      expect(block(keys0, i)).toBe(expectedKey(a * b + BigInt(choice) * a * a));
      expect(block(keys1, i)).toBe(expectedKey(a * b + BigInt(choice - 1) * a * a));
    });
  });

  it("rejects an invalid point from the peer", () => {
    const bogus = new Uint8Array(32).fill(0xff);
    expect(() => senderKeys(randomScalar(), bogus, 0)).toThrow(ProtocolError);
  });
});
