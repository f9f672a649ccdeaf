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
    for await (const { record, info } of records) {
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

/** Records queued before the feeding waits for the reader. */
const QUEUED_RECORDS = 8192;

/**
 * The parser's records, fed text decoded here and read through its events: csv-parse's Node build and its
 * browser build (which the portal bundles instead) both work this way, though only the first can be iterated.
 * The parser is never paused: the feeding waits instead until the reader has taken the queue below the limit,
 * so every record before a bad one reaches the reader before the parser's error does, in both builds.
 * Stopping early (a bad row) stops the feeding too.
 */
async function* csvRecords(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<CsvRecord> {
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true });
  const queue: CsvRecord[] = [];
  let failure: Error | undefined;
  let ended = false;
  let stopped = false;
  let wakeReader: (() => void) | undefined;
  let wakeFeeder: (() => void) | undefined;
  const notify = () => { wakeReader?.(); wakeReader = undefined; };
  const release = () => { wakeFeeder?.(); wakeFeeder = undefined; };
  parser.on("data", (record: CsvRecord) => { queue.push(record); notify(); });
  parser.on("error", (error: Error) => { failure ??= error; notify(); release(); });
  parser.on("end", () => { ended = true; notify(); });
  const feeding = (async () => {
    const decoder = new TextDecoder("utf-8");
    let wrote = false;
    const feed = async (text: string) => {
      while (queue.length >= QUEUED_RECORDS && !stopped && !failure) await new Promise<void>((resolve) => { wakeFeeder = resolve; });
      if (text.length === 0 || stopped || failure) return;
      parser.write(text);
      wrote = true;
    };
    try {
      for await (const chunk of source) {
        if (stopped || failure) return;
        await feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
      }
      if (stopped || failure) return;
      await feed(decoder.decode());
      // An empty file: nothing to flush (the browser build cannot end a parser that never saw a byte).
      if (!wrote) { ended = true; notify(); return; }
      if (!stopped && !failure) parser.end();
    } catch (error) {
      failure ??= error as Error;
      notify();
    }
  })();
  try {
    for (;;) {
      if (queue.length > 0) {
        const record = queue.shift()!;
        if (queue.length < QUEUED_RECORDS) release();
        yield record;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      release();
      await new Promise<void>((resolve) => { wakeReader = resolve; if (queue.length > 0 || failure || ended) notify(); });
    }
  } finally {
    stopped = true;
    release();
    await feeding;
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
