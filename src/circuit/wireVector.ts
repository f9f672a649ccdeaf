/** A vector of wires stored contiguously: 16-byte labels, one byte per bit, or (for counting) nothing but a length. */

/** Bytes of one garbled-circuit label. */
export const LABEL_BYTES = 16;

/** How a backend stores one wire: 16 for labels, 1 for a clear bit, 0 when only lengths are tracked. */
export type BytesPerWire = 0 | 1 | 16;

/**
 * An immutable vector of wires. Operations never modify a vector they were given, so slices can share storage.
 * Wire `i` occupies bytes `[i·bytesPerWire, (i+1)·bytesPerWire)` of `data`.
 */
export class WireVector {
  constructor(
    readonly length: number,
    readonly bytesPerWire: BytesPerWire,
    readonly data: Uint8Array,
  ) {
    if (data.length !== length * bytesPerWire) throw new RangeError(`wire vector of ${length} wires needs ${length * bytesPerWire} bytes, got ${data.length}`);
  }

  static allocate(length: number, bytesPerWire: BytesPerWire): WireVector {
    return new WireVector(length, bytesPerWire, new Uint8Array(length * bytesPerWire));
  }

  /**
   * Storage that is not zeroed, for a result whose every wire is written before anyone reads it: zeroing
   * made allocation about three times slower, and the engine allocates every gate's output.
   */
  static uninitialized(length: number, bytesPerWire: BytesPerWire): WireVector {
    return new WireVector(length, bytesPerWire, uninitializedBytes(length * bytesPerWire));
  }

  /** The storage as 32-bit words (labels are 4 words); all storage here is allocated 4-byte aligned. */
  words(): Uint32Array {
    return wordsOf(this.data);
  }
}

/** Bytes not zeroed, as a plain Uint8Array over a buffer of their own (a Buffer's `slice` would not copy). */
export function uninitializedBytes(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/** A Uint32Array over the same bytes; copies only if the bytes are not 4-byte aligned. */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  return new Uint32Array(bytes.slice().buffer);
}

function checkSameKind(vectors: readonly WireVector[]): BytesPerWire {
  const kind = vectors[0].bytesPerWire;
  for (const vector of vectors) if (vector.bytesPerWire !== kind) throw new TypeError("wire vectors of different kinds cannot be mixed (labels with share wires, or vectors from different backends)");
  return kind;
}

export function checkSameLength(a: WireVector, b: WireVector): void {
  if (a.length !== b.length) throw new RangeError(`wire vectors differ in length: ${a.length} and ${b.length}`);
  checkSameKind([a, b]);
}

/**
 * Bytes handed over to a vector: kept when they are all of their buffer and 4-byte aligned (as `words`
 * needs), copied when they are a view into a larger buffer, which they would otherwise keep alive.
 */
export function ownedCopy(bytes: Uint8Array): Uint8Array {
  return spansItsBuffer(bytes) ? bytes : bytes.slice();
}

/** Whether the vector is all of its storage, not a view into a larger vector that it would keep alive. */
export function spansItsStorage(vector: WireVector): boolean {
  return spansItsBuffer(vector.data);
}

/** Whether two vectors share any byte of storage (an empty vector shares none). */
export function overlaps(a: WireVector, b: WireVector): boolean {
  if (a.data.buffer !== b.data.buffer || a.data.length === 0 || b.data.length === 0) return false;
  return a.data.byteOffset < b.data.byteOffset + b.data.length && b.data.byteOffset < a.data.byteOffset + a.data.length;
}

function spansItsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

/** Checks that `planes` is a whole number of planes as long as `bits` (see Backend.andBroadcast). */
export function checkBroadcast(planes: WireVector, bits: WireVector): void {
  checkSameKind([planes, bits]);
  if (bits.length === 0 ? planes.length !== 0 : planes.length % bits.length !== 0) {
    throw new RangeError(`a vector of ${planes.length} wires is not a whole number of planes of ${bits.length} wires`);
  }
}

/**
 * The bytes of wires `[start, end)` of `bits` repeated end to end (wire i is `bits[i mod bits.length]`): a view
 * when the range lies within one repetition, else a copy of just that range.
 */
export function repeatedWires(bits: WireVector, start: number, end: number): Uint8Array {
  const size = bits.bytesPerWire;
  const period = bits.length;
  const first = start % period;
  if (first + (end - start) <= period) return bits.data.subarray(first * size, (first + end - start) * size);
  const bytes = uninitializedBytes((end - start) * size);
  for (let written = 0, from = first; written < end - start;) {
    const count = Math.min(period - from, end - start - written);
    bytes.set(bits.data.subarray(from * size, (from + count) * size), written * size);
    written += count;
    from = 0;
  }
  return bytes;
}

/** Wires `[start, end)` as a view that shares storage (free). */
export function sliceWires(vector: WireVector, start: number, end: number = vector.length): WireVector {
  if (start < 0 || end > vector.length || start > end) throw new RangeError(`slice [${start}, ${end}) outside a vector of ${vector.length} wires`);
  const size = vector.bytesPerWire;
  return new WireVector(end - start, size, vector.data.subarray(start * size, end * size));
}

/** The wires of every part one after another (one copy). */
export function concatWires(parts: readonly WireVector[]): WireVector {
  if (parts.length === 0) throw new RangeError("cannot concatenate zero wire vectors");
  const size = checkSameKind(parts);
  let length = 0;
  for (const part of parts) length += part.length;
  const result = WireVector.uninitialized(length, size);
  let offset = 0;
  for (const part of parts) {
    result.data.set(part.data, offset);
    offset += part.data.length;
  }
  return result;
}

/** `result[i] = vector[indices[i]]`: any permutation, selection or repetition of wires. */
export function gatherWires(vector: WireVector, indices: ArrayLike<number>): WireVector {
  const count = indices.length;
  const size = vector.bytesPerWire;
  const result = WireVector.uninitialized(count, size);
  const limit = vector.length;
  if (size === 16) {
    const from = vector.words();
    const to = result.words();
    for (let i = 0; i < count; i++) {
      const index = indices[i];
      if (!(index >= 0 && index < limit)) throw new RangeError(`gather index ${index} outside a vector of ${limit} wires`);
      const source = index * 4;
      const target = i * 4;
      to[target] = from[source];
      to[target + 1] = from[source + 1];
      to[target + 2] = from[source + 2];
      to[target + 3] = from[source + 3];
    }
  } else if (size === 1) {
    const from = vector.data;
    const to = result.data;
    for (let i = 0; i < count; i++) {
      const index = indices[i];
      if (!(index >= 0 && index < limit)) throw new RangeError(`gather index ${index} outside a vector of ${limit} wires`);
      to[i] = from[index];
    }
  } else {
    for (let i = 0; i < count; i++) {
      const index = indices[i];
      if (!(index >= 0 && index < limit)) throw new RangeError(`gather index ${index} outside a vector of ${limit} wires`);
    }
  }
  return result;
}

/** Checks lane indices once for a whole plane-wise gather or scatter, instead of once per wire. */
function checkLanes(lanes: ArrayLike<number>, laneCount: number, what: string): void {
  for (let i = 0; i < lanes.length; i++) {
    const lane = lanes[i];
    if (!(lane >= 0 && lane < laneCount)) throw new RangeError(`${what} lane ${lane} outside ${laneCount} lanes`);
  }
}

function planeLayout(vector: WireVector, width: number): number {
  // Zero planes hold no wires, so any lane index is as good as another.
  if (width === 0) return Number.MAX_SAFE_INTEGER;
  const laneCount = vector.length / width;
  if (!Number.isInteger(laneCount)) throw new RangeError(`${vector.length} wires are not ${width} whole planes`);
  return laneCount;
}

/**
 * For a vector of `width` planes of equal length (plane-major, as BitPlanes lay out an integer per lane):
 * the same lanes picked from every plane, `result[b·n + i] = vector[b·lanes + laneIndices[i]]`. The same as
 * `gatherWires` with width·n indices, built here without them.
 */
export function gatherPlaneLanes(vector: WireVector, width: number, laneIndices: ArrayLike<number>): WireVector {
  return gatherPlaneLanesOfParts([{ wires: vector, width }], laneIndices);
}

/**
 * `gatherPlaneLanes` of several plane-major vectors over the same lanes, their planes one after another in
 * one new vector: a record stored in parts read as one packed record, without a copy per part.
 */
export function gatherPlaneLanesOfParts(parts: ReadonlyArray<{ wires: WireVector; width: number }>, laneIndices: ArrayLike<number>): WireVector {
  const size = checkSameKind(parts.map((part) => part.wires));
  const count = laneIndices.length;
  const result = WireVector.uninitialized(parts.reduce((sum, part) => sum + part.width, 0) * count, size);
  // The lanes are checked once, against the part with the fewest.
  checkLanes(laneIndices, Math.min(...parts.map((part) => planeLayout(part.wires, part.width))), "gather");
  const runs = size === 16 ? laneRuns(laneIndices) : new Int32Array(0);
  let at = 0;
  for (const { wires: vector, width } of parts) {
    const laneCount = planeLayout(vector, width);
    if (size === 16) {
      const from = vector.words();
      const to = result.words();
      for (let bit = 0; bit < width; bit++) copyPlaneLanes(from, bit * laneCount, to, at + bit * count, laneIndices, runs, "gather");
    } else if (size === 1) {
      const from = vector.data;
      const to = result.data;
      for (let bit = 0, target = at; bit < width; bit++) {
        const plane = bit * laneCount;
        for (let i = 0; i < count; i++, target++) to[target] = from[plane + laneIndices[i]];
      }
    }
    at += width * count;
  }
  return result;
}

/** Lanes per block of a transposition: a block's rows stay in cache while each plane's part is written into them. */
const TRANSPOSE_BLOCK_LANES = 256;

/**
 * Planes of `lanes` wires each, row by row: wire lane·k + p of the result is wire `lane` of plane p (k planes).
 * A row then sits in one place, so picking rows at random reads whole rows rather than one wire per plane.
 */
export function planesToRows(planes: readonly WireVector[], lanes: number): WireVector {
  const width = planes.length;
  const size = checkSameKind(planes);
  for (const plane of planes) if (plane.length !== lanes) throw new RangeError(`a plane of ${plane.length} wires among planes of ${lanes} lanes`);
  const result = WireVector.uninitialized(width * lanes, size);
  if (size === 0) return result;
  const words = size / 4 || 0;
  const to = size === 16 ? result.words() : undefined;
  for (let block = 0; block < lanes; block += TRANSPOSE_BLOCK_LANES) {
    const end = Math.min(lanes, block + TRANSPOSE_BLOCK_LANES);
    for (let p = 0; p < width; p++) {
      if (to) {
        const from = planes[p].words();
        for (let lane = block; lane < end; lane++) {
          const source = lane * words, target = (lane * width + p) * words;
          to[target] = from[source]; to[target + 1] = from[source + 1]; to[target + 2] = from[source + 2]; to[target + 3] = from[source + 3];
        }
      } else {
        const from = planes[p].data;
        for (let lane = block; lane < end; lane++) result.data[lane * width + p] = from[lane];
      }
    }
  }
  return result;
}

/** Runs shorter than this copy label by label; longer ones as one block (a memmove). */
const SHORTEST_BLOCK_RUN = 8;

/**
 * Where the indices run consecutively for at least SHORTEST_BLOCK_RUN entries: pairs (first position, length).
 * Sort and scan layers pick lanes in blocks, so most of a large gather or scatter becomes block copies.
 */
function laneRuns(indices: ArrayLike<number>): Int32Array {
  const runs: number[] = [];
  for (let start = 0; start < indices.length;) {
    let end = start + 1;
    while (end < indices.length && indices[end] === indices[end - 1] + 1) end++;
    if (end - start >= SHORTEST_BLOCK_RUN) runs.push(start, end - start);
    start = end;
  }
  return Int32Array.from(runs);
}

/**
 * One plane's lanes, as labels of 4 words: a gather copies `from[fromPlane + indices[i]]` to `to[toPlane + i]`,
 * a scatter `from[fromPlane + i]` to `to[toPlane + indices[i]]`. Runs copy as blocks, the rest label by label.
 */
function copyPlaneLanes(from: Uint32Array, fromPlane: number, to: Uint32Array, toPlane: number, indices: ArrayLike<number>, runs: Int32Array, direction: "gather" | "scatter"): void {
  const gather = direction === "gather";
  let i = 0;
  for (let r = 0; r <= runs.length; r += 2) {
    const runStart = r < runs.length ? runs[r] : indices.length;
    for (; i < runStart; i++) {
      const source = (fromPlane + (gather ? indices[i] : i)) * 4;
      const target = (toPlane + (gather ? i : indices[i])) * 4;
      to[target] = from[source];
      to[target + 1] = from[source + 1];
      to[target + 2] = from[source + 2];
      to[target + 3] = from[source + 3];
    }
    if (r === runs.length) break;
    const length = runs[r + 1];
    const source = (fromPlane + (gather ? indices[i] : i)) * 4;
    to.set(from.subarray(source, source + 4 * length), (toPlane + (gather ? i : indices[i])) * 4);
    i += length;
  }
}

/** A copy of `target` (`width` planes) with lane `laneIndices[i]` of every plane replaced by lane i of `values`. */
export function scatterPlaneLanes(target: WireVector, width: number, laneIndices: ArrayLike<number>, values: WireVector): WireVector {
  const result = new WireVector(target.length, target.bytesPerWire, target.data.slice());
  scatterPlaneLanesInPlace(result, width, laneIndices, values);
  return result;
}

/**
 * As scatterPlaneLanes, but modifying `store`: only for a vector the caller has just made and shared with
 * nobody (a sort layer's output, filled chunk by chunk so that memory stays near one copy of the rows).
 */
export function scatterPlaneLanesInPlace(store: WireVector, width: number, laneIndices: ArrayLike<number>, values: WireVector): void {
  checkSameKind([store, values]);
  const laneCount = planeLayout(store, width);
  const count = laneIndices.length;
  if (values.length !== width * count) throw new RangeError(`scatter of ${values.length} wires into ${width} planes of ${count} lanes`);
  checkLanes(laneIndices, laneCount, "scatter");
  const size = store.bytesPerWire;
  if (size === 16) {
    const from = values.words();
    const to = store.words();
    const runs = laneRuns(laneIndices);
    for (let bit = 0; bit < width; bit++) copyPlaneLanes(from, bit * count, to, bit * laneCount, laneIndices, runs, "scatter");
  } else if (size === 1) {
    for (let bit = 0, source = 0; bit < width; bit++) {
      const plane = bit * laneCount;
      for (let i = 0; i < count; i++, source++) store.data[plane + laneIndices[i]] = values.data[source];
    }
  }
}

/** A copy of `target` with `target[indices[i]] = values[i]`. */
export function scatterWires(target: WireVector, indices: ArrayLike<number>, values: WireVector): WireVector {
  const result = new WireVector(target.length, target.bytesPerWire, target.data.slice());
  scatterWiresInPlace(result, indices, values);
  return result;
}

/**
 * `store[indices[i]] = values[i]`, modifying `store`. Only for a store the caller owns and has never sliced
 * (the Bristol evaluator's wire table), since every other vector is treated as immutable.
 */
export function scatterWiresInPlace(store: WireVector, indices: ArrayLike<number>, values: WireVector): void {
  checkSameKind([store, values]);
  if (indices.length !== values.length) throw new RangeError(`scatter of ${values.length} wires given ${indices.length} indices`);
  const count = indices.length;
  const size = store.bytesPerWire;
  const limit = store.length;
  for (let i = 0; i < count; i++) {
    const index = indices[i];
    if (!(index >= 0 && index < limit)) throw new RangeError(`scatter index ${index} outside a vector of ${limit} wires`);
  }
  if (size === 16) {
    const from = values.words();
    const to = store.words();
    for (let i = 0; i < count; i++) {
      const target = indices[i] * 4;
      const source = i * 4;
      to[target] = from[source];
      to[target + 1] = from[source + 1];
      to[target + 2] = from[source + 2];
      to[target + 3] = from[source + 3];
    }
  } else if (size === 1) {
    for (let i = 0; i < count; i++) store.data[indices[i]] = values.data[i];
  }
}
