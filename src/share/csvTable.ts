/** Streams a CSV file into validated rows of a table schema, with errors that say file, line and column. */
import { parse, CsvError } from "csv-parse";
import { InputError } from "./errors.js";
import { describeValues, type TableSchema } from "./schema.js";
import { parseValue, type Value } from "./values.js";

export type Row = Value[];

export interface CsvOptions {
  /** The name used in error messages. */
  file: string;
  /** Rows per yielded batch: large enough to amortise encoding, small enough to stay in memory. */
  batchRows?: number;
  /** Column sets whose values must not repeat in this file, each with the reason given if one does. */
  uniqueKeys?: Array<{ columns: string[]; reason: string }>;
}

/**
 * Yields batches of rows in schema column order. The header must name exactly the schema's columns,
 * in any order (case and surrounding spaces ignored). Accepts a UTF-8 BOM, CRLF and quoted fields.
 */
export async function* readCsvRows(source: AsyncIterable<Uint8Array | string>, schema: TableSchema, options: CsvOptions): AsyncGenerator<Row[]> {
  const { file } = options;
  const batchRows = options.batchRows ?? 8192;
  const records = csvRecords(source);
  let order: number[] | undefined;
  let batch: Row[] = [];
  const uniqueKeys = (options.uniqueKeys ?? []).map((key) => ({
    ...key, indices: key.columns.map((name) => schema.columns.findIndex((column) => column.name === name)), seen: new Map<string, number>(),
  }));
  for (const key of uniqueKeys) if (key.indices.includes(-1)) throw new RangeError(`unique key ${key.columns.join(", ")} is not in table ${schema.name}`);
  const totals = schema.columns.map((column) => (column.sumAtMost === undefined ? undefined : { total: 0n, atMost: column.sumAtMost }));
  const allowed = schema.columns.map((column) => (column.values ? new Set(column.values) : undefined));
  try {
    for await (const chunk of records) for (const { record, info } of chunk) {
      const line = info.lines;
      if (!order) {
        order = headerOrder(record, schema, file, line);
        continue;
      }
      if (record.length !== schema.columns.length) {
        throw new InputError(`expected ${schema.columns.length} fields, found ${record.length}`, { file, line, column: Math.min(record.length, schema.columns.length) + 1 });
      }
      const row: Row = new Array(schema.columns.length);
      for (let field = 0; field < record.length; field++) {
        const target = order[field];
        const column = schema.columns[target];
        const parsed = parseValue(column.type, record[field]);
        if ("expected" in parsed) {
          throw new InputError(`column ${field + 1} (${column.name}): expected ${parsed.expected}`, { file, line, column: field + 1 });
        }
        row[target] = parsed.value;
        const values = allowed[target];
        if (values) {
          if (!values.has(parsed.value as string)) throw new InputError(`column ${field + 1} (${column.name}): expected one of the values the study's CHECK lists (${describeValues(column.values!)}), got '${parsed.value}'`, { file, line, column: field + 1 }, "out-of-range");
          continue;
        }
        const range = column.range;
        const total = totals[target];
        if (!range && !total) continue;
        const value = BigInt(parsed.value as number | bigint);
        if (range && (value < range.min || value > range.max)) {
          throw new InputError(`column ${field + 1} (${column.name}): expected a value from ${range.min} to ${range.max} (the study's CHECK), got ${value}`, { file, line, column: field + 1 }, "out-of-range");
        }
        if (total) {
          total.total += value;
          if (total.total > total.atMost) {
            throw new InputError(`column ${field + 1} (${column.name}): the values up to this line add up to ${total.total}, more than the study's CHECK (SUM(${column.name}) <= ${total.atMost})`, { file, line, column: field + 1 }, "out-of-range");
          }
        }
      }
      for (const key of uniqueKeys) {
        // One column as its text; several as a JSON list, which no value can imitate.
        const value = key.indices.length === 1 ? String(row[key.indices[0]]) : JSON.stringify(key.indices.map((index) => String(row[index])));
        const first = key.seen.get(value);
        if (first !== undefined) {
          const shown = key.indices.map((index, position) => `${key.columns[position]} ${String(row[index])}`).join(", ");
          throw new InputError(`${shown} appears again (first on line ${first}): ${key.reason}`, { file, line, column: order.indexOf(key.indices[0]) + 1 }, "duplicate-key");
        }
        key.seen.set(value, line);
      }
      batch.push(row);
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const details = error as CsvError & { lines?: number };
      throw new InputError(`malformed CSV: ${error.message.replace(/^Invalid[^:]*: /, "")}`, { file, line: details.lines }, "malformed-csv");
    }
    throw error;
  } finally {
    await records.return(undefined);
  }
  if (!order) throw new InputError(`the file is empty: expected a header line naming the columns ${schema.columns.map((c) => c.name).join(", ")}`, { file, line: 1, column: 1 }, "empty-file");
  if (batch.length > 0) yield batch;
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * The parser's records, a chunk's at a time: fed text decoded here and read back with `read()` right after
 * each write, in csv-parse's Node build and in its browser build alike (the portal bundles the second, which
 * cannot be iterated). Parsing a chunk pushes its records synchronously, so they are all read before the parser's
 * error about a later line can be seen: the first bad row is reported first in both builds. Stopping early
 * (a bad row) stops the feeding too.
 */
async function* csvRecords(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<CsvRecord[]> {
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true });
  let failure: Error | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => { wake?.(); wake = undefined; };
  parser.on("error", (error: Error) => { failure ??= error; notify(); });
  parser.on("end", () => { ended = true; notify(); });
  parser.on("readable", notify);
  const buffered = (): CsvRecord[] => {
    const records: CsvRecord[] = [];
    for (let record = parser.read() as CsvRecord | null; record !== null; record = parser.read() as CsvRecord | null) records.push(record);
    return records;
  };
  const decoder = new TextDecoder("utf-8");
  let wrote = false;
  for await (const chunk of source) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    if (text.length === 0) continue;
    parser.write(text);
    wrote = true;
    const records = buffered();
    if (records.length > 0) yield records;
    if (failure) throw failure;
  }
  const rest = decoder.decode();
  if (rest.length > 0) { parser.write(rest); wrote = true; }
  // An empty file: nothing to flush (the browser build cannot end a parser that never saw a byte).
  if (!wrote) return;
  parser.end();
  for (;;) {
    const records = buffered();
    if (records.length > 0) yield records;
    if (failure) throw failure;
    if (ended) return;
    await new Promise<void>((resolve) => { wake = resolve; });
  }
}

/** Maps each CSV field position to its schema column, or explains what is wrong with the header. */
function headerOrder(header: string[], schema: TableSchema, file: string, line: number): number[] {
  const wanted = new Map(schema.columns.map((column, index) => [column.name.toLowerCase(), index]));
  const order: number[] = [];
  const seen = new Set<number>();
  header.forEach((name, field) => {
    const index = wanted.get(name.trim().toLowerCase());
    if (index === undefined) {
      throw new InputError(`header column ${field + 1} "${name}" is not a column of table ${schema.name} (expected ${schema.columns.map((c) => c.name).join(", ")})`, { file, line, column: field + 1 }, "bad-header");
    }
    if (seen.has(index)) throw new InputError(`header names column "${name}" twice`, { file, line, column: field + 1 }, "bad-header");
    seen.add(index);
    order.push(index);
  });
  const missing = schema.columns.filter((_, index) => !seen.has(index)).map((column) => column.name);
  if (missing.length > 0) {
    throw new InputError(`header lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of table ${schema.name}`, { file, line, column: header.length + 1 }, "bad-header");
  }
  return order;
}
