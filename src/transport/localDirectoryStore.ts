/** A compute party's inbox as a plain local folder: the embedded default, no account needed. */
import { stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { AtomicFile } from "../share/atomicFile.js";
import { IntegrityError, InputError } from "../share/errors.js";
import { fileDigest } from "./fileDigests.js";
import type { PutProgress, PutResult, ShareStore, StoredFile } from "./shareStore.js";

export class LocalDirectoryStore implements ShareStore {
  readonly description: string;

  constructor(private readonly root: string, private readonly options: { replace?: boolean } = {}) {
    this.description = `folder ${root}`;
  }

  private pathOf(name: string): string {
    const path = resolve(this.root, name);
    if (!path.startsWith(resolve(this.root) + sep)) throw new InputError(`refusing to write outside the inbox: ${name}`);
    return path;
  }

  async put(name: string, file: StoredFile, progress: PutProgress = {}): Promise<PutResult> {
    const path = this.pathOf(name);
    const existing = await stat(path).catch(() => undefined);
    if (existing) {
      const digest = await fileDigest(path);
      if (digest === file.digest) return { name, status: "already-present", bytes: existing.size, confirmed: true, attempts: 0 };
      if (!this.options.replace) {
        throw new IntegrityError(`a different ${name} is already in the inbox; pass --replace to overwrite it with a new share`, { file: path }, "exists");
      }
    }
    const target = await AtomicFile.create(path);
    try {
      const hash = sha256.create();
      for await (const chunk of file.read()) {
        hash.update(chunk);
        await target.write(chunk);
        progress.onBytes?.(target.bytesWritten);
      }
      if ("sha256:" + bytesToHex(hash.digest()) !== file.digest) {
        throw new IntegrityError(`changed while it was being copied (digest mismatch)`, { file: name }, "tampered");
      }
      await target.commit();
    } catch (error) {
      await target.abort();
      throw error;
    }
    return { name, status: "uploaded", bytes: file.bytes, confirmed: true, attempts: 1 };
  }
}
