import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { InputError } from "../../src/share/errors.js";
import { createStudy } from "../../src/share/study.js";
import { PHAME_TABLES_SQL } from "../../src/share/synthetic/phame.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";
import { bindQuery, type PlanNode } from "../../src/operators/sql/binder.js";
import { parseQuery } from "../../src/operators/sql/parser.js";
import { describeType } from "../../src/operators/sql/types.js";
import { repositoryRoot } from "../helpers/cli.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const study = createStudy({
  name: "binder", minCellCount: 11, tables: parseTablesSql(PHAME_TABLES_SQL),
  partners: [{ name: "s1", tables: ["phame_demographic", "phame_diagnosis", "phame_cohort_counts"] }, { name: "s2", tables: ["phame_diagnosis_rollup", "phame_cohort_counts"] }],
  garbler: { name: "g", publicKey: key() }, evaluator: { name: "e", publicKey: key() }, investigator: { publicKey: key() }, queries: [],
});
const rows: Record<string, number> = { phame_demographic: 1000, phame_diagnosis: 200, phame_diagnosis_rollup: 300, phame_cohort_counts: 30 };
const bind = (sql: string) => bindQuery(parseQuery(sql, "q.sql"), study, (table) => rows[table], "q.sql");
const outputs = (plan: PlanNode) => plan.columns.map((column) => `${column.name} ${describeType(column.type)}${column.nullable ? " NULL" : ""}${column.countLike ? " count" : ""}`);

function errorOf(sql: string): InputError {
  try {
    bind(sql);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`expected ${sql} to be rejected`);
}

describe("query binder", () => {
  it("binds every shipped query", () => {
    for (const folder of ["queries", "simple-queries"]) {
      const path = join(repositoryRoot, "fixtures", "phame", folder);
      for (const file of readdirSync(path)) expect(bind(readFileSync(join(path, file), "utf8")).columns.length).toBeGreaterThan(0);
    }
  });

  it("types the pilot rollup with widths that cannot overflow for the public sizes", () => {
    const plan = bind(readFileSync(join(repositoryRoot, "fixtures", "phame", "queries", "diagnosis_rollup.sql"), "utf8"));
    expect(plan.kind).toBe("project");
    expect(outputs(plan).slice(0, 2)).toEqual(["age_cat CHAR(1) IN (7 values)", "gender CHAR(1) IN (4 values)"]);
    // The join has 1000 + 200 lanes, of which only the 1000 left ones can be valid, so its COUNT(*) needs 11
    // bits. The rollup's counts are CHECKed: never negative, and at most 4,000,000 from its one partner. The
    // outer SUM is sized by what it can add up to, 1,000 + 4,000,000 (23 bits), not by INT32 times 1,500 lanes.
    expect(outputs(plan)[7]).toBe("patient_cnt INT32 count");
    expect(plan.columns[7].type).toEqual({ kind: "int", bits: 23 });
    // SUM over a LEFT JOIN's nullable side can be NULL. Its inner SUM of CAST(bool AS INT64) is a count.
    expect(outputs(plan)[8]).toBe("diabetes_cnt INT32 NULL count");
    expect(plan.columns[8].type).toEqual({ kind: "int", bits: 23 });
  });

  it("gives a sum of booleans a count's width and _site only the bits its partner indices need", () => {
    const plan = bind("SELECT d._site, SUM(CAST(x.dx_diabetes AS INT64)) AS n, SUM(x.patid) AS total FROM phame_demographic d JOIN phame_diagnosis x ON d.patid = x.patid GROUP BY d._site");
    // Two partners: indices up to 2 need 3 signed bits. 1200 joined lanes, at most 1000 valid: a count needs
    // 11 bits. The patids have no declared bound, so their sum is INT32 times 1000 rows.
    expect(plan.columns.map((column) => column.type)).toEqual([{ kind: "int", bits: 3 }, { kind: "int", bits: 11 }, { kind: "int", bits: 32 + 11 - 1 }]);
  });

  it("resolves aliases, _site, GROUP BY expressions, HAVING and ORDER BY positions", () => {
    const plan = bind("SELECT d._site, d.gender AS g, COUNT(*) n FROM phame_demographic d WHERE d.age_cat IN ('1', '2') GROUP BY d._site, d.gender HAVING COUNT(*) > 10 ORDER BY 3 DESC, g LIMIT 4");
    expect(outputs(plan)).toEqual(["_site INT32", "g CHAR(1) IN (4 values)", "n INT32 count"]);
    expect(plan).toMatchObject({ kind: "limit", count: 4, rows: 4, input: { kind: "sort", keys: [{ column: 2, descending: true }, { column: 1, descending: false }] } });
  });

  it.each([
    ["SELECT nope FROM phame_demographic", 1, 8, "unknown column nope"],
    ["SELECT x.patid FROM phame_demographic d", 1, 8, "unknown table or alias x"],
    ["SELECT patid FROM phame_demographic d JOIN phame_diagnosis x ON d.patid = x.patid", 1, 8, "patid is ambiguous"],
    ["SELECT gender, COUNT(*) FROM phame_demographic", 1, 8, "gender must appear in GROUP BY"],
    ["SELECT COUNT(*) FROM phame_demographic WHERE COUNT(*) > 1", 1, 46, "not allowed in WHERE"],
    ["SELECT COUNT(*) FROM phame_demographic WHERE zip = 60614", 1, 50, "cannot compare CHAR(5) IN (81 values) with INT"],
    ["SELECT SUM(zip) FROM phame_demographic", 1, 12, "SUM needs a number"],
    ["SELECT patid FROM phame_demographic WHERE patid", 1, 43, "WHERE needs a condition"],
    ["SELECT zip FROM phame_demographic UNION ALL SELECT patid FROM phame_diagnosis", 1, 45, "column 1 of UNION ALL is CHAR(5) IN (81 values) in one part and INT32"],
    ["SELECT zip FROM phame_demographic ORDER BY gender", 1, 44, "ORDER BY must name an output column"],
    ["SELECT d.zip FROM phame_demographic d JOIN phame_diagnosis x ON d.patid < x.patid", 1, 73, "only equalities"],
    ["SELECT COUNT(*) FROM nope", 1, 22, "unknown table nope"],
    ["SELECT d.zip, COUNT(*) AS n FROM phame_demographic d JOIN phame_cohort_counts c ON d.patid = c.site_id GROUP BY d.zip", 1, 94, "a join's right side must be unique on the ON key, but catalyst share checks site_id unique within each partner's phame_cohort_counts, not across the 2 partners"],
    ["SELECT CAST(zip AS INT64) FROM phame_demographic", 1, 8, "cannot CAST CHAR(5) IN (81 values) AS INT64"],
    ["SELECT SUM(COUNT(*)) FROM phame_demographic", 1, 12, "aggregates cannot be nested"],
  ])("rejects %j at line %i column %i", (sql, line, column, message) => {
    const error = errorOf(sql);
    expect(error.message).toContain(message);
    expect(error.location).toEqual({ file: "q.sql", line, column });
  });
});
