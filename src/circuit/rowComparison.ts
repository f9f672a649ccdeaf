/**
 * x < y between rows of a record laid out row by row (planesToRows), read straight from the rows: the ripple of
 * bitVector/compare.ts's lessThan, borrow' = y ⊕ ((x ⊕ borrow) ∧ (y ⊕ borrow)), one AND per plane over all
 * pairs, through three scratch vectors instead of two gathered copies and four new vectors per plane. A
 * shuffle sort's comparisons are many small rounds, where that allocation kept V8 collecting.
 * Only XOR and AND: the same arithmetic on clear bits, the garbler's 0-labels and the evaluator's labels.
 */
import { uninitializedBytes, WireVector } from "./wireVector.js";

/** AND of `a` and `b` written into `output` (all of one length). */
export type AndInto = (a: WireVector, b: WireVector, output: WireVector) => Promise<void>;

/**
 * Buffers one party reuses from one comparison round to the next (a shuffle sort runs thousands): allocating
 * them afresh every round kept V8 collecting. One per backend, as two parties in one process must not share.
 */
export class RowComparisonScratch {
  private readonly buffers: Uint8Array[] = [];

  /** Buffer `slot`, at least `bytes` long, its first `bytes` returned; valid until the next call for the slot. */
  take(slot: number, bytes: number): Uint8Array {
    if ((this.buffers[slot]?.length ?? -1) < bytes) this.buffers[slot] = uninitializedBytes(Math.max(bytes, 2 * (this.buffers[slot]?.length ?? 0)));
    return this.buffers[slot].subarray(0, bytes);
  }
}

/**
 * Wires of one side's copied rows per batch of pairs: the scratch stays tens of megabytes, where a shuffle
 * sort's first level (a quarter of the lanes per round) at pilot scale held gigabytes of it for the whole run.
 */
const COPIED_WIRES_PER_BATCH = 1 << 21;

/** For rows of `width` wires each: the bit rows[first[i]] < rows[second[i]] (unsigned, plane 0 lowest), one per pair. */
export async function lessThanOfRows(rows: WireVector, width: number, first: ArrayLike<number>, second: ArrayLike<number>, andInto: AndInto, scratch: RowComparisonScratch): Promise<WireVector> {
  const count = first.length;
  const size = rows.bytesPerWire;
  if (second.length !== count) throw new RangeError(`${count} first rows and ${second.length} second rows`);
  if (size !== 16 && size !== 1) throw new RangeError("lessThanOfRows needs wires with storage");
  const borrow = WireVector.allocate(count, size);
  if (width === 0) return borrow;
  const pairsPerBatch = Math.max(1, Math.floor(COPIED_WIRES_PER_BATCH / width));
  for (let start = 0; start < count; start += pairsPerBatch) {
    const end = Math.min(count, start + pairsPerBatch);
    const batchBorrow = new WireVector(end - start, size, borrow.data.subarray(start * size, end * size));
    await rippleOfRows(rows, width, subarrayOf(first, start, end), subarrayOf(second, start, end), batchBorrow, andInto, scratch);
  }
  return borrow;
}

/** The pairs [start, end) of a list of lanes, as a view where it is a typed array. */
function subarrayOf(lanes: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  if (start === 0 && end === lanes.length) return lanes;
  return lanes instanceof Int32Array ? lanes.subarray(start, end) : Array.prototype.slice.call(lanes, start, end);
}

/** The ripple over one batch of pairs, its borrows (zero to begin with) written into `borrow`. */
async function rippleOfRows(rows: WireVector, width: number, first: ArrayLike<number>, second: ArrayLike<number>, borrow: WireVector, andInto: AndInto, scratch: RowComparisonScratch): Promise<void> {
  const count = first.length;
  const size = rows.bytesPerWire;
  // Each side's rows copied whole, one block per row: the ripple then reads them from the cache, plane by plane.
  const xs = copyRows(rows, width, first, scratch.take(0, count * width * size)), ys = copyRows(rows, width, second, scratch.take(1, count * width * size));
  const [a, b, product] = [2, 3, 4].map((slot) => new WireVector(count, size, scratch.take(slot, count * size)));
  for (let plane = 0; plane < width; plane++) {
    // a = x ⊕ borrow, b = y ⊕ borrow (the borrow into plane 0 is 0).
    if (size === 16) maskPlaneOfLabels(xs, ys, width, plane, borrow.words(), a.words(), b.words());
    else maskPlaneOfBits(xs, ys, width, plane, borrow.data, a.data, b.data);
    await andInto(a, b, product);
    // borrow' = y ⊕ t = b ⊕ borrow ⊕ t.
    if (size === 16) xorThree(borrow.words(), b.words(), product.words());
    else xorThree(borrow.data, b.data, product.data);
  }
}

/** The given rows (`width` wires each) one after another into `copy`, in the rows' own storage layout. */
function copyRows(rows: WireVector, width: number, lanes: ArrayLike<number>, copy: Uint8Array): Uint8Array {
  const rowBytes = width * rows.bytesPerWire;
  const laneCount = rows.length / width;
  // A view and a set per row measured 7× faster than Buffer's copy, whose argument checks dominate at this size.
  for (let i = 0; i < lanes.length; i++) {
    const lane = lanes[i];
    if (!(lane >= 0 && lane < laneCount)) throw new RangeError(`row ${lane} outside ${laneCount} rows`);
    copy.set(rows.data.subarray(lane * rowBytes, (lane + 1) * rowBytes), i * rowBytes);
  }
  return copy;
}

function maskPlaneOfLabels(xs: Uint8Array, ys: Uint8Array, width: number, plane: number, borrow: Uint32Array, a: Uint32Array, b: Uint32Array): void {
  const x = new Uint32Array(xs.buffer, xs.byteOffset, xs.length >>> 2), y = new Uint32Array(ys.buffer, ys.byteOffset, ys.length >>> 2);
  const stride = width * 4;
  for (let i = 0, at = 0, row = plane * 4; at < borrow.length; i++, at += 4, row += stride) {
    const c0 = borrow[at], c1 = borrow[at + 1], c2 = borrow[at + 2], c3 = borrow[at + 3];
    a[at] = x[row] ^ c0; a[at + 1] = x[row + 1] ^ c1; a[at + 2] = x[row + 2] ^ c2; a[at + 3] = x[row + 3] ^ c3;
    b[at] = y[row] ^ c0; b[at + 1] = y[row + 1] ^ c1; b[at + 2] = y[row + 2] ^ c2; b[at + 3] = y[row + 3] ^ c3;
  }
}

function maskPlaneOfBits(xs: Uint8Array, ys: Uint8Array, width: number, plane: number, borrow: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  for (let i = 0, row = plane; i < borrow.length; i++, row += width) {
    a[i] = xs[row] ^ borrow[i];
    b[i] = ys[row] ^ borrow[i];
  }
}

function xorThree<T extends Uint8Array | Uint32Array>(target: T, b: T, t: T): void {
  for (let w = 0; w < target.length; w++) target[w] ^= b[w] ^ t[w];
}
