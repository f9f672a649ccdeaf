/**
 * Bound expressions evaluated on every lane of a relation at once. SQL's NULL follows the usual rules:
 * arithmetic with NULL is NULL, and conditions use three-valued (Kleene) logic: a comparison with NULL is
 * NULL (unknown), NOT NULL is NULL, FALSE AND NULL is FALSE, TRUE OR NULL is TRUE. A NULL condition's value
 * bit is 0, so WHERE, HAVING and CASE treat unknown as not true.
 */
import type { Backend } from "../circuit/backend.js";
import { signExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { equal, lessThan, lessThanSigned } from "../circuit/bitVector/compare.js";
import { add, multiply, negate, subtract } from "../circuit/bitVector/integer.js";
import { select } from "../circuit/bitVector/select.js";
import type { WireVector } from "../circuit/wireVector.js";
import type { BoundExpression } from "./sql/binder.js";
import { unify, type SqlType } from "./sql/types.js";
import { constantOfType, extendTo, typeBits, widen, type Relation, type RelationColumn } from "./relation.js";

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
  /** A comparison's result: NULL where an operand is NULL, its value bit then 0. */
  const compared = async (result: WireVector, ...columns: RelationColumn[]): Promise<RelationColumn> => {
    const isNull = await eitherNull(...columns);
    return { value: { wires: isNull ? await backend.and(result, backend.not(isNull)) : result, width: 1, lanes }, isNull };
  };
  /** A condition from its `true` and `false` lanes; the rest are NULL. The two never overlap, so their OR is their XOR. */
  const condition = (isTrue: WireVector, isFalse: WireVector, mayBeNull: boolean): RelationColumn =>
    ({ value: { wires: isTrue, width: 1, lanes }, isNull: mayBeNull ? backend.not(backend.xor(isTrue, isFalse)) : undefined });
  const kleeneNot = async (operand: RelationColumn): Promise<RelationColumn> => {
    const truth = await truthOf(backend, operand);
    return condition(truth.isFalse, truth.isTrue, operand.isNull !== undefined);
  };
  const kleene = async (operator: "AND" | "OR", left: RelationColumn, right: RelationColumn): Promise<RelationColumn> => {
    const [a, b] = [await truthOf(backend, left), await truthOf(backend, right)];
    const mayBeNull = left.isNull !== undefined || right.isNull !== undefined;
    if (operator === "AND") {
      const isTrue = await backend.and(a.isTrue, b.isTrue);
      return condition(isTrue, mayBeNull ? await or(a.isFalse, b.isFalse) : backend.not(isTrue), mayBeNull);
    }
    const isFalse = await backend.and(a.isFalse, b.isFalse);
    return condition(mayBeNull ? await or(a.isTrue, b.isTrue) : backend.not(isFalse), isFalse, mayBeNull);
  };

  switch (expression.kind) {
    case "column":
      return relation.columns[expression.index];
    case "literal":
      if (expression.value === null) {
        // As wide as its type: the binder types a NULL compared with a column as that column.
        const width = typeBits(expression.type);
        return { value: { wires: backend.constant(new Uint8Array(width * lanes)), width, lanes }, isNull: backend.constant(new Uint8Array(lanes).fill(1)) };
      }
      return { value: constantOfType(backend, expression.value, expression.type, lanes) };
    case "negate": {
      const operand = await evaluate(backend, expression.operand, relation);
      return { value: await negate(backend, extendTo(backend, operand.value, expression.operand.type, typeBits(expression.type))), isNull: operand.isNull };
    }
    case "not":
      return kleeneNot(await evaluate(backend, expression.operand, relation));
    case "arithmetic": {
      const left = await evaluate(backend, expression.left, relation);
      const right = await evaluate(backend, expression.right, relation);
      const width = typeBits(expression.type);
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
      return compared(result, left, right);
    }
    case "logical":
      return kleene(expression.operator, await evaluate(backend, expression.left, relation), await evaluate(backend, expression.right, relation));
    case "in": {
      // x IN (a, b, …) is x = a OR x = b OR …, so a NULL candidate makes a miss NULL rather than FALSE.
      const operand = await evaluate(backend, expression.operand, relation);
      let found: RelationColumn = { value: { wires: zeros(), width: 1, lanes } };
      for (const candidate of expression.values) {
        const value = await evaluate(backend, candidate, relation);
        const [a, b] = comparable(backend, operand.value, expression.operand.type, value.value, candidate.type);
        found = await kleene("OR", found, await compared(await equal(backend, a, b), operand, value));
      }
      return expression.negated ? kleeneNot(found) : found;
    }
    case "between": {
      const operand = await evaluate(backend, expression.operand, relation);
      const low = await evaluate(backend, expression.low, relation);
      const high = await evaluate(backend, expression.high, relation);
      const common = unify(unify(expression.operand.type, expression.low.type)!, expression.high.type)!;
      const [x, lo, hi] = [[operand, expression.operand.type], [low, expression.low.type], [high, expression.high.type]].map(([column, type]) =>
        widen(backend, (column as RelationColumn).value, type as SqlType, common));
      const less = (a: BitPlanes, b: BitPlanes) => (common.kind === "int" ? lessThanSigned(backend, a, b) : lessThan(backend, a, b));
      // x BETWEEN lo AND hi is x >= lo AND x <= hi: with hi NULL, x < lo is still FALSE.
      const inside = await kleene("AND", await compared(backend.not(await less(x, lo)), operand, low), await compared(backend.not(await less(hi, x)), operand, high));
      return expression.negated ? kleeneNot(inside) : inside;
    }
    case "isNull": {
      const operand = await evaluate(backend, expression.operand, relation);
      const isNull = operand.isNull ?? zeros();
      return { value: { wires: expression.negated ? backend.not(isNull) : isNull, width: 1, lanes } };
    }
    case "case": {
      const width = typeBits(expression.type);
      let result: RelationColumn = expression.otherwise
        ? await evaluate(backend, expression.otherwise, relation)
        : { value: { wires: backend.constant(new Uint8Array(width * lanes)), width, lanes }, isNull: backend.constant(new Uint8Array(lanes).fill(1)) };
      result = { value: fitTo(backend, result.value, expression.otherwise?.type, expression.type), isNull: result.isNull };
      for (const branch of [...expression.branches].reverse()) {
        const when = await evaluate(backend, branch.when, relation);
        const then = await evaluate(backend, branch.then, relation);
        // A NULL condition is not taken.
        const taken = await holds(backend, when);
        const value = await select(backend, taken, fitTo(backend, then.value, branch.then.type, expression.type), result.value);
        const thenNull = then.isNull ?? zeros();
        const elseNull = result.isNull ?? zeros();
        const isNull = then.isNull || result.isNull ? backend.xor(elseNull, await backend.and(taken, backend.xor(thenNull, elseNull))) : undefined;
        result = { value, isNull };
      }
      return result;
    }
    case "cast": {
      const operand = await evaluate(backend, expression.operand, relation);
      // Widening or cutting an integer, or padding a string, keeps a zero zero.
      return { value: fitTo(backend, operand.value, expression.operand.type, expression.type), isNull: operand.isNull, zeroWhereNull: operand.zeroWhereNull };
    }
  }
}

/**
 * Where a condition is TRUE and where it is FALSE (both 0 where it is NULL). Conditions made here already
 * have value 0 where NULL; a BOOL column may not (a LEFT JOIN's missing row), so its value is masked.
 */
async function truthOf(backend: Backend, condition: RelationColumn): Promise<{ isTrue: WireVector; isFalse: WireVector }> {
  const value = condition.value.wires;
  if (!condition.isNull) return { isTrue: value, isFalse: backend.not(value) };
  const present = backend.not(condition.isNull);
  return { isTrue: await backend.and(value, present), isFalse: await backend.and(backend.not(value), present) };
}

/** Where a condition (WHERE, HAVING, CASE WHEN) holds: TRUE, not FALSE or NULL. */
export async function holds(backend: Backend, condition: RelationColumn): Promise<WireVector> {
  return (await truthOf(backend, condition)).isTrue;
}

/** Brings a value to the width of `to` (NULL literals, typed as 1-bit, become zeros). */
function fitTo(backend: Backend, value: BitPlanes, from: SqlType | undefined, to: SqlType): BitPlanes {
  if (!from || from.kind !== to.kind) return extendTo(backend, value, from ?? to, typeBits(to));
  return widen(backend, value, from, to);
}

/** Two operands in one comparable encoding: integers sign-extended, strings zero-padded to one width. */
function comparable(backend: Backend, a: BitPlanes, aType: SqlType, b: BitPlanes, bType: SqlType): [BitPlanes, BitPlanes, SqlType] {
  const common = unify(aType, bType)!;
  return [widen(backend, a, aType, common), widen(backend, b, bType, common), common];
}
