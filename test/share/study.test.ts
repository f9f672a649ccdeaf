import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { IntegrityError, InputError } from "../../src/share/errors.js";
import { createStudy, parseStudy, serializeStudy, type StudyDefinition } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const key = () => x25519.getPublicKey(x25519.utils.randomSecretKey());
const definition: StudyDefinition = {
  name: "Test",
  minCellCount: 11,
  tables: parseTablesSql("t (a INT32, b CHAR(2)); u (c BOOL)"),
  partners: [{ name: "site1", tables: ["t", "u"] }, { name: "site2", tables: ["t"] }],
  garbler: { name: "nm", publicKey: key() },
  evaluator: { name: "ac", publicKey: key() },
  investigator: { publicKey: key() },
  queries: [{ name: "q_count", sql: "SELECT COUNT(*) FROM t" }],
};

describe("study files", () => {
  it("are the same bytes for the same definition, with an id derived from the content", () => {
    const first = serializeStudy(createStudy(definition));
    expect(serializeStudy(createStudy(definition))).toBe(first);
    expect(serializeStudy(createStudy({ ...definition, minCellCount: 5 }))).not.toBe(first);
    expect(createStudy(definition).id).toMatch(/^[0-9a-f]{32}$/);
    expect(createStudy({ ...definition, id: "pilot-2026" }).id).toBe("pilot-2026");
  });

  it("parse back to the same study", () => {
    const study = createStudy(definition);
    expect(parseStudy(serializeStudy(study))).toEqual(study);
  });

  it("keep CHECK bounds, and the bytes of studies without them", () => {
    const bounded = createStudy({ ...definition, tables: parseTablesSql("t (a INT32 CHECK (a BETWEEN 0 AND 9), b CHAR(2), CHECK (SUM(a) <= 40)); u (c BOOL)") });
    const text = serializeStudy(bounded);
    expect(parseStudy(text)).toEqual(bounded);
    expect(parseStudy(text).tables[0].columns[0]).toEqual({ name: "a", type: { kind: "int32" }, range: { min: 0n, max: 9n }, sumAtMost: 40n });
    expect(() => parseStudy(text.replace('"sumAtMost": "40"', '"sumAtMost": "41"'), "study.json")).toThrow(IntegrityError);
    expect(serializeStudy(createStudy(definition))).not.toContain("sumAtMost");
    expect(serializeStudy(createStudy(definition))).not.toContain('"min"');
  });

  it("detect any change to their content", () => {
    const text = serializeStudy(createStudy(definition));
    for (const [from, to] of [['"minCellCount": 11', '"minCellCount": 1'], ['"name": "site2"', '"name": "site3"'], ['COUNT(*)', 'SUM(a)']]) {
      expect(text.includes(from)).toBe(true);
      expect(() => parseStudy(text.replace(from, to), "study.json")).toThrow(IntegrityError);
    }
    expect(() => parseStudy("{", "study.json")).toThrow(InputError);
  });

  it("refuse one key for both compute parties, unknown tables and duplicate names", () => {
    expect(() => createStudy({ ...definition, evaluator: { name: "ac", publicKey: definition.garbler.publicKey } })).toThrow(/same public key/);
    expect(() => createStudy({ ...definition, partners: [{ name: "site1", tables: ["nope"] }] })).toThrow(/not defined/);
    expect(() => createStudy({ ...definition, evaluator: { ...definition.evaluator, name: "nm" } })).toThrow(/different names/);
    expect(() => createStudy({ ...definition, queries: [...definition.queries, ...definition.queries] })).toThrow(/two queries/);
    expect(() => createStudy({ ...definition, minCellCount: 0 })).toThrow(/minimum cell count/);
  });
});
