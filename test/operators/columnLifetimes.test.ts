/**
 * What lets a query hold about one copy of its rows: a projection knows the last expression that reads each
 * input column (so it can let the column go there), and a UNION ALL of one input passes its vectors on
 * instead of copying them.
 */
import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { encodeIntegers } from "../../src/circuit/bitVector/bitPlanes.js";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { HandOver } from "../../src/operators/handOver.js";
import { columnsReadBy, lastReaders } from "../../src/operators/planWalk.js";
import { concatLanes, unionAll, type Relation } from "../../src/operators/relation.js";
import { bindQuery, type PlanNode } from "../../src/operators/sql/binder.js";
import { parseQuery } from "../../src/operators/sql/parser.js";
import { createStudy } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const study = createStudy({
  name: "lifetimes", minCellCount: 1, tables: parseTablesSql("t (a INT32, b INT32, c BOOL, d INT32)"),
  partners: [{ name: "p", tables: ["t"] }], garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: [],
});

function projectionOf(sql: string): Extract<PlanNode, { kind: "project" }> {
  const plan = bindQuery(parseQuery(sql, "q.sql"), study, () => 10, "q.sql");
  if (plan.kind !== "project") throw new Error(`expected a projection, got ${plan.kind}`);
  return plan;
}

describe("columns an expression reads", () => {
  it("finds every column reference, however deep", () => {
    const { expressions } = projectionOf("SELECT a, CASE WHEN c THEN b + 1 WHEN d BETWEEN 1 AND a THEN 2 ELSE -d END AS x, b IN (1, a) AS y, CAST(d AS INT64) AS z, 7 AS w FROM t");
    expect(expressions.map((expression) => [...columnsReadBy(expression)].sort())).toEqual([[0], [0, 1, 2, 3], [0, 1], [3], []]);
  });

  it("gives each column's last reader, and none for a column nobody reads", () => {
    const { expressions } = projectionOf("SELECT b, a + b AS s, CAST(b AS INT64) AS wide FROM t");
    expect(Object.fromEntries(lastReaders(expressions))).toEqual({ 0: 1, 1: 2 });
  });
});

describe("UNION ALL of one input", () => {
  it("passes the input's vectors on, and still copies when there are two", () => {
    const backend = new PlaintextBackend();
    const relationOf = (bits: number[]): Relation => ({ lanes: bits.length, valid: backend.constant(bits.map(() => 1)), columns: [{ value: { wires: backend.constant(bits), width: 1, lanes: bits.length } }] });
    const type = { kind: "bool" } as const;
    const one = relationOf([1, 0, 1]);
    // The union takes its inputs (it clears their columns), so keep what to compare with.
    const [wires, valid] = [one.columns[0].value.wires, one.valid];
    const passed = unionAll(backend, [{ relation: new HandOver(one), types: [type] }], [type]);
    expect(passed.columns[0].value.wires).toBe(wires);
    expect(passed.valid).toBe(valid);

    const [first, second] = [relationOf([1, 0]), relationOf([0, 1])];
    expect(concatLanes(backend, [first.columns[0].value]).wires).toBe(first.columns[0].value.wires);
    const joined = unionAll(backend, [{ relation: new HandOver(first), types: [type] }, { relation: new HandOver(second), types: [type] }], [type]);
    expect([...backend.outputShare(joined.columns[0].value.wires)]).toEqual([1, 0, 0, 1]);
  });
});

describe("UNION ALL of integers of different widths", () => {
  it("sign-extends the narrower input as it copies: its top plane repeated, negative values kept", () => {
    const backend = new PlaintextBackend();
    const relationOf = (values: bigint[], width: number): Relation => ({
      lanes: values.length, valid: backend.constant(values.map(() => 1)),
      columns: [{ value: { wires: backend.constant(encodeIntegers(values, width)), width, lanes: values.length } }],
    });
    const [narrow, wide] = [{ kind: "int", bits: 3 } as const, { kind: "int", bits: 6 } as const];
    const joined = unionAll(backend, [{ relation: new HandOver(relationOf([-4n, 3n, -1n], 3)), types: [narrow] }, { relation: new HandOver(relationOf([-32n, 31n], 6)), types: [wide] }], [wide]);
    expect(joined.columns[0].value.width).toBe(6);
    const bits = backend.outputShare(joined.columns[0].value.wires);
    const decoded = Array.from({ length: 5 }, (_, lane) => BigInt.asIntN(6, Array.from({ length: 6 }, (_, bit) => BigInt(bits[bit * 5 + lane]) << BigInt(bit)).reduce((sum, bit) => sum | bit, 0n)));
    expect(decoded).toEqual([-4n, 3n, -1n, -32n, 31n]);
  });
});
