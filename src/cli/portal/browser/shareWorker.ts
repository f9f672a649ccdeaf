/** The portal's share worker: validates, splits and seals one CSV off the page's thread, with progress. */
import { CatalystError } from "../../../share/errors.js";
import { parseStudy, ROLES, type Role } from "../../../share/study.js";
import { shareTableCsv } from "../../../operators/tableShares.js";
import { fileChunks } from "./dom.js";

export interface ShareRequest {
  studyText: string;
  partner: string;
  table: string;
  file: File;
}

export type ShareWorkerMessage =
  | { type: "progress"; bytes: number; rows: number }
  | { type: "done"; rows: number; sortedBy?: string[]; digests: Record<Role, string>; shares: Record<Role, Blob> }
  | { type: "error"; described: string; code?: string; location?: CatalystError["location"] };

const post = (message: ShareWorkerMessage) => (self as unknown as { postMessage(message: ShareWorkerMessage): void }).postMessage(message);

self.onmessage = async (event: MessageEvent<ShareRequest>) => {
  const { studyText, partner, table, file } = event.data;
  try {
    const study = parseStudy(studyText, "study.json");
    const parts: Record<Role, Uint8Array[]> = { garbler: [], evaluator: [] };
    let bytes = 0;
    let rows = 0;
    const sinks = Object.fromEntries(ROLES.map((role) => [role, (chunk: Uint8Array) => { parts[role].push(chunk.slice()); }])) as Record<Role, (chunk: Uint8Array) => void>;
    const outcome = await shareTableCsv(study, partner, table, fileChunks(file, (read) => { bytes += read; post({ type: "progress", bytes, rows }); }), file.name, sinks, (done) => { rows = done; post({ type: "progress", bytes, rows }); });
    post({ type: "done", rows: outcome.rows, sortedBy: outcome.sortedBy, digests: outcome.digests, shares: { garbler: new Blob(parts.garbler as BlobPart[]), evaluator: new Blob(parts.evaluator as BlobPart[]) } });
  } catch (error) {
    post({ type: "error", described: error instanceof CatalystError ? error.describe() : (error as Error).message ?? String(error), code: error instanceof CatalystError ? error.code : undefined, location: error instanceof CatalystError ? error.location : undefined });
  }
};
