/** Files that appear whole or not at all: written under a temporary name, renamed into place on commit. */
import { link, open, rename, rmdir, unlink, mkdir, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "./random.js";

export class AtomicFile {
  readonly temporaryPath: string;
  private handle: FileHandle | undefined;
  private written = 0;
  /** The outermost folder this file had to create, removed again on abort if left empty. */
  private createdDirectory: string | undefined;

  private constructor(readonly path: string) {
    const suffix = Array.from(randomBytes(6), (byte) => byte.toString(16).padStart(2, "0")).join("");
    this.temporaryPath = join(dirname(path), `.${basename(path)}.${suffix}.partial`);
  }

  static async create(path: string, mode = 0o644): Promise<AtomicFile> {
    const file = new AtomicFile(path);
    file.createdDirectory = await mkdir(dirname(path), { recursive: true });
    file.handle = await open(file.temporaryPath, "wx", mode);
    return file;
  }

  get bytesWritten(): number {
    return this.written;
  }

  /** Appends bytes; awaiting it is the backpressure. */
  readonly write = async (bytes: Uint8Array): Promise<void> => {
    if (!this.handle) throw new Error(`${this.path} is already closed`);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
    this.written += bytes.length;
  };

  /** Flushes to disk and renames into place. */
  async commit(): Promise<void> {
    if (!this.handle) throw new Error(`${this.path} is already closed`);
    await this.handle.sync();
    await this.handle.close();
    this.handle = undefined;
    await rename(this.temporaryPath, this.path);
  }

  /** Removes the temporary file and any folder it created; safe to call after a failure at any point. */
  async abort(): Promise<void> {
    await AtomicFile.abortAll([this]);
  }

  /** Aborts several files, then removes the folders they created once all are empty. */
  static async abortAll(files: AtomicFile[]): Promise<void> {
    for (const file of files) {
      if (file.handle) {
        await file.handle.close().catch(() => undefined);
        file.handle = undefined;
      }
      await unlink(file.temporaryPath).catch(() => undefined);
    }
    for (const file of files) {
      if (!file.createdDirectory) continue;
      const top = resolve(file.createdDirectory);
      for (let folder = resolve(dirname(file.path)); folder.length >= top.length; folder = dirname(folder)) {
        if (await rmdir(folder).then(() => false, () => true)) break;
        if (folder === top) break;
      }
      file.createdDirectory = undefined;
    }
  }
}

/** Writes a whole small file atomically (keys, study files, receipts). */
export async function writeFileAtomically(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const file = await AtomicFile.create(path, mode);
  try {
    await file.write(typeof content === "string" ? new TextEncoder().encode(content) : content);
    await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  }
}

/**
 * Commits several files together: if any step fails, none of them is left behind, and files they would have
 * replaced (say, an earlier run's results) are put back as they were.
 */
export async function commitAll(files: AtomicFile[]): Promise<void> {
  const backups: Array<{ path: string; backup: string }> = [];
  const committed: AtomicFile[] = [];
  try {
    for (const file of files) {
      const backup = `${file.temporaryPath}.previous`;
      // A hard link keeps the old file readable under its name until the new one replaces it atomically.
      if (await link(file.path, backup).then(() => true, () => false)) backups.push({ path: file.path, backup });
      await file.commit();
      committed.push(file);
    }
  } catch (error) {
    await Promise.all(committed.map((file) => unlink(file.path).catch(() => undefined)));
    await AtomicFile.abortAll(files);
    for (const { path, backup } of backups) await rename(backup, path).catch(() => undefined);
    throw error;
  }
  await Promise.all(backups.map(({ backup }) => unlink(backup).catch(() => undefined)));
}
