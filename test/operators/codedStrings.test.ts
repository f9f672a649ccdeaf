/**
 * Dictionary-coded strings: a TABLES.sql `CHECK (x IN (…))` makes the circuit carry a value's index instead of
 * its bytes. Every query must give exactly what the same query gives over the uncoded column, in the clear and
 * garbled, for fewer ANDs; literals must be listed values, and codes never meet uncoded strings.
 */
import { describe, expect, it } from "@jest/globals";
import { PlaintextBackend } from "../../src/circuit/plaintextBackend.js";
import { runGarbled } from "../../src/circuit/twoParty.js";
import { compileQuery, type InputSizes } from "../../src/operators/compile.js";
import { InputError } from "../../src/share/errors.js";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { rowBits } from "../../src/share/schema.js";
import type { Study } from "../../src/share/study.js";
import { inputBits, releasedRows } from "../helpers/circuitRows.js";
import { inlineStudy } from "../helpers/inlineStudy.js";

const CITIES = "'Zürich', 'Aarau', 'Bern', 'Ab', 'Basel'";
const tablesSql = (coded: boolean) => `
  visits (patid INT32, city VARCHAR(8)${coded ? ` CHECK (city IN (${CITIES}))` : ""}, kind CHAR(1)${coded ? " CHECK (kind IN ('o', 'i', 'e'))" : ""}, cost INT32 CHECK (cost BETWEEN 0 AND 1000));
  places (city VARCHAR(8)${coded ? ` CHECK (city IN (${CITIES}))` : ""}, region CHAR(2))`;
const studyOf = (coded: boolean): Study => inlineStudy({
  name: coded ? "coded" : "plain", minCellCount: 1, tablesSql: tablesSql(coded),
  partners: [{ name: "a", tables: ["visits", "places"] }, { name: "b", tables: ["visits"] }],
});
const coded = studyOf(true);
const plain = studyOf(false);

const visits: Cell[][][] = [
  [[1, "Bern", "o", 10], [2, "Zürich", "i", 200], [3, "Ab", "e", 5], [4, "Bern", "i", 40], [5, "Aarau", "o", 0]],
  [[6, "Zürich", "o", 7], [7, "Basel", "e", 1000], [8, "Bern", "o", 3], [9, "Ab", "i", 12]],
];
const places: Cell[][] = [["Bern", "BE"], ["Zürich", "ZH"], ["Basel", "BS"], ["Aarau", "AG"], ["Ab", "XX"]];
const sizes: InputSizes = { visits: visits.map((rows, partner) => ({ partner, rows: rows.length })), places: [{ partner: 0, rows: places.length }] };

async function run(study: Study, sql: string): Promise<{ plain: Cell[][]; garbled: Cell[][]; andGates: number }> {
  const compiled = compileQuery(study, { name: "q", sql }, sizes);
  const inputs = compiled.tables.map((table) => inputBits(study.tables.find((candidate) => candidate.name === table)!.columns, table === "visits" ? visits.flat() : places));
  const decode = (share: Uint8Array) => releasedRows(compiled.outputColumns, compiled.outputRows, share);
  const backend = new PlaintextBackend();
  const clear = decode(backend.outputShare(await compiled.circuit(backend, inputs.map((bits) => backend.constant(bits)))));
  const garbled = await runGarbled(async (garbling, wires) => [await compiled.circuit(garbling, wires)], inputs);
  const cost = await compiled.cost(compiled.tables.map((table) => (table === "visits" ? 9 : 5) * rowBits(study.tables.find((candidate) => candidate.name === table)!.columns)));
  return { plain: clear, garbled: decode(garbled.outputs[0]), andGates: cost.andGates };
}

const errorOf = (sql: string): InputError => {
  try {
    compileQuery(coded, { name: "q", sql }, sizes);
  } catch (error) {
    return error as InputError;
  }
  throw new Error(`expected ${sql} to be refused`);
};

describe("dictionary-coded strings", () => {
  it("lists a CHECK's values in the circuit's string order (UTF-8 bytes) and codes them in few bits", () => {
    const city = coded.tables[0].columns[1];
    expect(city.values).toEqual(["Aarau", "Ab", "Basel", "Bern", "Zürich"]);
    // valid + patid 32 + city 3 + kind 2 + cost 32, against 8 bytes and 1 byte uncoded.
    expect(rowBits(coded.tables[0].columns)).toBe(1 + 32 + 3 + 2 + 32);
    expect(rowBits(plain.tables[0].columns)).toBe(1 + 32 + 64 + 8 + 32);
  });

  it.each([
    "SELECT city, COUNT(*) AS n, SUM(cost) AS cost FROM visits GROUP BY city ORDER BY city",
    "SELECT city, kind, COUNT(*) AS n FROM visits GROUP BY city, kind ORDER BY city DESC, kind",
    "SELECT patid FROM visits WHERE city = 'Bern' AND kind <> 'i' ORDER BY patid",
    "SELECT patid, city FROM visits WHERE city IN ('Ab', 'Zürich') OR kind NOT IN ('o', 'i') ORDER BY patid",
    "SELECT patid FROM visits WHERE city BETWEEN 'Ab' AND 'Bern' ORDER BY patid",
    "SELECT patid FROM visits WHERE city < 'Basel' OR city >= 'Zürich' ORDER BY patid",
    "SELECT CASE WHEN cost > 100 THEN 'Zürich' ELSE city END AS place, COUNT(*) AS n FROM visits GROUP BY CASE WHEN cost > 100 THEN 'Zürich' ELSE city END ORDER BY place",
    "SELECT p.region, COUNT(*) AS n FROM visits v JOIN places p ON v.city = p.city GROUP BY p.region ORDER BY p.region",
    "SELECT city, COUNT(*) AS n FROM (SELECT city FROM visits UNION ALL SELECT city FROM places) u GROUP BY city ORDER BY n DESC, city",
  ])("%s: the same rows as uncoded strings, in the clear and garbled, for fewer ANDs", async (sql) => {
    const [fromCodes, fromBytes] = await Promise.all([run(coded, sql), run(plain, sql)]);
    expect(fromCodes.plain.length).toBeGreaterThan(0);
    expect(fromCodes.plain).toEqual(fromBytes.plain);
    expect(fromCodes.garbled).toEqual(fromBytes.plain);
    expect(fromCodes.andGates).toBeLessThan(fromBytes.andGates);
  });

  it.each([
    ["SELECT patid FROM visits WHERE city = 'Lugano'", 1, 39, "'Lugano' is not one of the values the CHECK lists for this coded column ('Aarau', 'Ab', 'Basel', 'Bern', 'Zürich')"],
    ["SELECT patid FROM visits WHERE kind IN ('o', 'x')", 1, 46, "'x' is not one of the values"],
    ["SELECT CAST(city AS VARCHAR(9)) AS c FROM visits", 1, 8, "cannot CAST a CHAR(8) IN (5 values)"],
    ["SELECT patid FROM visits v JOIN places p ON v.kind = p.region", 1, 52, "cannot join CHAR(1) IN (3 values) with CHAR(2)"],
    ["SELECT kind FROM visits UNION ALL SELECT region FROM places", 1, 35, "column 1 of UNION ALL is CHAR(1) IN (3 values) in one part and CHAR(2) in another"],
  ])("refuses %j at line %i column %i", (sql, line, column, message) => {
    const error = errorOf(sql as string);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(message);
    expect(error.location).toMatchObject({ line, column });
  });

  it("decodes a released code back to its value, and refuses a code past the list as tampering", () => {
    const columns = [{ name: "city", type: { kind: "varchar" as const, length: 8 }, values: ["Aarau", "Ab", "Basel"] }];
    const codec = new RowCodec(columns);
    const data = new Uint8Array(2 * codec.recordBytes);
    codec.encode(data, 0, ["Basel"]);
    expect(codec.decode(data, 0).cells).toEqual(["Basel"]);
    expect(() => codec.encode(data, 1, ["Bern"])).toThrow(/'Bern' is not one of the values its CHECK lists/);
    data[codec.recordBytes] = 0b111; // valid, then code 3 of 3 values
    expect(() => codec.decode(data, 1)).toThrow(/holds code 3, but its CHECK lists 3 values/);
  });
});
