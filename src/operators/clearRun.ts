/**
 * Queries in the clear, on the plaintext backend, over the partners' CSVs: the paper's way to build trust in
 * MPC results on synthetic or non-sensitive data (and what `catalyst verify` grows from). The same compiled
 * circuit runs here as in MPC, so the answers must match bit for bit.
 */
import { createReadStream } from "node:fs";
import { PlaintextBackend } from "../circuit/plaintextBackend.js";
import { bitPlanesToRows, rowsToBitPlanes } from "../share/bitPlaneLayout.js";
import { divideAverages } from "../share/averages.js";
import { readCsvRows, type Row } from "../share/csvTable.js";
import { RowCodec, type Cell } from "../share/rowCodec.js";
import { rowBits } from "../share/schema.js";
import { findTable, type Query, type Study } from "../share/study.js";
import { sortRows } from "../share/rowOrder.js";
import { compileQuery, queryTables, type CompileOptions, type InputSizes, type QueryCircuit } from "./compile.js";
import { studySortOrders } from "./joinKeys.js";

/** Runs a circuit on plaintext tables (rows per table, in the circuit's table order) and returns the released rows. */
export async function runInTheClear(study: Study, tables: string[], rowsOf: Cell[][][], compiled: QueryCircuit): Promise<Cell[][]> {
  const backend = new PlaintextBackend();
  const inputs = tables.map((table, index) => {
    const schema = findTable(study, table);
    const codec = new RowCodec(schema.columns);
    const rows = rowsOf[index];
    const data = new Uint8Array(rows.length * codec.recordBytes);
    rows.forEach((row, lane) => codec.encode(data, lane, row));
    return backend.constant(rowsToBitPlanes(data, rows.length, codec.recordBytes, rowBits(schema.columns)));
  });
  const output = await compiled.circuit(backend, inputs);
  const codec = new RowCodec(compiled.outputColumns);
  const packed = bitPlanesToRows(backend.outputShare(output), compiled.outputRows, codec.recordBytes, rowBits(compiled.outputColumns));
  const released: Cell[][] = [];
  for (let index = 0; index < compiled.outputRows; index++) {
    const row = codec.decode(packed, index);
    if (row.valid) released.push(row.cells);
  }
  return released;
}

/** A study query over the partners' CSVs in the clear: `csvOf(partner, table)` names each file. */
export async function queryInTheClear(study: Study, query: Query, csvOf: (partner: string, table: string) => string, options: CompileOptions = {}): Promise<Cell[][]> {
  const tables = queryTables(study, query, { pushdown: false });
  const sortedInputs = studySortOrders(study);
  const rowsOf: Cell[][][] = [];
  const sizes: InputSizes = {};
  for (const table of tables) {
    sizes[table] = [];
    const rows: Cell[][] = [];
    for (const [partnerIndex, partner] of study.partners.entries()) {
      if (!partner.tables.includes(table)) continue;
      const file = csvOf(partner.name, table);
      const schema = findTable(study, table);
      const before = rows.length;
      let part: Row[] = [];
      for await (const batch of readCsvRows(createReadStream(file), schema, { file })) part.push(...batch);
      // Sorted as `catalyst share` sorts each upload, so that the same circuit runs here as in MPC.
      if (sortedInputs[table]) part = sortRows(schema, sortedInputs[table], part);
      // One by one: spreading a partner's rows into push() overflows the call stack at about 120k rows.
      for (const row of part) rows.push(row);
      sizes[table].push({ partner: partnerIndex, rows: rows.length - before });
    }
    rowsOf.push(rows);
  }
  const compiled = compileQuery(study, query, sizes, { sortedInputs, pushdown: false, ...options });
  const released = await runInTheClear(study, compiled.tables, compiled.tables.map((table) => rowsOf[tables.indexOf(table)]), compiled);
  return divideAverages(compiled.outputColumns, released).rows;
}
