/**
 * The disclosure rules, the last step inside MPC before any share leaves: count cells from 1 to t−1 are zeroed
 * and flagged, groups whose COUNT(*) is under t and rows with nothing to release become dummies, and every cell
 * of a dummy is zeroed, as are the value bits of every NULL (threat model, invariant 4). They apply before any
 * ORDER BY or LIMIT, so that neither can depend on a hidden value.
 */
import type { Backend } from "../circuit/backend.js";
import { signExtend, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { isShareWires, labelsOfShareWires, toShareWires } from "../circuit/shareWires.js";
import { overlaps, spansItsStorage, WireVector } from "../circuit/wireVector.js";
import type { BoundColumn } from "./sql/binder.js";
import { typeBits, type Relation, type RelationColumn } from "./relation.js";
import { smallCellFlags, type SmallCellFlags } from "./suppression.js";
import { receive, type Given } from "./handOver.js";
import { laneRange, lanesPerChunk } from "./chunks.js";

/** Wires per chunk of share-wire rows taken up at once (tests make it small): one OT round trip per chunk. */
const SHARE_WIRE_CHUNK_WIRES = 1 << 21;

/**
 * The rules on `input`. The result has the output columns (masked), then one 1-bit suppression flag column per
 * count column, in order.
 *
 * With `columnsAsShareWires` every input column is share wires (a GROUP BY's totals, see GroupOptions): the
 * rows are taken up a chunk of lanes at a time (one OT per wire, once), the rules applied to the chunk and its
 * masked cells turned back into share wires. Only a chunk's labels then stand at a time.
 */
export async function discloseRows(backend: Backend, input: Given<Relation>, columns: BoundColumn[], minCellCount: number, { columnsAsShareWires = false, chunkWires = SHARE_WIRE_CHUNK_WIRES } = {}): Promise<Relation> {
  if (columnsAsShareWires) return discloseShareWireRows(backend, receive(input), columns, minCellCount, chunkWires);
  let relation: Relation | undefined = receive(input);
  const lanes = relation.lanes;
  const cells: Array<{ column: BoundColumn; source: RelationColumn; value: BitPlanes } | undefined> = columns.map((column, index) => {
    const source = relation!.columns[index];
    return { column, source, value: extendToType(backend, column, source.value) };
  });
  const decision = await decide(backend, columns, cells.map((cell) => ({ ...cell!.source, value: cell!.value })), relation.valid, minCellCount);
  // The cells hold what is needed from the rows; a handed-over input goes now, before the masked copy is made.
  const inputValid = relation.valid;
  const inputOwned = relation.ownsStorage === true;
  relation = undefined;
  const { valid } = decision;
  const masked: Relation = { lanes, valid, columns: [] };
  for (let index = 0; index < cells.length; index++) {
    const { source, value } = cells[index]!;
    // Each cell is let go once masked, so the unmasked and masked rows are never both whole in memory.
    cells[index] = undefined;
    // Masked in its own storage when nothing else reads it: no second copy of the column, even for a moment.
    const stillRead = [inputValid, valid, ...cells.flatMap((other) => (other ? [other.value.wires, other.source.value.wires, other.source.isNull] : [])), ...decision.zeroed, ...decision.flagged, source.isNull];
    const inPlace = inputOwned && spansItsStorage(value.wires) && !stillRead.some((vector) => vector !== undefined && overlaps(vector, value.wires));
    masked.columns.push(await maskCell(backend, { ...source, value }, decision, index, inPlace));
  }
  masked.columns.push(...(await flagColumns(backend, decision)));
  // Every vector is new, but for the valid bits when no rule changed them: compaction may then work in place.
  masked.ownsStorage = inputOwned || valid !== inputValid;
  return masked;
}

/** What the rules decided for some lanes: which rows stay, and per column (count columns only) the cells zeroed and the cells flagged. */
interface Decision {
  valid: WireVector;
  zeroed: Array<WireVector | undefined>;
  flagged: Array<WireVector | undefined>;
}

/** The rules over `cells` (labels, each value as wide as its type), one per column of `columns`. */
async function decide(backend: Backend, columns: BoundColumn[], cells: RelationColumn[], inputValid: WireVector, minCellCount: number): Promise<Decision> {
  const zeroed: Decision["zeroed"] = [], flagged: Decision["flagged"] = [];
  let anyReleased: WireVector | undefined;
  let smallGroup: WireVector | undefined;
  for (const [index, column] of columns.entries()) {
    if (!column.countLike) { zeroed.push(undefined); flagged.push(undefined); continue; }
    const { value, isNull } = cells[index];
    const flags = await smallCellFlagsByChunk(backend, column.type.kind === "bool" ? zeroExtend(backend, value, 2) : value, minCellCount);
    // A NULL count cell is neither suppressed nor released.
    const flaggedCells = isNull ? await backend.and(flags.suppressed, backend.not(isNull)) : flags.suppressed;
    if (column.groupSize) smallGroup = smallGroup ? await orWires(backend, smallGroup, flaggedCells) : flaggedCells;
    // Released: neither zero nor suppressed. The two never hold together, so their OR is their XOR (free).
    const released = backend.not(backend.xor(flags.isZero, flags.suppressed));
    anyReleased = anyReleased ? await orWires(backend, anyReleased, released) : released;
    // The value is zeroed where suppressed when the rows are masked: one AND per bit, not a select and a mask.
    zeroed.push(flags.suppressed);
    flagged.push(flaggedCells);
  }
  // A row whose count cells are all suppressed or zero is dropped, and so is a group whose COUNT(*) is under
  // the threshold: its other cells (a SUM of costs, say) would describe fewer than t rows.
  // A count released WITHOUT SUPPRESSION is always something to release.
  const releasesUnsuppressed = columns.some((column) => column.unsuppressed);
  let valid = anyReleased && !releasesUnsuppressed ? await backend.and(inputValid, anyReleased) : inputValid;
  if (smallGroup) valid = await backend.and(valid, backend.not(smallGroup));
  return { valid, zeroed, flagged };
}

/** Column `index` with every cell of a dummy row zeroed, and the value bits of NULLs and suppressed cells. */
async function maskCell(backend: Backend, cell: RelationColumn, { valid, zeroed }: Decision, index: number, inPlace: boolean): Promise<RelationColumn> {
  const { value, isNull } = cell;
  // A NULL cell's value bits are leftovers of the computation: they leave as zeros too.
  let keep = isNull ? await backend.and(valid, backend.not(isNull)) : valid;
  if (zeroed[index]) keep = await backend.and(keep, backend.not(zeroed[index]!));
  return { value: await maskLanes(backend, value, keep, inPlace), isNull: isNull ? await backend.and(isNull, valid) : undefined };
}

/** The suppression flag of each count column, where the row is released. */
async function flagColumns(backend: Backend, { valid, flagged }: Decision): Promise<RelationColumn[]> {
  const flags: RelationColumn[] = [];
  for (const cells of flagged) if (cells) flags.push({ value: { wires: await backend.and(cells, valid), width: 1, lanes: valid.length } });
  return flags;
}

/**
 * discloseRows on share-wire columns, a chunk of lanes at a time: the chunk's cells are taken up in one OT,
 * the rules decided and applied to them, and the masked cells go back to share wires in the input's own
 * storage where it owns it. The same gates as on labels; each wire costs one OT, where taking a count column
 * up for its test and again for its masking cost two.
 */
async function discloseShareWireRows(backend: Backend, relation: Relation, columns: BoundColumn[], minCellCount: number, chunkWires: number): Promise<Relation> {
  const { lanes } = relation;
  const sources = relation.columns.slice(0, columns.length);
  // The results, in the input's storage where nothing else reads it (share wires: one byte per wire).
  const vectors = sources.flatMap((source) => (source.isNull ? [source.value.wires, source.isNull] : [source.value.wires]));
  const resultFor = (wires: WireVector) => relation.ownsStorage && isShareWires(wires) && spansItsStorage(wires) && !vectors.some((other) => other !== wires && overlaps(other, wires)) && !overlaps(relation.valid, wires) ? wires : undefined;
  const results = sources.map((source) => ({ value: resultFor(source.value.wires), isNull: source.isNull ? resultFor(source.isNull) : undefined }));
  const flagResults: WireVector[] = [];
  const valids: WireVector[] = [];
  const rowWidth = sources.reduce((sum, source) => sum + source.value.width + (source.isNull ? 1 : 0), 0);
  const step = Math.max(1, Math.floor(chunkWires / Math.max(1, rowWidth)));
  for (let start = 0; start < lanes; start += step) {
    const chunk = laneRange(start, Math.min(lanes, start + step));
    const cells = await takeUpLanes(backend, sources, chunk);
    const decision = await decide(backend, columns, cells.map((cell, index) => ({ ...cell, value: extendToType(backend, columns[index], cell.value) })), backend.gather(relation.valid, chunk), minCellCount);
    valids.push(decision.valid);
    for (const [index, cell] of cells.entries()) {
      const masked = await maskCell(backend, cell, decision, index, false);
      const result = results[index];
      result.value = storeLanes(backend, result.value, lanes, chunk, toShareWires(backend, masked.value.wires), cell.value.width);
      if (masked.isNull) result.isNull = storeLanes(backend, result.isNull, lanes, chunk, toShareWires(backend, masked.isNull), 1);
    }
    const flags = await flagColumns(backend, decision);
    flags.forEach((flag, index) => { flagResults[index] = storeLanes(backend, flagResults[index], lanes, chunk, toShareWires(backend, flag.value.wires), 1); });
  }
  const valid = valids.length === 1 ? valids[0] : backend.concat(valids);
  const maskedColumns = sources.map((source, index): RelationColumn => {
    const value: BitPlanes = { wires: results[index].value ?? source.value.wires, width: source.value.width, lanes };
    return { value: extendToType(backend, columns[index], value), isNull: results[index].isNull };
  });
  const flagColumnsOut = flagResults.map((wires): RelationColumn => ({ value: { wires, width: 1, lanes } }));
  return { lanes, valid, columns: [...maskedColumns, ...flagColumnsOut], ownsStorage: true };
}

/**
 * Lanes `chunk` of each column as labels: the share-wire parts in one OT (one per wire), labels gathered as
 * they are. The counting backend cannot tell the kinds apart and counts an OT for every wire, as a real run
 * makes for share-wire columns.
 */
async function takeUpLanes(backend: Backend, columns: RelationColumn[], chunk: Int32Array): Promise<RelationColumn[]> {
  const count = chunk.length;
  const parts = columns.flatMap((column) => [{ wires: column.value.wires, width: column.value.width }, ...(column.isNull ? [{ wires: column.isNull, width: 1 }] : [])]);
  const shared = (wires: WireVector) => backend.kind === "counting" || isShareWires(wires);
  const sharedParts = parts.filter((part) => shared(part.wires));
  const sharedWidth = sharedParts.reduce((sum, part) => sum + part.width, 0);
  const taken = sharedWidth > 0 ? await labelsOfShareWires(backend, backend.gatherLanesOfParts(sharedParts, chunk), sharedWidth, count) : undefined;
  let at = 0;
  const labelsOf = (part: { wires: WireVector; width: number }) => {
    if (!shared(part.wires)) return backend.gatherLanes(part.wires, part.width, chunk);
    at += part.width;
    return backend.slice(taken!, (at - part.width) * count, at * count);
  };
  return columns.map((column) => {
    const value = labelsOf({ wires: column.value.wires, width: column.value.width });
    return { ...column, value: { wires: value, width: column.value.width, lanes: count }, isNull: column.isNull && labelsOf({ wires: column.isNull, width: 1 }) };
  });
}

/** `values` (`width` planes over `chunk`'s lanes) written into `store`, which is made on first use. */
function storeLanes(backend: Backend, store: WireVector | undefined, lanes: number, chunk: Int32Array, values: WireVector, width: number): WireVector {
  const target = store ?? WireVector.uninitialized(lanes * width, values.bytesPerWire);
  backend.scatterLanesInPlace(target, width, chunk, values);
  return target;
}

/** A cell's value as wide as its column's type (the rules read it signed). */
function extendToType(backend: Backend, column: BoundColumn, value: BitPlanes): BitPlanes {
  return column.type.kind === "int" ? signExtend(backend, value, typeBits(column.type)) : zeroExtend(backend, value, typeBits(column.type));
}

async function orWires(backend: Backend, a: WireVector, b: WireVector): Promise<WireVector> {
  return backend.xor(backend.xor(a, b), await backend.and(a, b));
}

/**
 * smallCellFlags a chunk of lanes at a time (the same gates): the tests' temporaries (a constant and an XOR
 * per plane) are then a chunk's, not a whole column's, which at pilot scale was gigabytes per count column.
 */
async function smallCellFlagsByChunk(backend: Backend, value: BitPlanes, minCellCount: number): Promise<SmallCellFlags> {
  const step = lanesPerChunk(value.width);
  if (value.lanes <= step) return smallCellFlags(backend, value, minCellCount);
  const suppressed: WireVector[] = [], isZero: WireVector[] = [];
  for (let start = 0; start < value.lanes; start += step) {
    const lanes = laneRange(start, Math.min(value.lanes, start + step));
    const flags = await smallCellFlags(backend, { wires: backend.gatherLanes(value.wires, value.width, lanes), width: value.width, lanes: lanes.length }, minCellCount);
    suppressed.push(flags.suppressed);
    isZero.push(flags.isZero);
  }
  return { suppressed: backend.concat(suppressed), isZero: backend.concat(isZero) };
}

/**
 * `value` with its lanes where `keep` is clear zeroed (one AND per bit). With `inPlace` the value's storage is
 * overwritten chunk by chunk, so the masked column never stands beside the unmasked one.
 */
async function maskLanes(backend: Backend, value: BitPlanes, keep: WireVector, inPlace: boolean): Promise<BitPlanes> {
  if (!inPlace) return { ...value, wires: await backend.andBroadcast(value.wires, keep) };
  const step = lanesPerChunk(value.width);
  for (let start = 0; start < value.lanes; start += step) {
    const lanes = laneRange(start, Math.min(value.lanes, start + step));
    const chunk = backend.gatherLanes(value.wires, value.width, lanes);
    backend.scatterLanesInPlace(value.wires, value.width, lanes, await backend.andBroadcast(chunk, backend.gather(keep, lanes)));
  }
  return value;
}
