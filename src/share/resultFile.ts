/** Result files: one compute party's XOR share of a query's output table, sealed to the investigator. */
import { divideAverages } from "./averages.js";
import { IntegrityError } from "./errors.js";
import { RowCodec, type Cell } from "./rowCodec.js";
import { parseTypeName, typeName, type Column } from "./schema.js";
import { openSealed, SealedWriter, type ByteSink, type SealedHeader } from "./sealedStream.js";
import { fingerprint } from "./keys.js";
import { parseValues, partyOf, roleOfKey, ROLES, type Role, type Study } from "./study.js";
import { xorBytes } from "./xorShare.js";

export const RESULT_FORMAT_VERSION = 1;

interface ColumnDescription {
  name: string;
  type: string;
  suppressible: boolean;
  nullable: boolean;
  average?: "sum" | "count";
  /** A coded column's values, which its codes index. */
  values?: string[];
}

export interface ResultHeader extends SealedHeader {
  kind: "result";
  version: number;
  study: string;
  studyDigest: string;
  query: string;
  /** Both parties of one computation agree on this id, so shares of different runs never mix. */
  run: string;
  role: Role;
  party: string;
  columns: ColumnDescription[];
  rowBytes: number;
  /** False where the query asks for no order, so its rows were shuffled: `reveal` sorts them. Absent: true. */
  ordered?: boolean;
}

export interface ResultIdentity {
  query: string;
  run: string;
  role: Role;
  columns: Column[];
  /** Whether the rows are in the query's order (ORDER BY), rather than in one that means nothing. */
  ordered: boolean;
}

/** `QUERY.PARTY.result`, in a compute party's output folder. */
export function resultFileName(identity: { query: string; role: Role }, study: Study): string {
  return `${identity.query}.${partyOf(study, identity.role).name}.result`;
}

function describeColumns(columns: Column[]): ColumnDescription[] {
  return columns.map((column) => ({
    name: column.name, type: typeName(column.type), suppressible: Boolean(column.suppressible), nullable: Boolean(column.nullable),
    ...(column.average ? { average: column.average } : {}),
    ...(column.values ? { values: [...column.values] } : {}),
  }));
}

/** The output schema a result header describes. */
function headerColumns(descriptions: ColumnDescription[]): Column[] {
  return descriptions.map((column) => ({
    name: column.name, type: parseTypeName(column.type, true)!, suppressible: column.suppressible, nullable: column.nullable,
    ...(column.average === "sum" || column.average === "count" ? { average: column.average } : {}),
    ...parseValues(column.values),
  }));
}

/**
 * Seals a party's share of the output (rows × rowBytes of the output schema) to the investigator,
 * authenticated with the party's own key so that nobody else can make a result file in its name.
 */
export async function writeResultShare(study: Study, identity: ResultIdentity, share: Uint8Array, sink: ByteSink, partySecretKey: Uint8Array): Promise<{ digest: string; rows: number }> {
  const codec = new RowCodec(identity.columns);
  if (share.length % codec.recordBytes !== 0) throw new RangeError(`result share of ${share.length} bytes is not a whole number of ${codec.recordBytes}-byte rows`);
  const fields: Omit<ResultHeader, keyof SealedHeader> = {
    kind: "result", version: RESULT_FORMAT_VERSION, study: study.id, studyDigest: study.digest,
    query: identity.query, run: identity.run, role: identity.role, party: partyOf(study, identity.role).name,
    columns: describeColumns(identity.columns), rowBytes: codec.recordBytes, ordered: identity.ordered,
  };
  const writer = new SealedWriter(study.investigator.publicKey, fields, sink, { secretKey: partySecretKey, publicKey: partyOf(study, identity.role).publicKey });
  await writer.write(share);
  const { digest } = await writer.finish();
  return { digest, rows: share.length / codec.recordBytes };
}

export interface OpenedResult {
  header: ResultHeader;
  columns: Column[];
  data: Uint8Array;
}

/** Decrypts one result share with the investigator's secret key and checks it belongs to `study`. */
export async function openResultFile(source: AsyncIterable<Uint8Array>, secretKey: Uint8Array, study: Study, file: string): Promise<OpenedResult> {
  let header: ResultHeader | undefined;
  const chunks: Uint8Array[] = [];
  // Each result must be authenticated by the compute party its header names.
  for await (const chunk of openSealed(source, secretKey, file, (sealed) => { header = checkResultHeader(sealed, study, file); return partyOf(study, header.role).publicKey; })) chunks.push(chunk.slice());
  if (!header) throw new IntegrityError("empty sealed file", { file }, "truncated");
  const data = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) { data.set(chunk, offset); offset += chunk.length; }
  const columns = headerColumns(header.columns);
  if (data.length % new RowCodec(columns).recordBytes !== 0) throw new IntegrityError("holds a partial row", { file }, "tampered");
  return { header, columns, data };
}

function checkResultHeader(sealed: SealedHeader, study: Study, file: string): ResultHeader {
  const header = sealed as ResultHeader;
  if (header.kind !== "result") throw new IntegrityError(`not a result file (it is a ${String(header.kind)} file)`, { file }, "wrong-kind");
  if (header.version !== RESULT_FORMAT_VERSION) throw new IntegrityError(`unsupported result format version ${header.version}`, { file }, "version");
  if (header.study !== study.id || header.studyDigest !== study.digest) {
    throw new IntegrityError(`belongs to another study (${header.study}), not to "${study.name}" (${study.id})`, { file }, "foreign-study");
  }
  if (!ROLES.includes(header.role)) throw new IntegrityError(`names an unknown role ${String(header.role)}`, { file }, "tampered");
  const badValues = (values: unknown) => values !== undefined && (!Array.isArray(values) || values.length === 0 || values.some((value) => typeof value !== "string"));
  if (!Array.isArray(header.columns) || header.columns.some((column) => !parseTypeName(String(column.type), true) || badValues(column.values))) {
    throw new IntegrityError("its output schema is damaged", { file }, "tampered");
  }
  if (header.ordered !== undefined && typeof header.ordered !== "boolean") throw new IntegrityError("its row order flag is damaged", { file }, "tampered");
  const codec = new RowCodec(headerColumns(header.columns));
  if (header.rowBytes !== codec.recordBytes) throw new IntegrityError("its row width does not match its output schema", { file }, "tampered");
  return header;
}

export interface RevealedResult {
  query: string;
  run: string;
  columns: Column[];
  rows: Cell[][];
  /** Rows the computation marked as dummies (padding, filtered or suppressed groups), dropped here. */
  dummyRows: number;
  suppressedCells: number;
}

/** Refuses any key but the study's investigator's: only it opens result shares. */
export function checkInvestigatorKey(study: Study, publicKey: Uint8Array, file?: string): void {
  if (roleOfKey(study, publicKey) !== "investigator") {
    throw new IntegrityError(`this key (${fingerprint(publicKey)}) is not the investigator's key of study "${study.name}" (${fingerprint(study.investigator.publicKey)})`, { file }, "wrong-key");
  }
}

/** XORs the garbler's and the evaluator's shares of one run and decodes the released rows. */
export function revealResult(garbler: OpenedResult, evaluator: OpenedResult, files: Record<Role, string>): RevealedResult {
  if (garbler.header.role !== "garbler") throw new IntegrityError(`is the ${garbler.header.role}'s share, expected the garbler's`, { file: files.garbler }, "wrong-party");
  if (evaluator.header.role !== "evaluator") throw new IntegrityError(`is the ${evaluator.header.role}'s share, expected the evaluator's`, { file: files.evaluator }, "wrong-party");
  if (garbler.header.query !== evaluator.header.query) {
    throw new IntegrityError(`the shares are of different queries (${garbler.header.query} and ${evaluator.header.query})`, { file: files.evaluator }, "mismatched-shares");
  }
  if (garbler.header.run !== evaluator.header.run) {
    throw new IntegrityError(`the shares come from different runs (${garbler.header.run} and ${evaluator.header.run}); use the two files of the same computation`, { file: files.evaluator }, "mismatched-shares");
  }
  if (JSON.stringify(garbler.header.columns) !== JSON.stringify(evaluator.header.columns) || garbler.data.length !== evaluator.data.length || garbler.header.ordered !== evaluator.header.ordered) {
    throw new IntegrityError("the two shares disagree on the output schema or size", { file: files.evaluator }, "mismatched-shares");
  }
  const plain = xorBytes(garbler.data, evaluator.data);
  const codec = new RowCodec(garbler.columns);
  const total = plain.length / codec.recordBytes;
  const rows: Cell[][] = [];
  for (let index = 0; index < total; index++) {
    const row = codec.decode(plain, index);
    if (row.valid) rows.push(row.cells);
  }
  // Rows in an order that means nothing (shuffled inside MPC) are written sorted, so the same result reads the same.
  if (garbler.header.ordered === false) rows.sort(compareRows);
  // What the investigator sees: each AVG divided from its SUM and COUNT.
  const shown = divideAverages(garbler.columns, rows);
  const suppressedCells = shown.rows.reduce((sum, row) => sum + row.filter((cell) => typeof cell === "object" && "suppressed" in cell).length, 0);
  return { query: garbler.header.query, run: garbler.header.run, columns: shown.columns, rows: shown.rows, dummyRows: total - rows.length, suppressedCells };
}

/** NULL first, then suppressed, then values: numbers by value, text by code unit, false before true. */
function compareCells(a: Cell, b: Cell): number {
  const rank = (cell: Cell) => (typeof cell === "object" ? ("null" in cell ? 0 : 1) : 2);
  if (rank(a) !== rank(b) || typeof a === "object" || typeof b === "object") return rank(a) - rank(b);
  if (typeof a === "string" || typeof b === "string") return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rows compared cell by cell, the first column most significant. */
function compareRows(a: Cell[], b: Cell[]): number {
  for (let index = 0; index < a.length; index++) {
    const order = compareCells(a[index], b[index]);
    if (order !== 0) return order;
  }
  return 0;
}
