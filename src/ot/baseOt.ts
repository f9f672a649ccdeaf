/**
 * Base 1-out-of-2 OT, semi-honest: the "simplest OT" of Chou and Orlandi (2015) over ristretto255.
 *
 * Per batch of up to 128 OTs:
 *   sender:   a random, A = a·G                      → sends A
 *   receiver: b_i random, B_i = b_i·G + c_i·A        → sends all B_i in one message
 *   receiver key  k_i       = H(i, A, B_i, b_i·A)
 *   sender keys   k_i^0     = H(i, A, B_i, a·B_i),  k_i^1 = H(i, A, B_i, a·B_i − a·A)
 * so k_i^{c_i} equals the receiver's key and the other one hides behind the CDH assumption.
 * Ristretto255 is a prime-order group, so no cofactor games; point decoding rejects non-canonical bytes.
 * H is SHA-256 with a domain tag and the OT index (the per-OT tweak), truncated to 16 bytes.
 * All randomness comes from the CSPRNG (node:crypto randomBytes).
 */
import { randomBytes } from "node:crypto";
import { ristretto255 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { MessageChannel } from "../transport/channel.js";
import { ProtocolError } from "../transport/errors.js";
import { BLOCK_BYTES } from "./blocks.js";
import { getBit } from "./bits.js";

const Point = ristretto255.Point;
type RistrettoPoint = InstanceType<typeof Point>;

export const BASE_OT_BATCH = 128;
const POINT_BYTES = 32;
const KEY_DOMAIN = new TextEncoder().encode("catalyst/base-ot/chou-orlandi/ristretto255/v1");

/** A uniformly random non-zero scalar: 64 random bytes reduced modulo the group order (bias below 2^-250). */
export function randomScalar(): bigint {
  const order = Point.Fn.ORDER;
  for (;;) {
    const scalar = BigInt("0x" + randomBytes(64).toString("hex")) % order;
    if (scalar !== 0n) return scalar;
  }
}

/** Decodes a peer's point, turning a bad encoding into a ProtocolError. */
export function decodePoint(bytes: Uint8Array, what: string): RistrettoPoint {
  try {
    return Point.fromBytes(bytes);
  } catch {
    throw new ProtocolError(`base OT: the peer sent an invalid ristretto255 point as ${what}`);
  }
}

/** H(index, A, B, shared point) truncated to a 16-byte key. */
export function deriveBaseOtKey(index: number, senderPoint: Uint8Array, receiverPoint: Uint8Array, sharedPoint: Uint8Array): Uint8Array {
  const input = new Uint8Array(KEY_DOMAIN.length + 4 + 3 * POINT_BYTES);
  input.set(KEY_DOMAIN, 0);
  new DataView(input.buffer).setUint32(KEY_DOMAIN.length, index >>> 0, false);
  let offset = KEY_DOMAIN.length + 4;
  input.set(senderPoint, offset);
  input.set(receiverPoint, (offset += POINT_BYTES));
  input.set(sharedPoint, (offset += POINT_BYTES));
  return sha256(input).subarray(0, BLOCK_BYTES);
}

/** Receiver's message for one batch: B_i = b_i·G + c_i·A. */
export function receiverPoints(senderPoint: RistrettoPoint, choices: readonly number[], secrets: readonly bigint[]): Uint8Array {
  const message = new Uint8Array(choices.length * POINT_BYTES);
  for (let i = 0; i < choices.length; i++) {
    const blinded = Point.BASE.multiply(secrets[i]);
    // Compute both candidates so the work does not depend on the choice bit.
    const candidates = [blinded, blinded.add(senderPoint)];
    message.set(candidates[choices[i] & 1].toBytes(), i * POINT_BYTES);
  }
  return message;
}

/** Receiver's keys for one batch: k_i = H(index_i, A, B_i, b_i·A). */
export function receiverKeys(senderPointBytes: Uint8Array, receiverMessage: Uint8Array, secrets: readonly bigint[], firstIndex: number): Uint8Array {
  const senderPoint = decodePoint(senderPointBytes, "its public point");
  const keys = new Uint8Array(secrets.length * BLOCK_BYTES);
  for (let i = 0; i < secrets.length; i++) {
    const shared = senderPoint.multiply(secrets[i]).toBytes();
    const receiverPoint = receiverMessage.subarray(i * POINT_BYTES, (i + 1) * POINT_BYTES);
    keys.set(deriveBaseOtKey(firstIndex + i, senderPointBytes, receiverPoint, shared), i * BLOCK_BYTES);
  }
  return keys;
}

/** Sender's key pairs for one batch: k^0 = H(.., a·B_i), k^1 = H(.., a·B_i − a·A). */
export function senderKeys(secret: bigint, receiverMessage: Uint8Array, firstIndex: number): { keys0: Uint8Array; keys1: Uint8Array } {
  const senderPoint = Point.BASE.multiply(secret);
  const senderPointBytes = senderPoint.toBytes();
  const secretTimesSenderPoint = senderPoint.multiply(secret);
  const count = receiverMessage.length / POINT_BYTES;
  const keys0 = new Uint8Array(count * BLOCK_BYTES);
  const keys1 = new Uint8Array(count * BLOCK_BYTES);
  for (let i = 0; i < count; i++) {
    const receiverPointBytes = receiverMessage.subarray(i * POINT_BYTES, (i + 1) * POINT_BYTES);
    const shared0 = decodePoint(receiverPointBytes, `receiver point ${i}`).multiply(secret);
    const shared1 = shared0.subtract(secretTimesSenderPoint);
    keys0.set(deriveBaseOtKey(firstIndex + i, senderPointBytes, receiverPointBytes, shared0.toBytes()), i * BLOCK_BYTES);
    keys1.set(deriveBaseOtKey(firstIndex + i, senderPointBytes, receiverPointBytes, shared1.toBytes()), i * BLOCK_BYTES);
  }
  return { keys0, keys1 };
}

/** Sender side over a channel: returns both keys of each of `count` OTs (16 bytes each, contiguous). */
export async function baseOtSend(channel: MessageChannel, count: number): Promise<{ keys0: Uint8Array; keys1: Uint8Array }> {
  const keys0 = new Uint8Array(count * BLOCK_BYTES);
  const keys1 = new Uint8Array(count * BLOCK_BYTES);
  for (let start = 0; start < count; start += BASE_OT_BATCH) {
    const batch = Math.min(BASE_OT_BATCH, count - start);
    const secret = randomScalar();
    await channel.send(Point.BASE.multiply(secret).toBytes());
    channel.flush();
    const message = await channel.receiveExactly(batch * POINT_BYTES, "base OT receiver message");
    const keys = senderKeys(secret, message, start);
    keys0.set(keys.keys0, start * BLOCK_BYTES);
    keys1.set(keys.keys1, start * BLOCK_BYTES);
  }
  return { keys0, keys1 };
}

/** Receiver side over a channel: `choices` packed (bit i = choice of OT i); returns the chosen keys. */
export async function baseOtReceive(channel: MessageChannel, choices: Uint8Array, count: number): Promise<Uint8Array> {
  const keys = new Uint8Array(count * BLOCK_BYTES);
  for (let start = 0; start < count; start += BASE_OT_BATCH) {
    const batch = Math.min(BASE_OT_BATCH, count - start);
    const senderPointBytes = await channel.receiveExactly(POINT_BYTES, "base OT sender point");
    const senderPoint = decodePoint(senderPointBytes, "its public point");
    const batchChoices = Array.from({ length: batch }, (_, i) => getBit(choices, start + i));
    const secrets = Array.from({ length: batch }, () => randomScalar());
    const message = receiverPoints(senderPoint, batchChoices, secrets);
    await channel.send(message);
    channel.flush(); // the peer can start while we derive our keys
    keys.set(receiverKeys(senderPointBytes, message, secrets, start), start * BLOCK_BYTES);
  }
  return keys;
}
