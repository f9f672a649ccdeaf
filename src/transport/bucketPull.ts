/** Downloads a compute party's expected shares from its bucket into a local inbox folder, each file whole or not at all. */
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { md5 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { AtomicFile, writeFileAtomically } from "../share/atomicFile.js";
import { CatalystError, IntegrityError } from "../share/errors.js";
import { shareFileName } from "../share/shareFile.js";
import { uploadedTables, type Role, type Study } from "../share/study.js";
import type { Bucket, BucketObject } from "./bucket.js";
import { fileDigests } from "./fileDigests.js";

export interface PulledShare {
  name: string;
  bytes: number;
  /** `downloaded` now, or `already-here` because the local copy is the store's current object. */
  status: "downloaded" | "already-here";
  /** `sha256:HEX` of the local file, taken while it was read anyway. */
  digest: string;
}

export interface PullOutcome {
  pulled: PulledShare[];
  /** Objects whose download failed a check (size, MD5): nothing was written for them. */
  failed: Array<{ name: string; error: string }>;
  /** `.share` objects in the bucket that this study does not expect for this party: left in the bucket. */
  unexpected: string[];
}

/** What was pulled last time, so an unchanged object is not fetched again: name → version and SHA-256. */
const PULLED_FILE = ".catalyst-pulled.json";
type PulledRecord = Record<string, { version?: string; digest: string }>;

/** The local copy's SHA-256 when it is the store's current object, else undefined. */
async function alreadyHere(path: string, object: BucketObject, record: PulledRecord[string] | undefined): Promise<string | undefined> {
  const local = await stat(path).catch(() => undefined);
  if (!local || local.size !== object.bytes) return undefined;
  if (object.md5Base64 !== undefined) {
    const digests = await fileDigests(path);
    return digests.md5Base64 === object.md5Base64 ? digests.digest : undefined;
  }
  if (record === undefined || object.version === undefined || record.version !== object.version) return undefined;
  const { digest } = await fileDigests(path, false);
  return digest === record.digest ? digest : undefined;
}

/** Downloads one object into `path`; the file appears only if its size and (where known) MD5 match. */
async function download(bucket: Bucket, object: BucketObject, path: string): Promise<string> {
  const file = await AtomicFile.create(path);
  try {
    const legacy = md5.create();
    const sha = sha256.create();
    for await (const chunk of await bucket.read(object.name)) {
      legacy.update(chunk);
      sha.update(chunk);
      await file.write(chunk);
    }
    if (file.bytesWritten !== object.bytes) throw new IntegrityError(`${bucket.description}/${object.name}: received ${file.bytesWritten} bytes of ${object.bytes}`, { file: path }, "truncated");
    if (object.md5Base64 !== undefined && Buffer.from(legacy.digest()).toString("base64") !== object.md5Base64) {
      throw new IntegrityError(`${bucket.description}/${object.name}: the download does not match the store's MD5`, { file: path }, "tampered");
    }
    await file.commit();
    return "sha256:" + bytesToHex(sha.digest());
  } catch (error) {
    await file.abort();
    throw error;
  }
}

/** Pulls every share the study expects for `role`; what is missing or failed is for the inbox report. */
export async function pullShares(bucket: Bucket, study: Study, role: Role, out: string, onFile?: (name: string, bytes: number) => void): Promise<PullOutcome> {
  const expected = new Set(study.partners.flatMap((partner) => uploadedTables(study, partner.name).map((table) => shareFileName(study, partner.name, table, role))));
  const objects = await bucket.list();
  // An empty bucket still gives an (empty) inbox, so the check can list what is missing.
  await mkdir(out, { recursive: true });
  const recordPath = join(out, PULLED_FILE);
  let record: PulledRecord = {};
  try { record = JSON.parse(await readFile(recordPath, "utf8")) as PulledRecord; } catch { record = {}; }
  const outcome: PullOutcome = { pulled: [], failed: [], unexpected: [] };
  // Only names the study expects are written, so a hostile listing cannot place files elsewhere.
  for (const object of objects.filter((entry) => expected.has(entry.name))) {
    const path = join(out, ...object.name.split("/"));
    const localDigest = await alreadyHere(path, object, record[object.name]);
    if (localDigest !== undefined) {
      record[object.name] = { version: object.version, digest: localDigest };
      outcome.pulled.push({ name: object.name, bytes: object.bytes, status: "already-here", digest: localDigest });
      continue;
    }
    onFile?.(object.name, object.bytes);
    try {
      const digest = await download(bucket, object, path);
      record[object.name] = { version: object.version, digest };
      outcome.pulled.push({ name: object.name, bytes: object.bytes, status: "downloaded", digest });
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      outcome.failed.push({ name: object.name, error: (error as CatalystError).describe() });
    }
  }
  await writeFileAtomically(recordPath, JSON.stringify(record, null, 2) + "\n");
  outcome.unexpected = objects.filter((entry) => entry.name.endsWith(".share") && !expected.has(entry.name)).map((entry) => entry.name);
  return outcome;
}
