/** The partner's own record of what it sent to each write-once URL, so a re-run can tell its own earlier upload from a stranger's. */
import { readFile } from "node:fs/promises";
import { writeFileAtomically } from "../share/atomicFile.js";

export interface UploadReceipt {
  name: string;
  digest: string;
  /**
   * `sending`: a PUT was started and may have landed; `stored`: the store confirmed it; `assumed`: the name
   * was found taken after a PUT of these bytes may have landed, so it is taken to be ours, unconfirmed.
   */
  state: "sending" | "stored" | "assumed";
  time: string;
}

/** Keyed by the URL without its query, so receipts hold no signature. */
export class UploadReceipts {
  private constructor(private readonly path: string, private readonly entries: Record<string, UploadReceipt>) {}

  static async open(path: string): Promise<UploadReceipts> {
    const text = await readFile(path, "utf8").catch(() => undefined);
    let entries: Record<string, UploadReceipt> = {};
    try {
      if (text !== undefined) entries = (JSON.parse(text) as { uploads?: Record<string, UploadReceipt> }).uploads ?? {};
    } catch {
      // A damaged receipt only costs the re-run's shortcut; uploads stay write-once at the store.
      entries = {};
    }
    return new UploadReceipts(path, entries);
  }

  static destinationOf(url: string): string {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  }

  find(url: string): UploadReceipt | undefined {
    return this.entries[UploadReceipts.destinationOf(url)];
  }

  async record(url: string, receipt: Omit<UploadReceipt, "time">): Promise<void> {
    this.entries[UploadReceipts.destinationOf(url)] = { ...receipt, time: new Date().toISOString() };
    await writeFileAtomically(this.path, JSON.stringify({ uploads: this.entries }, null, 2) + "\n", 0o600);
  }
}
