/**
 * Sorting by shuffling first and then comparing in the open (Hamada et al. 2012; as in Secrecy and ORQ): the
 * rows leave the circuit as shares, are shuffled by a permutation neither party knows (sharedShuffle.ts),
 * come back as fresh wires, and are merge-sorted by comparisons whose outcomes both parties see. The keys are
 * made distinct by the lane index below them, so every outcome is that of a uniformly random order and says
 * nothing about the data; the order found is then applied by relabelling wires, which costs nothing. A
 * comparison costs the key's width in ANDs, where a sorting network also pays a conditional swap of the
 * whole row per comparator.
 *
 * A key already distinct among each source's valid lanes (a partner's pushed-down partial aggregates are one
 * row per group) needs only the source's few bits below it, not the lane index's lg n: invalid lanes, whose
 * keys may repeat, take the lane index in place of their key instead (see distinctKeyShares).
 */
import type { Backend } from "../circuit/backend.js";
import { bitLength } from "../circuit/bitVector/integer.js";
import { concatenateLaneShares, rowBytesFor, type LaneShares } from "../circuit/laneShares.js";
import { WireVector } from "../circuit/wireVector.js";
import { shuffleTrafficBytes } from "../ot/sharedShuffle.js";
import { laneRange, lanesPerChunk } from "./chunks.js";
import { collectGarbage } from "./garbageCollection.js";
import { receive, type Given } from "./handOver.js";
import { partsWidth, relationParts } from "./recordParts.js";
import type { Relation } from "./relation.js";
import { revealedMergeSort, revealedMergeSortCost } from "./revealedMergeSort.js";
import { planeViews, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";

/** A sort key's planes, lowest first, read off the rows for free (views and NOTs, see orderKeyPlanes). */
export type KeyPlanesOf = (rows: Relation) => WireVector[];

/**
 * A public source label per lane, given when a sort key is distinct among each source's valid lanes (a
 * partner's upload of pushed-down partials, say). `everyLaneValid` when no source has dummy rows (uploads
 * passed on whole): the key then needs no masking at all.
 */
export interface DistinctKeySources {
  sourceOfLane: Int32Array;
  everyLaneValid: boolean;
}

/** What a shuffle sort orders by: the planes, and which columns (besides `valid`) they read. */
export interface ShuffleSortKey {
  /** Only these columns (and `valid`) get wires before the sort; reading any other column would fail. */
  columns: readonly number[];
  planesOf: KeyPlanesOf;
  /**
   * Set when the key is distinct among the valid lanes of each source, a public label per lane (a partner's
   * upload of pushed-down partials, say): `valuePlanesOf` reads the key without a validity plane, and the rows'
   * own `valid` goes on top, so invalid lanes sort last (no plane at all when every lane is valid).
   */
  distinct?: DistinctKeySources & { valuePlanesOf: KeyPlanesOf };
}

/** Bits of the lane index that make keys distinct. */
function tieBreakWidth(lanes: number): number {
  return Math.max(1, bitLength(lanes - 1));
}

/** Each lane's own index, as public planes (lowest first). */
function laneIndexPlanes(backend: Backend, lanes: number, width: number): WireVector {
  const bits = new Uint8Array(width * lanes);
  for (let plane = 0; plane < width; plane++) for (let lane = 0; lane < lanes; lane++) bits[plane * lanes + lane] = (lane >>> plane) & 1;
  return backend.constant(bits);
}

/** Wires per chunk of the key's rows (tests make it small): large, since each chunk's parts cost an OT round trip apiece. */
const KEY_ROWS_CHUNK_WIRES = 1 << 23;

/**
 * Sorts the lanes of `input` ascending by the key `key.planesOf` reads, ties kept in lane order (the lane index
 * is the key's last part). It takes the rows: their wires go once shared. The key's parts are made wires in the
 * shuffled order for the comparisons only (revealedOrder); once the order is known, every part is made straight
 * in it from the shares (rows of bits, cheap to move): the key's as labels, the others as labels or, with
 * `restAsShareWires`, as share wires (no OT; the caller takes them up when a gate needs them). Each part is in
 * storage of its own.
 */
export async function shuffleSortRelation(backend: Backend, input: Given<Relation>, key: ShuffleSortKey, { restAsShareWires = false, keyRowsChunkWires = KEY_ROWS_CHUNK_WIRES } = {}): Promise<Relation> {
  if (key.distinct) return shuffleSortDistinct(backend, receive(input), key, restAsShareWires);
  const shuffled = await shuffleWithTie(backend, sharesOfRelation(backend, receive(input), key.columns));
  const { lanes, unpack, layout, starts, keyParts } = shuffled;
  const order = await revealedOrder(backend, shuffled, key.planesOf, keyRowsChunkWires);
  // The key's rows, laid out for the comparisons, are garbage now.
  collectGarbage(lanes * (shuffled.keyWidth + shuffled.tieWidth));
  // The order is public: each part is made in it from the shares, the key's parts as labels again.
  const parts: BitPlanes[] = [];
  for (const [index, part] of layout.entries()) parts.push({ ...part, wires: await partInOrder(backend, shuffled.shares, starts[index], starts[index] + part.width, order, restAsShareWires && !keyParts.has(index)) });
  return { ...unpack(parts), ownsStorage: true };
}

/** Planes [first, end) of the shuffled shares in `order`: labels (one OT per wire), or share wires (free). */
function partInOrder(backend: Backend, shares: LaneShares, first: number, end: number, order: Int32Array, asShareWires: boolean): Promise<WireVector> | WireVector {
  return asShareWires ? backend.outputWiresOfShares(shares, first, end, order) : backend.labelsOfShares(shares, first, end, order);
}

/**
 * The rows of `input` in an order neither party knows, as fresh wires: where no order is asked for, this
 * hides which lanes were dummies or where groups ended as well as a sort would, for the shuffle alone. Takes
 * the rows. With `outputOnly` the rows go straight into the result shares: their wires are this party's shares
 * as they are (`outputWiresOfShares`), which saves an OT per wire but lets no gate read them.
 */
export async function shuffleRelation(backend: Backend, input: Given<Relation>, { outputOnly = false } = {}): Promise<Relation> {
  const taken = sharesOfRelation(backend, receive(input), []);
  // The rows' wires are garbage now (the shares hold the rows): free them before the networks run.
  collectGarbage(taken.lanes * taken.shares.planes);
  const shares = await backend.shuffleShares(taken.shares);
  const parts: BitPlanes[] = [];
  for (const [index, part] of taken.layout.entries()) {
    const [first, end] = [taken.starts[index], taken.starts[index] + part.width];
    parts.push({ ...part, wires: outputOnly ? backend.outputWiresOfShares(shares, first, end) : await backend.labelsOfShares(shares, first, end) });
  }
  return { ...taken.unpack(parts), ownsStorage: true };
}

/**
 * `shuffleSortRelation` for a key distinct within sources: the key's shares (see distinctKeyShares) are
 * shuffled with the rows, made into wires alone for the comparisons, and every part of the rows is made
 * straight in the sorted order. Takes the rows.
 */
async function shuffleSortDistinct(backend: Backend, relation: Relation, key: ShuffleSortKey, restAsShareWires: boolean): Promise<Relation> {
  const distinct = key.distinct!;
  // The rows' shares first, so that only the key's and validity's labels stand while the key is masked.
  const keyPlanes = distinct.valuePlanesOf(relation);
  const valid = relation.valid;
  const taken = sharesOfRelation(backend, relation, key.columns);
  relation = undefined as never;
  collectGarbage(taken.lanes * taken.shares.planes);
  const keyShares = await distinctKeyShares(backend, keyPlanes.splice(0), valid, distinct);
  const { lanes, layout, starts } = taken;
  // The key columns' labels, and the masking's temporaries, are garbage now.
  collectGarbage(lanes * keyShares.planes);
  const shares = await backend.shuffleShares(concatenateLaneShares(taken.shares, keyShares));
  const order = await orderOfSharedKey(backend, shares, taken.shares.planes, keyShares.planes);
  // The key's labels and rows are garbage now: freed before the rows' wires are made in order.
  collectGarbage(2 * lanes * keyShares.planes);
  const parts: BitPlanes[] = [];
  for (const [index, part] of layout.entries()) parts.push({ ...part, wires: await partInOrder(backend, shares, starts[index], starts[index] + part.width, order, restAsShareWires && !taken.keyParts.has(index)) });
  return { ...taken.unpack(parts), ownsStorage: true };
}

/**
 * The order by the key in shuffled shares' planes [first, first + width), made into wires here. No local holds
 * them: the planes' views go once laid out as rows, and the rows when the sort returns.
 */
async function orderOfSharedKey(backend: Backend, shares: LaneShares, first: number, width: number): Promise<Int32Array> {
  return orderOfKeyPlanes(backend, planeViews(backend, { wires: await backend.labelsOfShares(shares, first, first + width), width, lanes: shares.lanes }), shares.lanes);
}

/** Bits of a source label (at least one). */
function sourceWidth(sourceOfLane: ArrayLike<number>): number {
  let most = 0;
  for (let lane = 0; lane < sourceOfLane.length; lane++) most = Math.max(most, sourceOfLane[lane]);
  return Math.max(1, bitLength(most));
}

/**
 * This party's shares of a distinct key, lowest plane first: the lane's source (public), then each key plane
 * ANDed with `valid` and, where the lane is invalid, XORed with the lane index's bit (as wide as the key or the
 * index, whichever is wider), then ¬valid on top. Valid lanes are then distinct by key and source, invalid ones
 * by their index, and the two kinds by the top plane: one AND per key plane and lane, against lg n planes more
 * in every comparison. A chunk of lanes at a time, so the masked planes are never a whole key's labels. When
 * every lane is valid, the key's planes are taken as they are, below the source: no gate, so they may be
 * share wires.
 */
async function distinctKeyShares(backend: Backend, keyPlanes: WireVector[], valid: WireVector, { sourceOfLane, everyLaneValid }: DistinctKeySources): Promise<LaneShares> {
  const lanes = valid.length;
  if (sourceOfLane.length !== lanes) throw new RangeError(`${sourceOfLane.length} source labels for ${lanes} lanes`);
  const sourceBits = sourceWidth(sourceOfLane);
  if (everyLaneValid) return backend.sharesOfLanes([{ wires: backend.constant(sourcePlanes(sourceOfLane, sourceBits, 0, lanes)), width: sourceBits }, ...keyPlanes.map((wires) => ({ wires, width: 1 }))], lanes);
  const width = Math.max(keyPlanes.length, tieBreakWidth(lanes));
  const planes = sourceBits + width + 1;
  const rowBytes = rowBytesFor(planes);
  // Left empty on the counting backend, whose shares are.
  let share: Uint8Array | undefined;
  const step = lanesPerChunk(planes);
  for (let start = 0; start < lanes; start += step) {
    const count = Math.min(lanes, start + step) - start;
    const chunk = laneRange(start, start + count);
    const chunkValid = backend.gather(valid, chunk);
    const invalid = backend.not(chunkValid);
    const zeros = backend.constant(new Uint8Array(count));
    const parts: Array<{ wires: WireVector; width: number }> = [];
    parts.push({ wires: backend.constant(sourcePlanes(sourceOfLane, sourceBits, start, count)), width: sourceBits });
    const masked = keyPlanes.length > 0 ? await backend.andBroadcast(backend.concat(keyPlanes.map((plane) => backend.gather(plane, chunk))), chunkValid) : zeros;
    // ¬valid where the index bit is 1, else 0: a public choice per lane, so a relabelling, not a gate.
    const invalidOrZero = backend.concat([invalid, zeros]);
    for (let bit = 0; bit < width; bit++) {
      const indexBit = backend.gather(invalidOrZero, Int32Array.from({ length: count }, (_, index) => (((start + index) >>> bit) & 1 ? index : count + index)));
      parts.push({ wires: backend.xor(bit < keyPlanes.length ? backend.slice(masked, bit * count, (bit + 1) * count) : zeros, indexBit), width: 1 });
    }
    parts.push({ wires: invalid, width: 1 });
    const rows = backend.sharesOfLanes(parts, count);
    if (rows.share.length === 0) continue;
    share ??= new Uint8Array(lanes * rowBytes);
    share.set(rows.share, start * rowBytes);
  }
  return { lanes, planes, rowBytes, share: share ?? new Uint8Array(0) };
}

/** The source labels of lanes [start, start + count), plane-major, lowest bit first. */
function sourcePlanes(sourceOfLane: Int32Array, sourceBits: number, start: number, count: number): Uint8Array {
  const bits = new Uint8Array(sourceBits * count);
  for (let bit = 0; bit < sourceBits; bit++) for (let index = 0; index < count; index++) bits[bit * count + index] = (sourceOfLane[start + index] >>> bit) & 1;
  return bits;
}

/**
 * The sorted order of the shuffled lanes by the key with the tie-break below it, laid out row by row for the
 * comparisons a chunk of lanes at a time: the chunk's key parts and tie are made wires from the shares (one OT
 * per wire), read by `planesOf` (which sees empty stand-ins for the other parts) and let go once laid out. Only
 * the rows then stand through the comparisons, not the key's planes beside them.
 */
async function revealedOrder(backend: Backend, shuffled: Awaited<ReturnType<typeof shuffleWithTie>>, planesOf: KeyPlanesOf, chunkWires: number): Promise<Int32Array> {
  const { lanes, tieWidth, tieStart, layout, starts, keyParts, unpack } = shuffled;
  const keyWidth = shuffled.keyWidth + tieWidth;
  const step = Math.max(1, Math.floor(chunkWires / keyWidth));
  let rows: WireVector | undefined;
  let width = 0;
  for (let start = 0; start < lanes; start += step) {
    const count = Math.min(lanes, start + step) - start;
    const chunk = laneRange(start, start + count);
    const parts: BitPlanes[] = [];
    for (const [index, part] of layout.entries()) {
      parts.push({ width: part.width, lanes: count, wires: keyParts.has(index) ? await backend.labelsOfShares(shuffled.shares, starts[index], starts[index] + part.width, chunk) : backend.constant([]) });
    }
    const tie = await backend.labelsOfShares(shuffled.shares, tieStart, tieStart + tieWidth, chunk);
    const planes = [...planeViews(backend, { wires: tie, width: tieWidth, lanes: count }), ...planesOf(unpack(parts))];
    const chunkRows = backend.planesToRows(planes, count);
    width = planes.length;
    rows ??= WireVector.uninitialized(lanes * width, chunkRows.bytesPerWire);
    // Row-major: a chunk of lanes is one run of the rows.
    rows.data.set(chunkRows.data, start * width * chunkRows.bytesPerWire);
  }
  return rows ? orderOfRows(backend, rows, width, lanes) : new Int32Array(0);
}

/** The order of shuffled lanes by distinct keys (planes lowest first): laid out row by row, then the merge sort's revealed comparisons. */
async function orderOfKeyPlanes(backend: Backend, planes: WireVector[], lanes: number): Promise<Int32Array> {
  const width = planes.length;
  const rows = backend.planesToRows(planes, lanes);
  planes.length = 0;
  return orderOfRows(backend, rows, width, lanes);
}

/** The order of shuffled lanes by their distinct keys, laid out row by row (`width` planes, lowest first). */
async function orderOfRows(backend: Backend, rows: WireVector, width: number, lanes: number): Promise<Int32Array> {
  return revealedMergeSort(lanes, async (first, second) => {
    const below = await backend.lessThanOfRows(rows, width, first, second);
    // Not awaited: the next group's comparisons are made while these outcomes travel. The counting backend
    // sees no values: any consistent order costs the same, so it takes the lanes'.
    const outcomes = backend.reveal(below).then((bits) => bits ?? lanesInOrder(first, second));
    return { outcomes };
  });
}

/** 1 where the first lane of a pair comes before the second: a loop, as Uint8Array.from with a map was a sixth of counting's time. */
function lanesInOrder(first: ArrayLike<number>, second: ArrayLike<number>): Uint8Array {
  const bits = new Uint8Array(first.length);
  for (let index = 0; index < bits.length; index++) bits[index] = first[index] < second[index] ? 1 : 0;
  return bits;
}

/**
 * This party's shares of the rows, with where each part's planes start and which parts the key reads (valid and
 * the key columns', and their planes). A function of its own: once it returns, nothing holds the rows' wires.
 */
function sharesOfRelation(backend: Backend, relation: Relation, keyColumns: readonly number[]) {
  const lanes = relation.lanes;
  const { parts, unpack } = relationParts(relation);
  // Part indices per column, in relationParts' order: valid, then each column's value and NULL flag.
  const columnParts: number[][] = [];
  let next = 1;
  for (const column of relation.columns) columnParts.push(column.isNull ? [next++, next++] : [next++]);
  const keyParts = new Set([0, ...keyColumns.flatMap((column) => columnParts[column])]);
  const layout = parts.map((part) => ({ width: part.width, lanes: part.lanes }));
  const starts: number[] = [];
  let planes = 0;
  for (const part of layout) { starts.push(planes); planes += part.width; }
  const keyWidth = [...keyParts].reduce((sum, index) => sum + layout[index].width, 0);
  return { lanes, layout, starts, keyParts, keyWidth, unpack, shares: backend.sharesOfLanes(parts, lanes) };
}

/**
 * The shared rows, shuffled with the tie-break planes (each lane's index) after them. The rows' wires are
 * freed first, and the tie's public wires made only then, so neither stands beside the other.
 */
async function shuffleWithTie(backend: Backend, taken: ReturnType<typeof sharesOfRelation>) {
  const { lanes } = taken;
  collectGarbage(lanes * taken.shares.planes);
  const tieWidth = tieBreakWidth(lanes);
  const tie = backend.sharesOfLanes([{ wires: laneIndexPlanes(backend, lanes, tieWidth), width: tieWidth }], lanes);
  const shares = await backend.shuffleShares(concatenateLaneShares(taken.shares, tie));
  return { ...taken, tieWidth, tieStart: taken.shares.planes, shares };
}

/** A round trip (the garbler waits for the evaluator to catch up), in AND gates garbled meanwhile: about 1.5 ms. */
const ROUND_TRIP_ANDS = 10_000;
/** The shuffle's two OT sessions (256 base OTs over ristretto255), in AND gates: about half a second. */
const SHUFFLE_SETUP_ANDS = 3_000_000;

/**
 * What a shuffle of `lanes` rows of `recordWidth` planes costs, in AND-equivalents of traffic (32 bytes each):
 * the OT set-up, the two switching networks and the OT that makes the wires again (none for rows that are
 * only output, see shuffleRelation).
 */
export function shuffleCost(lanes: number, recordWidth: number, { outputOnly = false } = {}): number {
  if (lanes < 2) return 0;
  return (shuffleTrafficBytes(lanes, rowBytesFor(recordWidth)) + (outputOnly ? 0 : 16 * lanes * recordWidth)) / 32 + SHUFFLE_SETUP_ANDS;
}

/**
 * What a shuffle sort of `lanes` rows of `recordWidth` planes by a key of `keyWidth` planes costs, in AND gates
 * and AND-equivalents of traffic and of waiting: the shuffle (with the tie-break's planes), the comparisons and
 * their round trips.
 */
export function shuffleSortCost(lanes: number, recordWidth: number, keyWidth: number, distinct?: DistinctKeySources): number {
  if (lanes < 2) return 0;
  const { comparisons, rounds } = revealedMergeSortCost(lanes);
  if (distinct) {
    // keyWidth counts the validity plane; the distinct key masks the others unless every lane is valid (distinctKeyShares).
    const sourceBits = sourceWidth(distinct.sourceOfLane);
    const width = distinct.everyLaneValid ? sourceBits + keyWidth - 1 : sourceBits + Math.max(keyWidth - 1, tieBreakWidth(lanes)) + 1;
    const masking = distinct.everyLaneValid ? 0 : (keyWidth - 1) * lanes;
    return masking + comparisons * width + rounds * ROUND_TRIP_ANDS + shuffleCost(lanes, recordWidth + width);
  }
  const tieWidth = tieBreakWidth(lanes);
  // The key's parts are made wires twice: for the comparisons, and again in the sorted order.
  const keyRemade = (16 * lanes * keyWidth) / 32;
  return comparisons * (keyWidth + tieWidth) + rounds * ROUND_TRIP_ANDS + shuffleCost(lanes, recordWidth + tieWidth) + keyRemade;
}

/** Record planes of a relation as sorts move it (valid, each column's value and NULL flag). */
export function recordWidthOf(relation: Relation): number {
  return partsWidth(relationParts(relation).parts);
}
