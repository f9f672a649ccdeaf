/** `catalyst share` enforces a table's CHECK bounds while it reads the CSV, naming the line and column. */
import { describe, expect, it } from "@jest/globals";
import { readCsvRows } from "../../src/share/csvTable.js";
import { InputError } from "../../src/share/errors.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const [table] = parseTablesSql("counts (zip CHAR(5), n INT32 CHECK (n >= 0), d INT64 CHECK (d BETWEEN -8 AND 7), CHECK (SUM(n) <= 100))");
const [coded] = parseTablesSql("visits (patid INT32, gender CHAR(1) CHECK (gender IN ('F', 'M', 'N', '0')), zip CHAR(5) CHECK (zip IN ('60601', '60602', '60603', '60604', '60605', '60606', '60607', '60608', '60609', '60610')))");

async function read(text: string, schema = table): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  async function* source() { yield text; }
  for await (const batch of readCsvRows(source(), schema, { file: "counts.csv", batchRows: 2 })) rows.push(...batch);
  return rows;
}

async function failure(text: string, schema = table): Promise<InputError> {
  try {
    await read(text, schema);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected the CSV to be refused");
}

describe("CHECK bounds on CSV input", () => {
  it("accepts values at the very edge of every bound", async () => {
    expect(await read("zip,n,d\n60601,60,-8\n60614,40,7\n60622,0,0\n")).toEqual([["60601", 60, -8n], ["60614", 40, 7n], ["60622", 0, 0n]]);
  });

  it.each([
    ["zip,n,d\n60601,1,0\n60614,-1,0\n", 3, 2, "expected a value from 0 to 2147483647 (the study's CHECK), got -1"],
    ["d,zip,n\n0,60601,1\n8,60614,0\n", 3, 1, "expected a value from -8 to 7 (the study's CHECK), got 8"],
    ["zip,n,d\n60601,60,0\n60614,30,0\n60622,11,0\n60623,0,0\n", 4, 2, "add up to 101, more than the study's CHECK (SUM(n) <= 100)"],
  ])("refuses %j at line %i, column %i", async (text, line, column, message) => {
    const error = await failure(text);
    expect(error.location).toEqual({ file: "counts.csv", line, column });
    expect(error.message).toContain(message);
    expect(error.code).toBe("out-of-range");
  });

  it("accepts only the values a string column's CHECK lists", async () => {
    expect(await read("patid,gender,zip\n1,F,60601\n2,0,60610\n", coded)).toEqual([[1, "F", "60601"], [2, "0", "60610"]]);
    const gender = await failure("patid,gender,zip\n1,F,60601\n2,f,60601\n", coded);
    expect(gender.location).toEqual({ file: "counts.csv", line: 3, column: 2 });
    expect(gender.message).toBe("column 2 (gender): expected one of the values the study's CHECK lists ('0', 'F', 'M', 'N'), got 'f'");
    expect(gender.code).toBe("out-of-range");
    const zip = await failure("zip,patid,gender\n60699,1,M\n", coded);
    expect(zip.location).toEqual({ file: "counts.csv", line: 2, column: 1 });
    expect(zip.message).toContain("('60601', '60602', '60603', '60604', '60605', '60606', '60607', '60608' and 2 more), got '60699'");
  });
});
