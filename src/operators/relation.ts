/**
 * A relation inside the circuit: a public number of lanes (rows), a secret `valid` bit per lane, and each
 * column as bit-planes with an optional secret NULL flag. Operators never drop lanes based on data: they
 * clear `valid`, so every size stays public (threat model, invariant 1).
 */
import type { Backend } from "../circuit/backend.js";
import { constantInteger, encodeIntegers, planeViews, signExtend, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { columnPlanes, planesOf, type InputPlanes } from "./inputPlanes.js";
import { inKindOf, zerosLike } from "../circuit/shareWires.js";
import { shareWiresOfRelation } from "./shareWireColumns.js";
import type { WireVector } from "../circuit/wireVector.js";
import type { HandOver } from "./handOver.js";
import { collectGarbage } from "./garbageCollection.js";
import type { Column } from "../share/schema.js";
import { sqlTypeBits as typeBits, type SqlType } from "./sql/types.js";

export interface RelationColumn {
  value: BitPlanes;
  /** Set in lanes whose cell is NULL; absent when the column is never NULL. */
  isNull?: WireVector;
  /**
   * Set when the value bits are zero wherever the cell is NULL (as `catalyst share` encodes a NULL): a SUM then
   * takes the value as it is, without masking it. Absent when a NULL's bits are whatever a computation left.
   */
  zeroWhereNull?: boolean;
}

export interface Relation {
  lanes: number;
  valid: WireVector;
  columns: RelationColumn[];
  /**
   * Set when nothing outside this relation refers to its vectors' storage (the compiler marks each
   * operator's output so): a sort, scan or compaction that takes it may then overwrite them in place.
   */
  ownsStorage?: boolean;
}

/**
 * A column that nothing above reads (liveColumns.ts): no planes at all, so that a join need not carry it. It
 * keeps its place so that every other column keeps its index.
 */
export function deadColumn(backend: Backend, lanes: number): RelationColumn {
  return { value: { wires: backend.constant([]), width: 0, lanes } };
}

/** Bits a value of this type takes in the circuit (a coded string its index's). */
export { typeBits };

/** Re-encodes a value for a wider type of the same kind (free: planes move or repeat). */
export function widen(backend: Backend, value: BitPlanes, from: SqlType, to: SqlType): BitPlanes {
  if (from.kind === "int" && to.kind === "int") return signExtend(backend, value, to.bits);
  // A coded string is its index whatever the declared length.
  if (from.kind === "string" && to.kind === "string" && to.length > from.length && !from.values) {
    // First byte most significant: a longer string gains zero bytes at the low end.
    const padding = zerosLike(backend, value.wires, 8 * (to.length - from.length) * value.lanes);
    return { wires: backend.concat([padding, value.wires]), width: 8 * to.length, lanes: value.lanes };
  }
  return value;
}

/**
 * One input table's lanes from its share labels (the file's row layout as bit-planes, in runs: see
 * inputPlanes.ts), with the implicit `_site` column: the contributing partner's index in the study, public
 * per lane since sizes are public.
 */
export function scanInput(backend: Backend, input: readonly InputPlanes[], columns: readonly Column[], types: readonly SqlType[], lanes: number, sitePerLane: readonly number[], siteBits: number): Relation {
  const planes = (first: number, end: number): BitPlanes => ({ wires: planesOf(backend, input, lanes, first, end), width: end - first, lanes });
  const relationColumns = columnPlanes(columns).map(({ value, valueBits, isNull }, index): RelationColumn => {
    // A CHECK may narrow an integer: its values fit the low bits (`catalyst share` checked), so the rest are dropped.
    const width = Math.min(typeBits(types[index]), valueBits);
    // A pushed partial may be NULL (a MIN over none, say): its flag bit comes just before the value, which
    // the encoding leaves zero.
    return { value: planes(value, value + width), ...(isNull !== undefined ? { isNull: planes(isNull, isNull + 1).wires, zeroWhereNull: true } : {}) };
  });
  const valid = planes(0, 1).wires;
  // `_site` is public: of the other columns' kind, so that a UNION ALL may join it with a stored column.
  relationColumns.push({ value: { wires: inKindOf(backend, valid, backend.constant(encodeIntegers(sitePerLane.map(BigInt), siteBits))), width: siteBits, lanes } });
  return { lanes, valid, columns: relationColumns };
}

/**
 * UNION ALL: the inputs' lanes one after another, each column widened to the common type as it is copied (an
 * integer's top plane repeated, so widening adds no copy). It takes its inputs: each input column goes as
 * soon as it is copied, so the union never holds two copies of the rows. With `asShareWires` the rows come out
 * as this party's shares, for a GROUP BY that shuffles them before any gate reads them (shareWireInputs.ts).
 */
export function unionAll(backend: Backend, given: Array<{ relation: HandOver<Relation>; types: SqlType[] }>, types: SqlType[], { asShareWires = false } = {}): Relation {
  const inputs = given.splice(0).map(({ relation, types: inputTypes }) => {
    const taken = relation.take();
    // As shares, each input's labels go as soon as it is converted, before any copy of the rows is made.
    const { lanes, valid, columns } = asShareWires ? shareWiresOfRelation(backend, taken) : taken;
    return { lanes, valid, columns: columns as Array<RelationColumn | undefined>, types: inputTypes };
  });
  const lanes = inputs.reduce((sum, input) => sum + input.lanes, 0);
  const columns = types.map((type, index): RelationColumn => {
    const taken = inputs.map((input) => { const column = input.columns[index]!; input.columns[index] = undefined; return column; });
    const anyNull = taken.some((column) => column.isNull);
    const joined: RelationColumn = {
      // A union of one input passes its column on (widened as `widen` does), not copied.
      value: taken.length === 1
        ? widen(backend, taken[0].value, inputs[0].types[index], type)
        : concatLanesOfPlanes(backend, taken.map((column, input) => widenedPlanes(backend, column.value, inputs[input].types[index], type)), lanes),
      isNull: anyNull ? lanesOneAfterAnother(backend, taken.map((column, input) => column.isNull ?? zerosLike(backend, inputs[input].valid, inputs[input].lanes))) : undefined,
      // Widening keeps a zero zero; a column that is never NULL holds it trivially.
      ...(anyNull && taken.every((column) => !column.isNull || column.zeroWhereNull) ? { zeroWhereNull: true } : {}),
    };
    // The inputs' copies of this column are garbage now; collected column by column, they never pile up.
    taken.length = 0;
    if (inputs.length > 1) collectGarbage(joined.value.wires.length);
    return joined;
  });
  return { lanes, valid: lanesOneAfterAnother(backend, inputs.map((input) => input.valid)), columns };
}

/** A value's planes for a wider type, lowest first: views, with an integer's top plane repeated (see widen). */
function widenedPlanes(backend: Backend, value: BitPlanes, from: SqlType, to: SqlType): WireVector[] {
  if (from.kind !== "int" || to.kind !== "int" || to.bits <= value.width) return planeViews(backend, widen(backend, value, from, to));
  const own = planeViews(backend, value);
  return [...own, ...new Array<WireVector>(to.bits - value.width).fill(own[own.length - 1])];
}

/** Lanes of several parts, each given as its planes (the same count), side by side: plane i of the result is every part's plane i, in one copy. */
function concatLanesOfPlanes(backend: Backend, parts: WireVector[][], lanes: number): BitPlanes {
  const width = parts[0].length;
  const planes: WireVector[] = [];
  for (let bit = 0; bit < width; bit++) for (const part of parts) planes.push(part[bit]);
  return { wires: backend.concat(planes), width, lanes };
}

/** One-bit lanes one after another; a single part is passed on, not copied (a UNION ALL of one input). */
function lanesOneAfterAnother(backend: Backend, parts: WireVector[]): WireVector {
  return parts.length === 1 ? parts[0] : backend.concat(parts);
}

/**
 * Lanes of several same-width integers side by side: plane i of the result is every part's plane i. A single
 * part is passed on as it is, not copied.
 */
export function concatLanes(backend: Backend, parts: BitPlanes[]): BitPlanes {
  if (parts.length === 1) return parts[0];
  return concatLanesOfPlanes(backend, parts.map((part) => planeViews(backend, part)), parts.reduce((sum, part) => sum + part.lanes, 0));
}

/** The same lanes picked from every plane (a public relabelling). */
export function gatherLanes(backend: Backend, value: BitPlanes, lanes: ArrayLike<number>): BitPlanes {
  return { wires: backend.gatherLanes(value.wires, value.width, lanes), width: value.width, lanes: lanes.length };
}

/** A copy of `target` with lane `lanes[i]` replaced by lane i of `values`, in every plane. */
export function scatterLanes(backend: Backend, target: BitPlanes, lanes: ArrayLike<number>, values: BitPlanes): BitPlanes {
  return { wires: backend.scatterLanes(target.wires, target.width, lanes, values.wires), width: target.width, lanes: target.lanes };
}

export function gatherRelation(backend: Backend, relation: Relation, lanes: ArrayLike<number>): Relation {
  return {
    lanes: lanes.length,
    valid: backend.gather(relation.valid, lanes),
    columns: relation.columns.map((column) => ({
      value: gatherLanes(backend, column.value, lanes),
      isNull: column.isNull ? backend.gather(column.isNull, lanes) : undefined,
      zeroWhereNull: column.zeroWhereNull,
    })),
  };
}

/** A public value in every lane, as a value of `type`. */
export function constantOfType(backend: Backend, value: bigint | string | boolean, type: SqlType, lanes: number): BitPlanes {
  if (typeof value === "boolean") return constantInteger(backend, value ? 1n : 0n, 1, lanes);
  if (typeof value === "bigint") return constantInteger(backend, value, typeBits(type), lanes);
  if (type.kind === "string" && type.values) {
    // The binder lets only a listed value meet a coded string.
    const code = type.values.indexOf(value);
    if (code < 0) throw new RangeError(`'${value}' is not one of the coded string's values`);
    return constantInteger(backend, BigInt(code), typeBits(type), lanes);
  }
  const length = type.kind === "string" ? type.length : value.length;
  const bytes = new TextEncoder().encode(value);
  let encoded = 0n;
  for (let index = 0; index < length; index++) encoded = (encoded << 8n) | BigInt(index < bytes.length ? bytes[index] : 0);
  return constantInteger(backend, encoded, 8 * length, lanes);
}

/** Zero- or sign-extension to a width, by kind: booleans and strings never carry a sign. */
export function extendTo(backend: Backend, value: BitPlanes, type: SqlType, width: number): BitPlanes {
  return type.kind === "int" ? signExtend(backend, value, width) : zeroExtend(backend, value, width);
}

