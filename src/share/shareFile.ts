/** Share files: one XOR share of one partner's table, sealed to one compute party. */
import { IntegrityError, InputError } from "./errors.js";
import type { Row } from "./csvTable.js";
import { sortRows } from "./rowOrder.js";
import { RowCodec, type Cell } from "./rowCodec.js";
import { quoteString, typeName, type TableSchema } from "./schema.js";
import { openSealed, readSealedHeader, SealedWriter, type ByteSink, type SealedHeader } from "./sealedStream.js";
import { findPartner, findTable, partyOf, pushdownOf, ROLES, uploadedTables, type Role, type Study } from "./study.js";
import { fillRandom } from "./random.js";

export const SHARE_FORMAT_VERSION = 1;

export interface ShareHeader extends SealedHeader {
  kind: "share";
  version: number;
  study: string;
  studyDigest: string;
  partner: string;
  table: string;
  role: Role;
  party: string;
  columns: string[];
  rowBytes: number;
  /** The columns the rows are sorted by (ascending, first most significant), when the partner sorted them. */
  sortedBy?: string[];
}

/** `PARTNER/TABLE.PARTY.share`, relative to a share folder or an inbox. */
export function shareFileName(study: Study, partner: string, table: string, role: Role): string {
  return `${partner}/${table}.${partyOf(study, role).name}.share`;
}

function columnsSignature(schema: TableSchema): string[] {
  // A coded column's values decide its encoding, so they are part of its signature.
  return schema.columns.map((column) => `${column.name} ${typeName(column.type)}${column.values ? ` IN (${column.values.map(quoteString).join(", ")})` : ""}`);
}

export interface ShareOutcome {
  rows: number;
  /** SHA-256 of each sealed file, for the partner's receipt and upload checks. */
  digests: Record<Role, string>;
}

/**
 * Encodes rows, splits each batch into two XOR shares and seals each to its compute party.
 * Returns once both sealed streams are finished; on any error the sinks' output must be discarded.
 */
export async function writeTableShares(
  study: Study,
  partnerName: string,
  tableName: string,
  batches: AsyncIterable<Array<Row | Cell[]>>,
  sinks: Record<Role, ByteSink>,
  onProgress?: (rows: number) => void,
  options: {
    sortedBy?: string[];
    /** The rows already come in `sortedBy` order (a pushdown partner's partials), so only the header records it. */
    presorted?: boolean;
    /** Dummy rows (valid bit 0) appended after the rows, to pad the public row count to a bound. */
    dummyRows?: number;
  } = {},
): Promise<ShareOutcome> {
  const partner = findPartner(study, partnerName);
  const schema = findTable(study, tableName);
  const uploads = uploadedTables(study, partnerName);
  if (!uploads.includes(tableName)) {
    if (!pushdownOf(study, partnerName)) throw new InputError(`partner ${partnerName} does not contribute table ${tableName} in this study (it contributes ${partner.tables.join(", ")})`);
    const why = partner.tables.includes(tableName) ? `: ${partnerName} pushes site-local work down, so its rows never leave the site; share them with \`catalyst share --plan\`` : "";
    throw new InputError(`partner ${partnerName} does not upload table ${tableName} in this study (it uploads ${uploads.join(", ")})${why}`);
  }
  const codec = new RowCodec(schema.columns);
  const writers = Object.fromEntries(ROLES.map((role) => {
    const fields: Omit<ShareHeader, keyof SealedHeader> = {
      kind: "share", version: SHARE_FORMAT_VERSION, study: study.id, studyDigest: study.digest,
      partner: partnerName, table: tableName, role, party: partyOf(study, role).name,
      columns: columnsSignature(schema), rowBytes: codec.recordBytes,
      ...(options.sortedBy ? { sortedBy: options.sortedBy } : {}),
    };
    return [role, new SealedWriter(partyOf(study, role).publicKey, fields, sinks[role])];
  })) as Record<Role, SealedWriter>;

  let rows = 0;
  // Sorting needs every row first; the header (bound to the ciphertext) records the order for the plan.
  const ordered = options.sortedBy && !options.presorted ? sortedBatches(batches as AsyncIterable<Row[]>, (rows) => sortRows(schema, options.sortedBy!, rows)) : batches;
  const write = async (batch: ReadonlyArray<Row | Cell[]>, valid: boolean) => {
    const plaintext = new Uint8Array(batch.length * codec.recordBytes);
    batch.forEach((row, index) => codec.encode(plaintext, index, row, valid));
    const garblerShare = fillRandom(new Uint8Array(plaintext.length));
    for (let i = 0; i < plaintext.length; i++) plaintext[i] ^= garblerShare[i];
    await writers.garbler.write(garblerShare);
    await writers.evaluator.write(plaintext);
    rows += batch.length;
    onProgress?.(rows);
  };
  for await (const batch of ordered) await write(batch, true);
  // All-zero records behind a cleared valid bit: once shared, indistinguishable from real rows.
  // A coded column's first value is code 0.
  const dummy = schema.columns.map((column): Cell => (column.type.kind === "bool" ? false : column.values ? column.values[0] : column.type.kind === "char" || column.type.kind === "varchar" ? "" : 0n));
  for (let left = options.dummyRows ?? 0; left > 0; left -= 8192) await write(new Array(Math.min(8192, left)).fill(dummy), false);
  const [garbler, evaluator] = await Promise.all([writers.garbler.finish(), writers.evaluator.finish()]);
  return { rows, digests: { garbler: garbler.digest, evaluator: evaluator.digest } };
}

async function* sortedBatches(batches: AsyncIterable<Row[]>, sort: (rows: Row[]) => Row[], batchRows = 8192): AsyncGenerator<Row[]> {
  const unsorted: Row[] = [];
  for await (const batch of batches) for (const row of batch) unsorted.push(row);
  const all = sort(unsorted);
  for (let start = 0; start < all.length; start += batchRows) yield all.slice(start, start + batchRows);
}

/** Checks a share header against the study and the file's expected place, before or without a key. */
export function checkShareHeader(header: SealedHeader, study: Study, file: string, expected: { role?: Role; partner?: string; table?: string } = {}): ShareHeader {
  const share = header as ShareHeader;
  if (share.kind !== "share") throw new IntegrityError(`not a share file (it is a ${String(share.kind)} file)`, { file }, "wrong-kind");
  if (share.version !== SHARE_FORMAT_VERSION) throw new IntegrityError(`unsupported share format version ${share.version}`, { file }, "version");
  if (share.study !== study.id) throw new IntegrityError(`belongs to another study (${share.study}), not to "${study.name}" (${study.id})`, { file }, "foreign-study");
  if (share.studyDigest !== study.digest) throw new IntegrityError(`was made for another version of study "${study.name}" (digest ${share.studyDigest}, this study file has ${study.digest})`, { file }, "foreign-study");
  if (!ROLES.includes(share.role)) throw new IntegrityError(`names an unknown role ${String(share.role)}`, { file }, "tampered");
  if (expected.role && share.role !== expected.role) {
    throw new IntegrityError(`is the ${share.role}'s share (${share.party}), not the ${expected.role}'s (${partyOf(study, expected.role).name})`, { file }, "wrong-party");
  }
  const partner = study.partners.find((candidate) => candidate.name === share.partner);
  if (!partner || !uploadedTables(study, partner.name).includes(share.table)) {
    throw new IntegrityError(`claims partner ${share.partner} and table ${share.table}, which this study does not expect`, { file }, "unexpected-share");
  }
  if ((expected.partner && share.partner !== expected.partner) || (expected.table && share.table !== expected.table)) {
    throw new IntegrityError(`holds ${share.partner}/${share.table}, but its file name says ${expected.partner}/${expected.table}: it was renamed or moved`, { file }, "misplaced");
  }
  const schema = findTable(study, share.table);
  const codec = new RowCodec(schema.columns);
  if (share.rowBytes !== codec.recordBytes || JSON.stringify(share.columns) !== JSON.stringify(columnsSignature(schema))) {
    throw new IntegrityError(`its columns do not match table ${share.table} of this study`, { file }, "schema-mismatch");
  }
  if (share.sortedBy !== undefined && (!Array.isArray(share.sortedBy) || share.sortedBy.some((name) => !schema.columns.some((column) => column.name === name)))) {
    throw new IntegrityError(`claims a sort order by columns table ${share.table} does not have`, { file }, "schema-mismatch");
  }
  return share;
}

/** Reads only the header of a share file (no key needed), for routing uploads. */
export async function peekShareHeader(source: AsyncIterable<Uint8Array>, study: Study, file: string, expected: { role?: Role; partner?: string; table?: string } = {}): Promise<ShareHeader> {
  const { header } = await readSealedHeader(source, file);
  return checkShareHeader(header, study, file, expected);
}

export interface OpenedShare {
  header: ShareHeader;
  rows: number;
  /** The decrypted share bytes (rows × rowBytes), when asked for. */
  data?: Uint8Array;
}

/** Decrypts and verifies a whole share file with a compute party's secret key. */
export async function openShareFile(
  source: AsyncIterable<Uint8Array>,
  secretKey: Uint8Array,
  study: Study,
  file: string,
  expected: { role?: Role; partner?: string; table?: string } = {},
  keepData = false,
): Promise<OpenedShare> {
  let header: ShareHeader | undefined;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of openSealed(source, secretKey, file, (sealed) => { header = checkShareHeader(sealed, study, file, expected); })) {
    bytes += chunk.length;
    if (keepData) chunks.push(chunk.slice());
  }
  if (!header) throw new IntegrityError("empty sealed file", { file }, "truncated");
  if (bytes % header.rowBytes !== 0) throw new IntegrityError(`holds ${bytes} bytes, not a whole number of ${header.rowBytes}-byte rows`, { file }, "tampered");
  let data: Uint8Array | undefined;
  if (keepData) {
    data = new Uint8Array(bytes);
    let offset = 0;
    for (const chunk of chunks) { data.set(chunk, offset); offset += chunk.length; }
  }
  return { header, rows: bytes / header.rowBytes, data };
}
