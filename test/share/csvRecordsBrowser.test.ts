/**
 * The CSV reader on csv-parse's browser build (which the portal bundles) gives exactly what it gives on the
 * Node build (test/share/csvChecks.test.ts and the CLI tests check those messages): the same rows and the
 * same first error whatever the chunking, and an empty file's message.
 */
import { describe, expect, it, jest } from "@jest/globals";
import type { TableSchema } from "../../src/share/schema.js";

jest.unstable_mockModule("csv-parse", () => import("csv-parse/browser/esm"));
const browser = await import("../../src/share/csvTable.js");

const schema: TableSchema = { name: "t", columns: [{ name: "id", type: { kind: "int32" } }, { name: "note", type: { kind: "varchar", length: 8 } }] };

async function outcome(reader: typeof browser, text: string, chunkBytes: number): Promise<{ rows: number; error?: string }> {
  const bytes = new TextEncoder().encode(text);
  async function* chunks() { for (let start = 0; start < bytes.length; start += chunkBytes) yield bytes.subarray(start, start + chunkBytes); }
  let rows = 0;
  try {
    for await (const batch of reader.readCsvRows(chunks(), schema, { file: "t.csv" })) rows += batch.length;
    return { rows };
  } catch (error) {
    return { rows, error: (error as { describe(): string }).describe() };
  }
}

describe("the CSV reader on csv-parse's browser build", () => {
  const lines = ["id,note", ...Array.from({ length: 12_000 }, (_, index) => `${index},n${index % 97}`)];
  const good = lines.join("\n") + "\n";
  const badValue = [...lines];
  badValue[9001] = "x9001,bad";
  badValue[9101] = '9101,"unclosed"x';
  const bad = badValue.join("\n") + "\n";

  it.each([1 << 20, 65_536, 7_919])("reads the same rows and reports the same first error in chunks of %i bytes", async (chunkBytes) => {
    expect(await outcome(browser, good, chunkBytes)).toEqual({ rows: 12_000 });
    // The bad value comes 100 lines before a malformed quote: the bad value is reported, as on Node.
    expect((await outcome(browser, bad, chunkBytes)).error).toBe('t.csv:9002:1: column 1 (id): expected an INT32 (a whole number), got "x9001"');
  });

  it("says an empty file is empty, as the CLI does", async () => {
    expect((await outcome(browser, "", 1024)).error).toBe("t.csv:1:1: the file is empty: expected a header line naming the columns id, note");
  });
});
