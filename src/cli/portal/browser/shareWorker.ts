/**
 * The portal's share worker: off the page's thread, validates, splits and seals one CSV, or, for a pushdown
 * partner, computes the partial aggregates of all its CSVs and seals those.
 */
import { md5 } from "@noble/hashes/legacy.js";
import { CatalystError } from "../../../share/errors.js";
import { parseStudy, ROLES, type Role } from "../../../share/study.js";
import { sharePartnerPartials, shareTableCsv } from "../../../operators/tableShares.js";
import { bytesToBase64 } from "../../../transport/presignedPut.js";
import { fileChunks } from "./dom.js";

export type ShareRequest =
  | { kind: "table"; studyText: string; partner: string; table: string; file: File }
  | { kind: "partials"; studyText: string; partner: string; files: Record<string, File>; padTo?: number };

export interface SharedTable {
  table: string;
  rows: number;
  /** Local groups before padding (partial tables only). */
  groups?: number;
  paddedTo?: number;
  sortedBy?: string[];
  digests: Record<Role, string>;
  /** Each share's MD5, for the upload's Content-MD5, hashed as the share was written. */
  md5Base64: Record<Role, string>;
  shares: Record<Role, Blob>;
}

export type ShareWorkerMessage =
  | { type: "progress"; bytes: number; rows: number }
  | { type: "done"; tables: SharedTable[]; rowsRead?: Record<string, number> }
  | { type: "error"; described: string; code?: string; location?: CatalystError["location"] };

const post = (message: ShareWorkerMessage) => (self as unknown as { postMessage(message: ShareWorkerMessage): void }).postMessage(message);

/** Sinks that keep each party's sealed bytes and hash them for the upload as they come. */
function blobSinks() {
  const parts: Record<Role, Uint8Array[]> = { garbler: [], evaluator: [] };
  const hashes = { garbler: md5.create(), evaluator: md5.create() };
  const sinks = Object.fromEntries(ROLES.map((role) => [role, (chunk: Uint8Array) => { parts[role].push(chunk.slice()); hashes[role].update(chunk); }])) as Record<Role, (chunk: Uint8Array) => void>;
  const made = () => ({
    shares: { garbler: new Blob(parts.garbler as BlobPart[]), evaluator: new Blob(parts.evaluator as BlobPart[]) },
    md5Base64: { garbler: bytesToBase64(hashes.garbler.digest()), evaluator: bytesToBase64(hashes.evaluator.digest()) },
  });
  return { sinks, made };
}

self.onmessage = async (event: MessageEvent<ShareRequest>) => {
  const request = event.data;
  let bytes = 0;
  let rows = 0;
  const onBytes = (read: number) => { bytes += read; post({ type: "progress", bytes, rows }); };
  try {
    const study = parseStudy(request.studyText, "study.json");
    if (request.kind === "table") {
      const { sinks, made } = blobSinks();
      const outcome = await shareTableCsv(study, request.partner, request.table, fileChunks(request.file, onBytes), request.file.name, sinks, (done) => { rows = done; post({ type: "progress", bytes, rows }); });
      post({ type: "done", tables: [{ table: request.table, rows: outcome.rows, sortedBy: outcome.sortedBy, digests: outcome.digests, ...made() }] });
      return;
    }
    const sinksByTable = new Map<string, ReturnType<typeof blobSinks>>();
    const csvs = Object.fromEntries(Object.entries(request.files).map(([table, file]) => [table, { csv: fileChunks(file, onBytes), file: file.name }]));
    const outcome = await sharePartnerPartials(study, request.partner, csvs, async (table) => {
      const sinks = blobSinks();
      sinksByTable.set(table, sinks);
      return sinks.sinks;
    }, request.padTo);
    post({
      type: "done", rowsRead: outcome.rowsRead,
      tables: outcome.tables.map(({ table, rows: shared, groups, paddedTo, sortedBy, digests }) => ({ table, rows: shared, groups, paddedTo, sortedBy, digests, ...sinksByTable.get(table)!.made() })),
    });
  } catch (error) {
    post({ type: "error", described: error instanceof CatalystError ? error.describe() : (error as Error).message ?? String(error), code: error instanceof CatalystError ? error.code : undefined, location: error instanceof CatalystError ? error.location : undefined });
  }
};
