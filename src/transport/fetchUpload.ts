/** PUT one file to a pre-signed URL with `fetch`, as the portal's pages do; the retries and checks are presignedPut's. */
import { DEFAULT_RETRY_POLICY, putWithRetries, TransientFault, type RawAnswer, type RetryPolicy, type UploadAnswer } from "./presignedPut.js";

/**
 * One PUT of a Blob. `fetch` sends the body whole and cannot ask `100-continue`, so a network fault may
 * come after the store kept the body: it counts as possibly landed.
 */
function fetchPutOnce(body: Blob) {
  return async (url: URL, headers: Record<string, string>, upload: { md5Base64: string }, idleTimeoutMs: number, onBytes: (sent: number) => void): Promise<RawAnswer> => {
    // fetch cannot tell silence from a slow upload: allow the idle time plus the body at 50 kB/s.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), idleTimeoutMs + body.size / 50);
    try {
      const response = await fetch(url, { method: "PUT", headers: { ...headers, "Content-MD5": upload.md5Base64 }, body, signal: abort.signal, credentials: "omit", referrerPolicy: "no-referrer" });
      onBytes(body.size);
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
  };
}

export function putBlobToPresignedUrl(url: string, headers: Record<string, string>, body: Blob, md5Base64: string, options: { policy?: RetryPolicy; onRetry?: (attempt: number, reason: string, delayMs: number) => void } = {}): Promise<UploadAnswer> {
  return putWithRetries(fetchPutOnce(body), url, headers, { read: () => { throw new Error("fetch sends the Blob itself"); }, bytes: body.size, md5Base64 }, { policy: options.policy ?? DEFAULT_RETRY_POLICY, onRetry: options.onRetry });
}
