/**
 * The last steps inside MPC, before any share leaves: the minimum cell count and dummy rows zeroed, then (after
 * the compiler's order-preserving compaction, so that released rows come first and their positions say nothing
 * about group sizes or suppressed cells: threat model, invariant 4) the result file's layout.
 */
import type { Backend } from "../circuit/backend.js";
import { signExtend, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { overlaps, spansItsStorage, type WireVector } from "../circuit/wireVector.js";
import type { Column, ColumnType } from "../share/schema.js";
import type { BoundColumn } from "./sql/binder.js";
import { typeBits, type Relation, type RelationColumn } from "./relation.js";
import { labelsOfColumn, shareWiresOfColumn } from "./shareWireColumns.js";
import { smallCellFlags, type SmallCellFlags } from "./suppression.js";
import { tableToOutputParts, type CircuitTable } from "./outputLayout.js";
import { receive, type Given } from "./handOver.js";
import { laneRange, lanesPerChunk } from "./chunks.js";

/** The file type of an output column: the narrowest standard integer that holds it, else INT(n). */
export function outputColumnType(column: BoundColumn): ColumnType {
  switch (column.type.kind) {
    case "bool": return { kind: "bool" };
    case "string": return { kind: "char", length: column.type.length };
    case "int": return column.type.bits <= 32 ? { kind: "int32" } : column.type.bits <= 64 ? { kind: "int64" } : { kind: "int", bits: column.type.bits };
  }
}

export function outputColumns(columns: BoundColumn[]): Column[] {
  return columns.map((column) => ({
    name: column.name, type: outputColumnType(column), suppressible: column.countLike, nullable: column.nullable, ...(column.average ? { average: column.average } : {}),
    ...(column.type.kind === "string" && column.type.values ? { values: column.type.values } : {}),
  }));
}

async function orWires(backend: Backend, a: WireVector, b: WireVector): Promise<WireVector> {
  return backend.xor(backend.xor(a, b), await backend.and(a, b));
}

/**
 * The disclosure rules, applied before any ORDER BY or LIMIT so that neither can depend on a hidden value:
 * count cells from 1 to t−1 are zeroed and flagged, rows with nothing to release and groups whose COUNT(*) is
 * under t become dummies, and every cell of a dummy is zeroed, as are the value bits of every NULL. The result
 * has the output columns (masked), then one 1-bit suppression flag column per count column, in order.
 *
 * With `columnsAsShareWires` every input column is share wires (a GROUP BY's totals, see GroupOptions): a count
 * column is taken up for its test, and every column again for its masking, one at a time (one OT per wire
 * each time), and the masked cells go back to share wires. Only one column's labels then stand at a time.
 */
export async function discloseRows(backend: Backend, input: Given<Relation>, columns: BoundColumn[], minCellCount: number, { columnsAsShareWires = false } = {}): Promise<Relation> {
  let relation: Relation | undefined = receive(input);
  const lanes = relation.lanes;
  const extend = (column: BoundColumn, value: BitPlanes) => (column.type.kind === "int" ? signExtend(backend, value, typeBits(column.type)) : zeroExtend(backend, value, typeBits(column.type)));
  // Per cell: `zeroed` where its value is in 1..t−1, `flagged` where that is reported (not for a NULL). As share
  // wires, the cell keeps its column and makes its value when masked.
  const cells: Array<{ column: BoundColumn; source: RelationColumn; value?: BitPlanes; zeroed?: WireVector; flagged?: WireVector } | undefined> = [];
  let anyReleased: WireVector | undefined;
  let smallGroup: WireVector | undefined;
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index];
    const source = relation.columns[index];
    if (column.countLike) {
      const read = columnsAsShareWires ? await labelsOfColumn(backend, source) : source;
      const value = extend(column, read.value);
      const flags = await smallCellFlagsByChunk(backend, column.type.kind === "bool" ? zeroExtend(backend, value, 2) : value, minCellCount);
      // A NULL count cell is neither suppressed nor released.
      const flagged = read.isNull ? await backend.and(flags.suppressed, backend.not(read.isNull)) : flags.suppressed;
      if (column.groupSize) smallGroup = smallGroup ? await orWires(backend, smallGroup, flagged) : flagged;
      // Released: neither zero nor suppressed. The two never hold together, so their OR is their XOR (free).
      const released = backend.not(backend.xor(flags.isZero, flags.suppressed));
      anyReleased = anyReleased ? await orWires(backend, anyReleased, released) : released;
      // The value is zeroed where suppressed when the rows are masked below: one AND per bit, not a select and a mask.
      cells.push({ column, source, value: columnsAsShareWires ? undefined : value, zeroed: flags.suppressed, flagged });
    } else {
      cells.push({ column, source, value: columnsAsShareWires ? undefined : extend(column, source.value) });
    }
  }
  // The cells hold what is needed from the rows; a handed-over input goes now, before the masked copy is made.
  const inputValid = relation.valid;
  const inputOwned = relation.ownsStorage === true;
  relation = undefined;
  // A row whose count cells are all suppressed or zero is dropped, and so is a group whose COUNT(*) is under
  // the threshold: its other cells (a SUM of costs, say) would describe fewer than t rows.
  // A count released WITHOUT SUPPRESSION is always something to release.
  const releasesUnsuppressed = columns.some((column) => column.unsuppressed);
  let valid = anyReleased && !releasesUnsuppressed ? await backend.and(inputValid, anyReleased) : inputValid;
  if (smallGroup) valid = await backend.and(valid, backend.not(smallGroup));
  // Dummy rows carry nothing: every cell and flag is zeroed where the row is not released.
  const masked: Relation = { lanes, valid, columns: [] };
  const flags: Relation["columns"] = [];
  for (let index = 0; index < cells.length; index++) {
    const cell = cells[index]!;
    // Each cell is let go once masked, so the unmasked and masked rows are never both whole in memory.
    cells[index] = undefined;
    const read = columnsAsShareWires ? await labelsOfColumn(backend, cell.source) : cell.source;
    const value = cell.value ?? extend(cell.column, read.value);
    const isNull = read.isNull;
    // A NULL cell's value bits are leftovers of the computation: they leave as zeros too.
    let keep = isNull ? await backend.and(valid, backend.not(isNull)) : valid;
    if (cell.zeroed) keep = await backend.and(keep, backend.not(cell.zeroed));
    // Masked in its own storage when nothing else reads it: no second copy of the column, even for a moment.
    // Labels just taken up are this cell's alone.
    const stillRead = [inputValid, valid, ...cells.flatMap((other) => (other ? [other.value?.wires, other.source.value.wires, other.source.isNull, other.zeroed, other.flagged] : [])), isNull, cell.zeroed, cell.flagged];
    const inPlace = (columnsAsShareWires || inputOwned) && spansItsStorage(value.wires) && !stillRead.some((vector) => vector !== undefined && overlaps(vector, value.wires));
    const cellMasked: RelationColumn = { value: await maskLanes(backend, value, keep, inPlace), isNull: isNull ? await backend.and(isNull, valid) : undefined };
    masked.columns.push(columnsAsShareWires ? shareWiresOfColumn(backend, cellMasked) : cellMasked);
    if (cell.flagged) flags.push({ value: { wires: await backend.and(cell.flagged, valid), width: 1, lanes } });
  }
  masked.columns.push(...flags);
  // Every vector is new, but for the valid bits when no rule changed them: compaction may then work in place.
  masked.ownsStorage = inputOwned || valid !== inputValid;
  return masked;
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

/** Lays out disclosed rows as the result file's rows; the compiler has compacted them already. */
export function layoutOutput(backend: Backend, ordered: Relation, columns: BoundColumn[]): WireVector[] {
  const fileColumns = outputColumns(columns);
  const table: CircuitTable = { rows: ordered.lanes, valid: ordered.valid, columns: [] };
  let flag = columns.length;
  for (let index = 0; index < columns.length; index++) {
    const value = ordered.columns[index];
    const suppressed = columns[index].countLike ? ordered.columns[flag++].value.wires : undefined;
    // The layout widens an integer to its file type (INT32 or INT64).
    table.columns.push({ column: fileColumns[index], value: value.value, suppressed, isNull: value.isNull });
  }
  return tableToOutputParts(backend, table);
}
