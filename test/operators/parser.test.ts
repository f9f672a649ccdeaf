import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../src/share/errors.js";
import { parseQuery } from "../../src/operators/sql/parser.js";
import { repositoryRoot } from "../helpers/cli.js";

function errorOf(text: string): InputError {
  try {
    parseQuery(text, "q.sql");
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`expected ${text} to be rejected`);
}

describe("query parser", () => {
  it("parses every shipped pilot query", () => {
    const folder = join(repositoryRoot, "fixtures", "phame", "queries");
    for (const file of readdirSync(folder)) {
      const query = parseQuery(readFileSync(join(folder, file), "utf8"), file);
      expect(query.parts.length).toBeGreaterThan(0);
    }
  });

  it("builds the tree with precedence, joins, unions, ORDER BY and LIMIT", () => {
    const query = parseQuery(`SELECT a.x AS k, COUNT(*), SUM(CAST(b.f AS INT64)) total
      FROM t a LEFT JOIN (SELECT y, f FROM u UNION ALL SELECT y, f FROM v) b ON a._site = b._site AND a.x = b.y
      WHERE NOT a.z BETWEEN -1 AND 2 + 3 * 4 OR a.c IN ('M', 'F') AND a.d IS NOT NULL
      GROUP BY a.x HAVING COUNT(*) >= 11 ORDER BY k DESC, 2 LIMIT 10`);
    const select = query.parts[0];
    expect(select.items.map((item) => item.alias)).toEqual(["k", undefined, "total"]);
    expect(select.join).toMatchObject({ type: "left", source: { kind: "subquery", alias: "b" } });
    expect((select.join!.source as { query: { parts: unknown[] } }).query.parts).toHaveLength(2);
    expect(select.where).toMatchObject({ kind: "binary", operator: "OR", left: { kind: "not", operand: { kind: "between" } }, right: { kind: "binary", operator: "AND" } });
    const between = (select.where as any).left.operand;
    expect(between.low).toEqual({ kind: "literal", value: -1n, at: { line: 3, column: 29 } });
    expect(between.high).toMatchObject({ operator: "+", right: { operator: "*" } });
    expect(query.orderBy.map((item) => item.descending)).toEqual([true, false]);
    expect(query.limit).toBe(10);
  });

  it.each([
    ["SELECT a FROM t WHERE a / 2 = 1", 1, 25, "division is not supported"],
    ["SELECT a FROM t UNION SELECT a FROM u", 1, 23, "only UNION ALL"],
    ["SELECT a FROM t WHERE a IN (SELECT b FROM u)", 1, 29, "IN (SELECT"],
    ["SELECT median(a) FROM t", 1, 8, "unknown function median"],
    ["SELECT a,\n  FROM t", 2, 3, "expected an expression, found the keyword FROM"],
    ["SELECT a FROM t x JOIN u y ON x.a = y.a JOIN v z ON z.a = x.a", 1, 41, "only one JOIN"],
    ["SELECT DISTINCT a FROM t", 1, 8, "SELECT DISTINCT"],
    ["SELECT a FROM t WHERE b = 'open", 1, 27, "never closed"],
    ["SELECT a FROM t LIMIT x", 1, 23, "whole number after LIMIT"],
    ["SELECT a FROM t garbage more", 1, 25, "unexpected \"more\""],
    ["SELECT CAST(a AS TEXT) FROM t", 1, 18, "unknown type TEXT"],
    ["SELECT a FROM", 1, 14, "the end of the query"],
    ["SELECT 1.5 FROM t", 1, 8, "not a whole number"],
  ])("rejects %j at line %i column %i", (text, line, column, message) => {
    const error = errorOf(text);
    expect(error.message).toContain(message);
    expect(error.location).toEqual({ file: "q.sql", line, column });
  });
});
