/**
 * Test-only stand-in for a computation's output: takes a known plaintext table (including dummy rows and
 * suppressed cells) and writes the two sealed result shares a real run would write.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RowCodec, type Cell } from "../../src/share/rowCodec.js";
import { randomBytes } from "../../src/share/random.js";
import { resultFileName, writeResultShare } from "../../src/share/resultFile.js";
import type { Column } from "../../src/share/schema.js";
import { parseSecretKey } from "../../src/share/keys.js";
import { parseStudy, partyOf, ROLES, type Role, type Study } from "../../src/share/study.js";
import { splitShares } from "../../src/share/xorShare.js";

export interface PlainRow {
  cells: Cell[];
  valid?: boolean;
}

export async function loadStudyFile(path: string): Promise<Study> {
  return parseStudy(await readFile(path, "utf8"), path);
}

/** Writes OUT/QUERY.PARTY.result for both parties, each sealed with that party's key from `keysDir/NAME.key`. */
export async function writeResultSharesOf(study: Study, query: string, shares: Record<Role, Uint8Array>, columns: Column[], out: string, keysDir: string, run = Buffer.from(randomBytes(8)).toString("hex"), ordered = true): Promise<Record<Role, string>> {
  const paths = {} as Record<Role, string>;
  for (const role of ROLES) {
    const pieces: Uint8Array[] = [];
    const partyKey = parseSecretKey(await readFile(join(keysDir, `${partyOf(study, role).name}.key`), "utf8"));
    await writeResultShare(study, { query, run, role, columns, ordered }, shares[role], (bytes) => { pieces.push(bytes.slice()); }, partyKey.secretKey);
    paths[role] = join(out, resultFileName({ query, role }, study));
    await writeFile(paths[role], Buffer.concat(pieces));
  }
  return paths;
}

export async function makeResultShares(study: Study, query: string, columns: Column[], rows: PlainRow[], out: string, keysDir: string, run?: string, ordered = true): Promise<Record<Role, string>> {
  const codec = new RowCodec(columns);
  const plaintext = new Uint8Array(rows.length * codec.recordBytes);
  rows.forEach((row, index) => codec.encode(plaintext, index, row.cells, row.valid ?? true));
  return writeResultSharesOf(study, query, splitShares(plaintext), columns, out, keysDir, run, ordered);
}
