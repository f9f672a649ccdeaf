/** Where sealed shares go: a compute party's inbox behind one interface (local folder now, buckets later). */

export interface PutResult {
  name: string;
  status: "uploaded" | "already-present";
  bytes: number;
}

export interface ShareStore {
  /** A human description for messages, never containing credentials. */
  readonly description: string;
  /**
   * Stores a sealed file under `name` (e.g. `PARTNER/TABLE.PARTY.share`). Storing the same bytes again
   * is a no-op, so a re-run after a failure neither duplicates nor corrupts anything.
   */
  put(name: string, file: { read: () => AsyncIterable<Uint8Array>; bytes: number; digest: string }): Promise<PutResult>;
}
