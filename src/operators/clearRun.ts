/**
 * The same plan in the clear, on the plaintext backend, over the partners' CSVs: the paper's way to build
 * trust in MPC results on synthetic or non-sensitive data (and what `catalyst verify` grows from).
 */
import { createReadStream } from "node:fs";
import { PlaintextBackend } from "../circuit/plaintextBackend.js";
import { bitPlanesToRows, rowsToBitPlanes } from "../share/bitPlaneLayout.js";
import { readCsvRows } from "../share/csvTable.js";
import { RowCodec, type Cell } from "../share/rowCodec.js";
import { rowBits } from "../share/schema.js";
import { findTable, type Study } from "../share/study.js";
import type { QueryPlan } from "./builtinQueries.js";

/** Runs `plan` on the union of the CSVs (in study partner order) and returns the released rows. */
export async function runPlanInTheClear(study: Study, plan: QueryPlan, csvOfPartner: (partner: string) => string): Promise<Cell[][]> {
  const schema = findTable(study, plan.table);
  const codec = new RowCodec(schema.columns);
  const rows: Cell[][] = [];
  for (const partner of study.partners.filter((candidate) => candidate.tables.includes(plan.table))) {
    const file = csvOfPartner(partner.name);
    for await (const batch of readCsvRows(createReadStream(file), schema, { file })) rows.push(...batch);
  }
  const data = new Uint8Array(rows.length * codec.recordBytes);
  rows.forEach((row, index) => codec.encode(data, index, row));
  const backend = new PlaintextBackend();
  const output = await plan.circuit(backend, backend.constant(rowsToBitPlanes(data, rows.length, codec.recordBytes, rowBits(schema.columns))), rows.length);
  const outputCodec = new RowCodec(plan.outputColumns(rows.length));
  const packed = bitPlanesToRows(backend.outputShare(output), plan.outputRows, outputCodec.recordBytes, rowBits(plan.outputColumns(rows.length)));
  const released: Cell[][] = [];
  for (let index = 0; index < plan.outputRows; index++) {
    const row = outputCodec.decode(packed, index);
    if (row.valid) released.push(row.cells);
  }
  return released;
}
