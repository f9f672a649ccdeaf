/**
 * Bound expressions evaluated on every lane of a relation at once. SQL's NULL follows the usual rules:
 * arithmetic with NULL is NULL, a comparison with NULL is not true, IS NULL tests the flag.
 */
import type { Backend } from "../circuit/backend.js";
import { signExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { equal, lessThan, lessThanSigned } from "../circuit/bitVector/compare.js";
import { add, multiply, negate, subtract } from "../circuit/bitVector/integer.js";
import { select } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import type { BoundExpression } from "./sql/binder.js";
import { unify, type SqlType } from "./sql/types.js";
import { constantOfType, extendTo, widen, type Relation, type RelationColumn } from "./relation.js";

export async function evaluate(backend: Backend, expression: BoundExpression, relation: Relation): Promise<RelationColumn> {
  const lanes = relation.lanes;
  const zeros = () => backend.constant(new Uint8Array(lanes));
  const or = async (a: WireVector, b: WireVector) => backend.xor(backend.xor(a, b), await backend.and(a, b));
  const eitherNull = async (...columns: RelationColumn[]) => {
    const flags = columns.map((column) => column.isNull).filter((flag): flag is WireVector => flag !== undefined);
    let result = flags[0];
    for (const flag of flags.slice(1)) result = await or(result, flag);
    return result;
  };
  /** A condition that is false wherever an operand is NULL. */
  const unlessNull = async (condition: WireVector, ...columns: RelationColumn[]) => {
    const isNull = await eitherNull(...columns);
    return isNull ? backend.and(condition, backend.not(isNull)) : condition;
  };

  switch (expression.kind) {
    case "column":
      return relation.columns[expression.index];
    case "literal":
      if (expression.value === null) {
        return { value: { wires: backend.constant(new Uint8Array(lanes)), width: 1, lanes }, isNull: backend.constant(new Uint8Array(lanes).fill(1)) };
      }
      return { value: constantOfType(backend, expression.value, expression.type, lanes) };
    case "negate": {
      const operand = await evaluate(backend, expression.operand, relation);
      return { value: await negate(backend, extendTo(backend, operand.value, expression.operand.type, typeWidth(expression.type))), isNull: operand.isNull };
    }
    case "not": {
      const operand = await evaluate(backend, expression.operand, relation);
      return { value: { ...operand.value, wires: await unlessNull(backend.not(operand.value.wires), operand) } };
    }
    case "arithmetic": {
      const left = await evaluate(backend, expression.left, relation);
      const right = await evaluate(backend, expression.right, relation);
      const width = typeWidth(expression.type);
      const a = signExtend(backend, left.value, width);
      const b = signExtend(backend, right.value, width);
      const value = expression.operator === "+" ? await add(backend, a, b) : expression.operator === "-" ? await subtract(backend, a, b) : await multiply(backend, a, b);
      return { value, isNull: await eitherNull(left, right) };
    }
    case "compare": {
      const left = await evaluate(backend, expression.left, relation);
      const right = await evaluate(backend, expression.right, relation);
      const [a, b, type] = comparable(backend, left.value, expression.left.type, right.value, expression.right.type);
      const less = (x: BitPlanes, y: BitPlanes) => (type.kind === "int" ? lessThanSigned(backend, x, y) : lessThan(backend, x, y));
      let result: WireVector;
      switch (expression.operator) {
        case "=": result = await equal(backend, a, b); break;
        case "<>": result = backend.not(await equal(backend, a, b)); break;
        case "<": result = await less(a, b); break;
        case ">": result = await less(b, a); break;
        case "<=": result = backend.not(await less(b, a)); break;
        case ">=": result = backend.not(await less(a, b)); break;
      }
      return { value: { wires: await unlessNull(result, left, right), width: 1, lanes } };
    }
    case "logical": {
      const left = await evaluate(backend, expression.left, relation);
      const right = await evaluate(backend, expression.right, relation);
      const wires = expression.operator === "AND" ? await backend.and(left.value.wires, right.value.wires) : await or(left.value.wires, right.value.wires);
      return { value: { wires, width: 1, lanes } };
    }
    case "in": {
      const operand = await evaluate(backend, expression.operand, relation);
      let found = zeros();
      for (const candidate of expression.values) {
        const value = await evaluate(backend, candidate, relation);
        const [a, b] = comparable(backend, operand.value, expression.operand.type, value.value, candidate.type);
        found = await or(found, await unlessNull(await equal(backend, a, b), value));
      }
      const result = expression.negated ? backend.not(found) : found;
      return { value: { wires: await unlessNull(result, operand), width: 1, lanes } };
    }
    case "between": {
      const operand = await evaluate(backend, expression.operand, relation);
      const low = await evaluate(backend, expression.low, relation);
      const high = await evaluate(backend, expression.high, relation);
      const common = unify(unify(expression.operand.type, expression.low.type)!, expression.high.type)!;
      const [x, lo, hi] = [[operand, expression.operand.type], [low, expression.low.type], [high, expression.high.type]].map(([column, type]) =>
        widen(backend, (column as RelationColumn).value, type as SqlType, common));
      const less = (a: BitPlanes, b: BitPlanes) => (common.kind === "int" ? lessThanSigned(backend, a, b) : lessThan(backend, a, b));
      const inside = await backend.and(backend.not(await less(x, lo)), backend.not(await less(hi, x)));
      return { value: { wires: await unlessNull(expression.negated ? backend.not(inside) : inside, operand, low, high), width: 1, lanes } };
    }
    case "isNull": {
      const operand = await evaluate(backend, expression.operand, relation);
      const isNull = operand.isNull ?? zeros();
      return { value: { wires: expression.negated ? backend.not(isNull) : isNull, width: 1, lanes } };
    }
    case "case": {
      const width = typeWidth(expression.type);
      let result: RelationColumn = expression.otherwise
        ? await evaluate(backend, expression.otherwise, relation)
        : { value: { wires: backend.constant(new Uint8Array(width * lanes)), width, lanes }, isNull: backend.constant(new Uint8Array(lanes).fill(1)) };
      result = { value: fitTo(backend, result.value, expression.otherwise?.type, expression.type), isNull: result.isNull };
      for (const branch of [...expression.branches].reverse()) {
        const when = await evaluate(backend, branch.when, relation);
        const then = await evaluate(backend, branch.then, relation);
        const value = await select(backend, when.value.wires, fitTo(backend, then.value, branch.then.type, expression.type), result.value);
        const thenNull = then.isNull ?? zeros();
        const elseNull = result.isNull ?? zeros();
        const isNull = then.isNull || result.isNull ? backend.xor(elseNull, await backend.and(when.value.wires, backend.xor(thenNull, elseNull))) : undefined;
        result = { value, isNull };
      }
      return result;
    }
    case "cast": {
      const operand = await evaluate(backend, expression.operand, relation);
      return { value: fitTo(backend, operand.value, expression.operand.type, expression.type), isNull: operand.isNull };
    }
  }
}

function typeWidth(type: SqlType): number {
  return type.kind === "int" ? type.bits : type.kind === "bool" ? 1 : 8 * type.length;
}

/** Brings a value to the width of `to` (NULL literals, typed as 1-bit, become zeros). */
function fitTo(backend: Backend, value: BitPlanes, from: SqlType | undefined, to: SqlType): BitPlanes {
  if (!from || from.kind !== to.kind) return extendTo(backend, value, from ?? to, typeWidth(to));
  return widen(backend, value, from, to);
}

/** Two operands in one comparable encoding: integers sign-extended, strings zero-padded to one width. */
function comparable(backend: Backend, a: BitPlanes, aType: SqlType, b: BitPlanes, bType: SqlType): [BitPlanes, BitPlanes, SqlType] {
  const common = unify(aType, bType)!;
  return [widen(backend, a, aType, common), widen(backend, b, bType, common), common];
}
