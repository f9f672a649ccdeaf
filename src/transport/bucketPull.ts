/** Downloads a compute party's expected shares from its bucket into a local inbox folder, each file whole or not at all. */
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { md5 } from "@noble/hashes/legacy.js";
import { AtomicFile } from "../share/atomicFile.js";
import { IntegrityError } from "../share/errors.js";
import { shareFileName } from "../share/shareFile.js";
import type { Role, Study } from "../share/study.js";
import type { Bucket } from "./bucket.js";
import { fileDigests } from "./fileDigests.js";

export interface PulledShare {
  name: string;
  bytes: number;
  /** `downloaded` now, or `already-here` because the local copy has the store's MD5. */
  status: "downloaded" | "already-here";
}

export interface PullOutcome {
  pulled: PulledShare[];
  /** `.share` objects in the bucket that this study does not expect for this party: left in the bucket. */
  unexpected: string[];
}

/** Pulls every share the study expects for `role`; what is missing is for the inbox check to report. */
export async function pullShares(bucket: Bucket, study: Study, role: Role, out: string, onFile?: (name: string, bytes: number) => void): Promise<PullOutcome> {
  const expected = new Set(study.partners.flatMap((partner) => partner.tables.map((table) => shareFileName(study, partner.name, table, role))));
  const objects = await bucket.list();
  // An empty bucket still gives an (empty) inbox, so the check can list what is missing.
  await mkdir(out, { recursive: true });
  const pulled: PulledShare[] = [];
  for (const object of objects.filter((entry) => expected.has(entry.name))) {
    const path = join(out, ...object.name.split("/"));
    const local = await stat(path).catch(() => undefined);
    if (local && local.size === object.bytes && object.md5Base64 !== undefined && (await fileDigests(path)).md5Base64 === object.md5Base64) {
      pulled.push({ name: object.name, bytes: object.bytes, status: "already-here" });
      continue;
    }
    onFile?.(object.name, object.bytes);
    const file = await AtomicFile.create(path);
    try {
      const hash = md5.create();
      for await (const chunk of await bucket.read(object.name)) {
        hash.update(chunk);
        await file.write(chunk);
      }
      if (file.bytesWritten !== object.bytes) throw new IntegrityError(`${bucket.description}/${object.name}: received ${file.bytesWritten} bytes of ${object.bytes}`, { file: path }, "truncated");
      if (object.md5Base64 !== undefined && Buffer.from(hash.digest()).toString("base64") !== object.md5Base64) {
        throw new IntegrityError(`${bucket.description}/${object.name}: the download does not match the store's MD5`, { file: path }, "tampered");
      }
      await file.commit();
    } catch (error) {
      await file.abort();
      throw error;
    }
    pulled.push({ name: object.name, bytes: object.bytes, status: "downloaded" });
  }
  const unexpected = objects.filter((entry) => entry.name.endsWith(".share") && !expected.has(entry.name)).map((entry) => entry.name);
  return { pulled, unexpected };
}
