/** PUT one file to a pre-signed URL with Node's HTTP client; the retries and checks are presignedPut's. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_RETRY_POLICY, putWithRetries, TransientFault, type RawAnswer, type RetryPolicy, type UploadAnswer, type UploadBody } from "./presignedPut.js";

export { DEFAULT_RETRY_POLICY, UploadRefusedError, UploadUnreachableError, type RetryPolicy, type UploadAnswer, type UploadBody } from "./presignedPut.js";

/** How long to wait for `100 Continue` before sending the body anyway (some stores never send one). */
const CONTINUE_WAIT_MS = 1000;

/**
 * One PUT. It asks `Expect: 100-continue`, so a store that refuses (an expired grant, a taken name) answers
 * before the body is sent; an answer that arrives early ends the request and the file read at once.
 */
function nodePutOnce(url: URL, headers: Record<string, string>, body: UploadBody, idleTimeoutMs: number, onBytes: (sent: number) => void): Promise<RawAnswer> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<RawAnswer>((resolve, reject) => {
    const outgoing = request(url, {
      method: "PUT",
      headers: { ...headers, "Content-Length": String(body.bytes), "Content-MD5": body.md5Base64, Expect: "100-continue" },
      timeout: idleTimeoutMs,
    });
    const abort = new AbortController();
    let settled = false;
    let bodySent = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      abort.abort();
      outcome();
    };
    const fail = (error: Error) => settle(() => { outgoing.destroy(); reject(new TransientFault(error.message, bodySent)); });
    outgoing.on("timeout", () => fail(new Error(`no answer for ${idleTimeoutMs / 1000} s`)));
    outgoing.on("error", fail);
    outgoing.on("finish", () => { bodySent = true; });
    outgoing.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => { if (chunks.length < 64) chunks.push(chunk); });
      response.on("error", fail);
      response.on("end", () => settle(() => {
        // An answer before the whole body went out ends this request; the connection is not reused.
        if (!bodySent) outgoing.destroy();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8"), bodySent });
      }));
    });
    void (async () => {
      try {
        await Promise.race([once(outgoing, "continue", { signal: abort.signal }), sleep(CONTINUE_WAIT_MS, undefined, { signal: abort.signal })]);
        let sent = 0;
        for await (const chunk of body.read()) {
          if (settled) return;
          if (!outgoing.write(chunk)) await once(outgoing, "drain", { signal: abort.signal });
          sent += chunk.length;
          onBytes(sent);
        }
        if (!settled) outgoing.end();
      } catch (error) {
        if (abort.signal.aborted) return;
        // A local read failure is not the network's fault: stop without retrying.
        settle(() => { outgoing.destroy(); reject(error); });
      }
    })();
  });
}

export function putToPresignedUrl(
  url: string,
  headers: Record<string, string>,
  body: UploadBody,
  options: { policy?: RetryPolicy; onBytes?: (sent: number) => void; onRetry?: (attempt: number, reason: string, delayMs: number) => void } = {},
): Promise<UploadAnswer> {
  return putWithRetries(nodePutOnce, url, headers, body, { policy: options.policy ?? DEFAULT_RETRY_POLICY, ...options });
}
