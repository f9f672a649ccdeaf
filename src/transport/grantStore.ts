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

  async put(name: string, file: StoredFile, progress: PutProgress = {}): Promise<PutResult> {
    const upload = this.grant.uploads.find((entry) => entry.name === name);
    if (!upload) throw new InputError(`this grant has no upload URL for ${name}; ask the compute site for a grant covering every table`, { file: this.grantFile }, "grant-incomplete");
    const earlier = this.receipts.find(upload.url);
    if (earlier?.state === "stored") {
      if (earlier.digest === file.digest) return { name, status: "already-present", bytes: file.bytes, confirmed: true, attempts: 0 };
      throw overwriteRefused(name, this.grant, `an upload on ${earlier.time} already stored a different share (${earlier.digest})`);
    }
    await this.receipts.record(upload.url, { name, digest: file.digest, state: "sending" });
    const answer = await putToPresignedUrl(upload.url, upload.headers, { read: file.read, bytes: file.bytes, md5Base64: file.md5Base64 }, { policy: this.policy, ...progress });
    if (answer.outcome === "created") {
      await this.receipts.record(upload.url, { name, digest: file.digest, state: "stored" });
      return { name, status: "uploaded", bytes: file.bytes, confirmed: true, attempts: answer.attempts, storeDigest: answer.storeMd5Base64 ? `md5:${answer.storeMd5Base64}` : undefined };
    }
    // Write-once: the name is taken. It is ours if a PUT of these bytes was under way when an answer was lost.
    const ours = answer.afterLostAnswer || (earlier?.state === "sending" && earlier.digest === file.digest);
    if (!ours) throw overwriteRefused(name, this.grant, "the store already holds a file under this name");
    await this.receipts.record(upload.url, { name, digest: file.digest, state: "stored" });
    return { name, status: "already-present", bytes: file.bytes, confirmed: false, attempts: answer.attempts };
  }
}

function overwriteRefused(name: string, grant: Grant, why: string): IntegrityError {
  return new IntegrityError(`${name} → ${grant.party}: ${why}, and grants are write-once; to replace it after re-sharing, ask the compute site's delegate to remove it and issue a new grant`, {}, "exists");
}
