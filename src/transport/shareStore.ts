/** Where sealed shares go: a compute party's inbox behind one interface (a local folder, or a bucket through a grant). */

export interface PutResult {
  name: string;
  status: "uploaded" | "already-present";
  bytes: number;
  /** False when the store holds the name but could not confirm these bytes (an earlier answer was lost). */
  confirmed: boolean;
  /** How many requests it took (1 unless transient faults were retried). */
  attempts: number;
  /** The digest the store reported for what it holds, where it reports one (`md5:BASE64`). */
  storeDigest?: string;
}

export interface StoredFile {
  /** Opens the bytes afresh; a retry reads them again. */
  read: () => AsyncIterable<Uint8Array>;
  bytes: number;
  /** `sha256:HEX` of the whole file. */
  digest: string;
  /** Base64 MD5 of the whole file, the digest object stores check on arrival. */
  md5Base64: string;
}

export interface PutProgress {
  onBytes?: (sent: number) => void;
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

export interface ShareStore {
  /** A human description for messages, never containing credentials. */
  readonly description: string;
  /**
   * Stores a sealed file under `name` (e.g. `PARTNER/TABLE.PARTY.share`). Storing the same bytes again
   * is a no-op, so a re-run after a failure neither duplicates nor corrupts anything.
   */
  put(name: string, file: StoredFile, progress?: PutProgress): Promise<PutResult>;
}
