/**
 * Permute-and-share over an oblivious switching network (Mohassel and Sadeghian, Eurocrypt 2013): the holder
 * has rows X, the permuter a permutation π; afterwards the permuter holds π(X) ⊕ R and the holder R, and
 * neither learns the other's input. The two functions mirror each other.
 *
 * The holder masks every wire of the network, starting with the rows themselves (so the permuter's masked
 * inputs are all zero and nothing needs sending for them). For a switch with input masks (a, b), one random
 * OT with pads (p0, p1) of two rows each sets the output masks to a' = a ⊕ p0ₐ, b' = b ⊕ p0_b: fresh, since
 * p0 is. The permuter, with its switch bit c, needs
 *   c = 0: (a ⊕ a', b ⊕ b') = p0, its own pad, so nothing is sent for it;
 *   c = 1: (b ⊕ a', a ⊕ b'), which the holder sends masked by p1: one message of two rows per switch.
 * The message is uniformly random to a permuter with c = 0 (it lacks p1) and with c = 1 (a' holds p0ₐ, which it
 * lacks), and the holder never sees a switch bit. Rows are whole 32-bit words.
 */
import type { MessageChannel } from "../transport/channel.js";
import { BLOCK_BYTES } from "./blocks.js";
import { packedByteLength } from "./bits.js";
import type { SwitchLayer } from "./permutationNetwork.js";
import type { RandomOtReceiver, RandomOtSender } from "./randomOt.js";

/** Switches per OT chunk: each chunk is one message of 2 rows per switch from the holder. */
const SWITCHES_PER_CHUNK = 1 << 15;
/** OT chunks the permuter runs ahead of the holder's messages. */
const CHUNKS_AHEAD = 4;

function checkRowBytes(rowBytes: number): void {
  if (!Number.isInteger(rowBytes) || rowBytes <= 0 || rowBytes % 4 !== 0) throw new RangeError(`rows must be whole 32-bit words, not ${rowBytes} bytes`);
}

function switchCount(layers: readonly SwitchLayer[]): number {
  return layers.reduce((sum, layer) => sum + layer.low.length, 0);
}

/** A run of switches of one layer: indices [from, to) of its low and high ends; `order` of the first within its chunk. */
interface SwitchRun { low: Int32Array; high: Int32Array; from: number; to: number; order: number }

/** Walks the switches of a network in order, a chunk at a time (chunks arrive in order), as runs within layers. */
class SwitchCursor {
  private layer = 0;
  private index = 0;

  constructor(private readonly layers: readonly SwitchLayer[]) {}

  /** The next `count` switches. */
  next(count: number): SwitchRun[] {
    const runs: SwitchRun[] = [];
    for (let order = 0; order < count;) {
      while (this.index >= this.layers[this.layer].low.length) { this.layer++; this.index = 0; }
      const { low, high } = this.layers[this.layer];
      const to = Math.min(low.length, this.index + count - order);
      runs.push({ low, high, from: this.index, to, order });
      order += to - this.index;
      this.index = to;
    }
    return runs;
  }
}

/**
 * The holder's side: `rows` (rowCount rows of rowBytes bytes) go through the network; returns R, its share of
 * π(rows). The rows buffer becomes the share (it is overwritten in place).
 */
export async function permuteRowsAsHolder(channel: MessageChannel, random: RandomOtSender, layers: readonly SwitchLayer[], rows: Uint8Array, rowBytes: number): Promise<Uint8Array> {
  checkRowBytes(rowBytes);
  const words = rowBytes / 4;
  // The masks of the wires as the network runs: first the rows themselves, last the holder's share.
  const masks = new Int32Array(rows.buffer, rows.byteOffset, rows.length / 4);
  const cursor = new SwitchCursor(layers);
  const padWords = padBlocksFor(rowBytes) * (BLOCK_BYTES / 4);
  await random.extend(switchCount(layers), async (pads0Bytes, pads1Bytes, _first, size) => {
    const pads0 = wordsOf(pads0Bytes), pads1 = wordsOf(pads1Bytes);
    const message = new Int32Array(size * 2 * words);
    for (const { low, high, from, to, order: firstOrder } of cursor.next(size)) {
      for (let index = from, order = firstOrder; index < to; index++, order++) {
        const a = low[index] * words, b = high[index] * words, pad = order * padWords, sent = order * 2 * words;
        for (let k = 0; k < words; k++) {
          const maskA = masks[a + k], maskB = masks[b + k];
          const newA = maskA ^ pads0[pad + k], newB = maskB ^ pads0[pad + words + k];
          message[sent + k] = pads1[pad + k] ^ maskB ^ newA;
          message[sent + words + k] = pads1[pad + words + k] ^ maskA ^ newB;
          masks[a + k] = newA;
          masks[b + k] = newB;
        }
      }
    }
    await channel.send(new Uint8Array(message.buffer));
    channel.flush();
  }, { padBlocks: padBlocksFor(rowBytes), chunkOts: SWITCHES_PER_CHUNK });
  return rows;
}

/**
 * The permuter's side: with the switch bits that route π through `layers` (one byte per switch, per layer),
 * returns π(X) ⊕ R for the holder's rows X and share R.
 */
export async function permuteRowsAsPermuter(channel: MessageChannel, random: RandomOtReceiver, layers: readonly SwitchLayer[], switchBits: readonly Uint8Array[], rowCount: number, rowBytes: number): Promise<Uint8Array> {
  checkRowBytes(rowBytes);
  const words = rowBytes / 4;
  const total = switchCount(layers);
  const choices = new Uint8Array(packedByteLength(total));
  let position = 0;
  for (const bits of switchBits) for (let i = 0; i < bits.length; i++, position++) choices[position >>> 3] |= (bits[i] & 1) << (position & 7);
  if (position !== total) throw new RangeError(`${position} switch bits for a network of ${total} switches`);
  // The holder's masked rows: zero to begin with, since the holder's first masks are the rows themselves.
  const masked = new Int32Array(rowCount * words);
  const cursor = new SwitchCursor(layers);
  const padWords = padBlocksFor(rowBytes) * (BLOCK_BYTES / 4);
  let switchIndex = 0;
  const applyChunk = (pads: Int32Array, message: Int32Array, size: number) => {
    for (const { low, high, from, to, order: firstOrder } of cursor.next(size)) {
      for (let index = from, order = firstOrder; index < to; index++, order++, switchIndex++) {
        const crossed = (choices[switchIndex >>> 3] >>> (switchIndex & 7)) & 1;
        // Straight: the pad is the masks' change. Crossed: the message, unmasked by the pad, and the rows swap.
        const sent = -crossed;
        const a = low[index] * words, b = high[index] * words, pad = order * padWords, chosen = order * 2 * words;
        for (let k = 0; k < words; k++) {
          const first = (message[chosen + k] & sent) ^ pads[pad + k];
          const second = (message[chosen + words + k] & sent) ^ pads[pad + words + k];
          const valueA = masked[a + k], valueB = masked[b + k], swap = (valueA ^ valueB) & sent;
          masked[a + k] = valueA ^ swap ^ first;
          masked[b + k] = valueB ^ swap ^ second;
        }
      }
    }
  };
  // The OT corrections do not depend on the holder's messages, so they go out a few chunks ahead: the holder
  // makes the next chunk's messages while this side applies the last, instead of each waiting every chunk.
  const ready: Array<{ pads: Int32Array; size: number }> = [];
  let wakeApplier: (() => void) | undefined, wakeExtender: (() => void) | undefined;
  const extending = random.extend(total, choices, async (padBytes, _first, size) => {
    ready.push({ pads: wordsOf(padBytes), size });
    wakeApplier?.();
    while (ready.length >= CHUNKS_AHEAD) await new Promise<void>((resolve) => { wakeExtender = resolve; });
  }, { padBlocks: padBlocksFor(rowBytes), chunkOts: SWITCHES_PER_CHUNK });
  const applying = (async () => {
    for (let applied = 0; applied < total;) {
      while (ready.length === 0) await new Promise<void>((resolve) => { wakeApplier = resolve; });
      const { pads, size } = ready.shift()!;
      wakeExtender?.();
      applyChunk(pads, wordsOf(await channel.receiveExactly(size * 2 * rowBytes, "switching network messages")), size);
      applied += size;
    }
  })();
  await Promise.all([extending, applying]);
  return new Uint8Array(masked.buffer);
}

/** Pad blocks per switch: one message is two rows. */
function padBlocksFor(rowBytes: number): number {
  return Math.ceil((2 * rowBytes) / BLOCK_BYTES);
}

/** 32-bit words of a buffer (signed: V8 keeps them small integers, never heap numbers), copied only if it is not aligned. */
function wordsOf(bytes: Uint8Array): Int32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
}
