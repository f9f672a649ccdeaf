/** A compute party's bucket as seen by a data partner: only the write-once URLs of one grant. */
import { IntegrityError, InputError } from "../share/errors.js";
import type { Grant } from "./grant.js";
import { putToPresignedUrl, type RetryPolicy } from "./presignedUpload.js";
import type { PutProgress, PutResult, ShareStore, StoredFile } from "./shareStore.js";
import type { UploadReceipts } from "./uploadReceipts.js";

export class GrantStore implements ShareStore {
  readonly description: string;

  constructor(private readonly grant: Grant, private readonly grantFile: string, private readonly receipts: UploadReceipts, private readonly policy?: RetryPolicy) {
    this.description = `${grant.store} (grant ${grantFile})`;
  }

  /**
   * Always PUTs: the URL is write-once, so sending again is harmless and a store emptied since (a new grant
   * after the delegate removed a share) gets the file. Receipts only say whose a taken name is.
   */
  async put(name: string, file: StoredFile, progress: PutProgress = {}): Promise<PutResult> {
    const upload = this.grant.uploads.find((entry) => entry.name === name);
    if (!upload) throw new InputError(`this grant has no upload URL for ${name}; ask the compute site for a grant covering every table`, { file: this.grantFile }, "grant-incomplete");
    const earlier = this.receipts.find(upload.url);
    const sameBytes = earlier?.digest === file.digest;
    if (!(sameBytes && (earlier?.state === "stored" || earlier?.state === "assumed"))) {
      await this.receipts.record(upload.url, { name, digest: file.digest, state: "sending" });
    }
    const answer = await putToPresignedUrl(upload.url, upload.headers, { read: file.read, bytes: file.bytes, md5Base64: file.md5Base64 }, { policy: this.policy, ...progress });
    if (answer.outcome === "created") {
      await this.receipts.record(upload.url, { name, digest: file.digest, state: "stored" });
      return { name, status: "uploaded", bytes: file.bytes, confirmed: true, attempts: answer.attempts, storeDigest: answer.storeMd5Base64 ? `md5:${answer.storeMd5Base64}` : undefined };
    }
    if (sameBytes && earlier?.state === "stored") return { name, status: "already-present", bytes: file.bytes, confirmed: true, attempts: answer.attempts };
    // The name is taken. It is ours only if a PUT of these very bytes may have landed without its answer.
    const ours = answer.afterLostAnswer || (sameBytes && (earlier?.state === "sending" || earlier?.state === "assumed"));
    if (!ours) {
      const why = earlier && !sameBytes ? `an upload on ${earlier.time} sent a different share (${earlier.digest}) there` : "the store already holds a file under this name";
      throw overwriteRefused(name, this.grant, why);
    }
    await this.receipts.record(upload.url, { name, digest: file.digest, state: "assumed" });
    return { name, status: "already-present", bytes: file.bytes, confirmed: false, attempts: answer.attempts };
  }
}

function overwriteRefused(name: string, grant: Grant, why: string): IntegrityError {
  return new IntegrityError(`${name} → ${grant.party}: ${why}, and grants are write-once; to replace it after re-sharing, ask the compute site's delegate to remove it and issue a new grant`, {}, "exists");
}
