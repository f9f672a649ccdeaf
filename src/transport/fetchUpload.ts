/** PUT one file to a pre-signed URL with `fetch`, as the portal's pages do; the retries and checks are presignedPut's. */
import { DEFAULT_RETRY_POLICY, putWithRetries, TransientFault, type RawAnswer, type RetryPolicy, type UploadAnswer, type UploadDigest } from "./presignedPut.js";

type BlobBody = UploadDigest & { blob: Blob };

/**
 * One PUT of a Blob. `fetch` sends the body whole and cannot ask `100-continue`, so a network fault may
 * come after the store kept the body: it counts as possibly landed.
 */
async function fetchPutOnce(url: URL, headers: Record<string, string>, body: BlobBody, idleTimeoutMs: number, onBytes: (sent: number) => void): Promise<RawAnswer> {
  // fetch cannot tell silence from a slow upload: allow the idle time plus the body at 50 kB/s.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), idleTimeoutMs + body.bytes / 50);
  try {
    const response = await fetch(url, { method: "PUT", headers: { ...headers, "Content-MD5": body.md5Base64 }, body: body.blob, signal: abort.signal, credentials: "omit", referrerPolicy: "no-referrer" });
    onBytes(body.bytes);
    // Only the store's Content-MD5 and Retry-After are used: an ETag seen through CORS without its
    // encryption header could look like a wrong digest. The store checks the request's Content-MD5 itself.
    const answerHeaders: RawAnswer["headers"] = {};
    for (const name of ["content-md5", "retry-after"]) { const value = response.headers.get(name); if (value !== null) answerHeaders[name] = value; }
    return { status: response.status, headers: answerHeaders, body: await response.text(), bodySent: true };
  } catch (error) {
    throw new TransientFault(abort.signal.aborted ? `no answer for ${idleTimeoutMs / 1000} s` : `network error: ${(error as Error).message}`, true);
  } finally {
    clearTimeout(timer);
  }
}

export function putBlobToPresignedUrl(url: string, headers: Record<string, string>, blob: Blob, md5Base64: string, options: { policy?: RetryPolicy; onRetry?: (attempt: number, reason: string, delayMs: number) => void } = {}): Promise<UploadAnswer> {
  return putWithRetries(fetchPutOnce, url, headers, { blob, bytes: blob.size, md5Base64 }, { policy: options.policy ?? DEFAULT_RETRY_POLICY, onRetry: options.onRetry });
}
