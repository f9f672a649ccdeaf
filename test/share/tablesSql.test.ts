import { describe, expect, it } from "@jest/globals";
import { InputError } from "../../src/share/errors.js";
import { rowBits } from "../../src/share/schema.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";
import { PHAME_TABLES_SQL } from "../../src/share/synthetic/phame.js";

function errorOf(text: string): InputError {
  try {
    parseTablesSql(text, "t.sql");
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected a parse error");
}

describe("TABLES.sql", () => {
  it("reads the pilot's four tables with their types", () => {
    const tables = parseTablesSql(PHAME_TABLES_SQL);
    expect(tables.map((table) => table.name)).toEqual(["phame_cohort_counts", "phame_demographic", "phame_diagnosis", "phame_diagnosis_rollup"]);
    expect(tables[0].columns).toEqual([
      { name: "description", type: { kind: "varchar", length: 42 } },
      { name: "count", type: { kind: "int64" } },
      { name: "site_id", type: { kind: "int32" } },
    ]);
    // valid bit + patid 32 + the strata's codes: 7 ages, 4 genders, 10 races, 7 ethnicities, 81 zips, 7 and 7 payers
    expect(rowBits(tables[1].columns)).toBe(1 + 32 + 3 + 2 + 4 + 3 + 7 + 3 + 3);
  });

  it("accepts the portal's short form, lower-case types, comments and missing semicolons", () => {
    const tables = parseTablesSql("/* portal */ visits (patid int32, flag bool) -- trailing\nlabs (value Int64);");
    expect(tables.map((table) => [table.name, table.columns.map((column) => column.type.kind)])).toEqual([["visits", ["int32", "bool"]], ["labs", ["int64"]]]);
  });

  it.each([
    ["CREATE TABLE t (a INT16);", 1, 19, "unknown or invalid type INT16"],
    ["CREATE TABLE t (a INT32,\n  b CHAR(0));", 2, 5, "unknown or invalid type CHAR(0)"],
    ["CREATE TABLE t (a INT32 b INT32);", 1, 25, 'expected "," or ")"'],
    ["CREATE TABLE t (a INT32, a BOOL);", 1, 26, "appears twice"],
    ["CREATE TABLE t (_site INT32);", 1, 17, "reserved"],
    ["CREATE TABLE t (a INT32);\nCREATE TABLE t (b INT32);", 2, 14, "defined twice"],
    ["CREATE TABLE t (a INT32", 1, 24, "end of file"],
    ["CREATE t (a INT32);", 1, 8, "expected TABLE"],
    ["CREATE TABLE t (a VARCHAR(5000));", 1, 19, "VARCHAR(5000)"],
    ["-- nothing\n", 1, 1, "no CREATE TABLE"],
    ["t (a CHAR(2) CHECK (a >= 0));", 1, 21, "only INT32 and INT64"],
    ["t (a INT32 CHECK (b >= 0), b INT32);", 1, 19, "may only name a"],
    ["t (a INT32, CHECK (c <= 5));", 1, 20, "not a column of table t"],
    ["t (a INT32 CHECK (a BETWEEN 5 AND 1));", 1, 12, "allows no value"],
    ["t (a INT32 CHECK (a >= -3) CHECK (SUM(a) <= 10));", 1, 28, "never negative"],
    ["t (a INT32 CHECK (a > 0));", 1, 21, "expected IN, BETWEEN, >= or <="],
    ["t (a INT32 CHECK (SUM(a) < 3));", 1, 28, '"<="'],
    ["t (a INT32 CHECK (a >= x));", 1, 24, "whole number"],
    ["t (a INT32 CHECK (a IN ('1')));", 1, 19, "CHAR and VARCHAR columns only"],
    ["t (a CHAR(1) CHECK (a IN ('x', 'y', 'x')));", 1, 37, "'x' appears twice"],
    ["t (a CHAR(2) CHECK (a IN ('ab', 'abc')));", 1, 14, "'abc' in the CHECK on a is longer than CHAR(2) (3 bytes)"],
    ["t (a CHAR(2) CHECK (a IN ('ab', cd)));", 1, 33, "expected a quoted value in IN (…), found \"cd\""],
    ["t (a CHAR(2) CHECK (a IN ()));", 1, 27, "expected a quoted value in IN (…), found \")\""],
    ["t (a CHAR(2) CHECK (a IN ('ab)));", 1, 27, "string is never closed"],
    ["t (a CHAR(2) CHECK (a IN ('x')) CHECK (a IN ('y')));", 1, 33, "a already lists its values"],
  ])("rejects %j at line %i column %i", (text, line, column, message) => {
    const error = errorOf(text);
    expect(error.location).toEqual({ file: "t.sql", line, column });
    expect(error.message).toContain(message);
  });

  it("reads CHECK bounds on integer columns, in the column or for the table", () => {
    const [table] = parseTablesSql(`counts (zip CHAR(5), n INT32 CHECK (n >= 0) CHECK (n <= 5000) CHECK (n >= -1), d int64 check (d between -8 and 7 AND d <= 3),
      m INT32 CHECK (m BETWEEN 0 AND 99), CHECK (SUM(n) <= 100000 AND SUM(m) <= 50), CHECK (SUM(m) <= 70))`);
    expect(table.columns.map((column) => [column.name, column.range, column.sumAtMost])).toEqual([
      ["zip", undefined, undefined],
      // Several CHECKs on a column all hold: the narrowest bounds win.
      ["n", { min: 0n, max: 5000n }, 100000n],
      ["d", { min: -8n, max: 3n }, undefined],
      ["m", { min: 0n, max: 99n }, 50n],
    ]);
    // The row layout is unchanged: bounds narrow the circuit, not the share files.
    expect(rowBits(table.columns)).toBe(1 + 40 + 32 + 64 + 32);
  });

  it("reads the values a string column may take, in the circuit's order, and codes the column in their index", () => {
    const [table] = parseTablesSql("places (city VARCHAR(8) CHECK (city IN ('Zürich', 'Bern', 'O''Hare', 'Ab', 'Aarau')), code CHAR(1), CHECK (code IN ('b', 'a')))");
    // UTF-8 byte order, a quote written twice.
    expect(table.columns.map((column) => column.values)).toEqual([["Aarau", "Ab", "Bern", "O'Hare", "Zürich"], ["a", "b"]]);
    // valid bit + 5 values in 3 bits + 2 values in 1 bit, where the bytes took 64 + 8.
    expect(rowBits(table.columns)).toBe(1 + 3 + 1);
  });
});

