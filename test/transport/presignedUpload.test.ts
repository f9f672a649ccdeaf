/** The retry and answer rules of a pre-signed PUT, against a real local HTTP server playing the store. */
import { afterEach, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { putToPresignedUrl, type RetryPolicy } from "../../src/transport/presignedUpload.js";

const FAST: RetryPolicy = { attempts: 4, firstDelayMs: 5, maxDelayMs: 20, idleTimeoutMs: 2000 };
const bytes = Buffer.from("sealed share bytes ".repeat(1000));
const body = { read: async function* () { yield bytes.subarray(0, 5000); yield bytes.subarray(5000); }, bytes: bytes.length, md5Base64: createHash("md5").update(bytes).digest("base64") };

let server: Server | undefined;
afterEach(async () => { await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())); server = undefined; });

/** A store answering each request with the next handler; returns the URL and what it received. */
async function store(handlers: Array<(request: IncomingMessage, response: ServerResponse, received: Buffer) => void>): Promise<{ url: string; bodies: Buffer[]; headers: IncomingMessage["headers"][] }> {
  const bodies: Buffer[] = [];
  const headers: IncomingMessage["headers"][] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const received = Buffer.concat(chunks);
      bodies.push(received);
      headers.push(request.headers);
      (handlers[bodies.length - 1] ?? handlers[handlers.length - 1])(request, response, received);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/c/siteA/visits.nm.share?sig=SECRET`, bodies, headers };
}

const created = (_request: IncomingMessage, response: ServerResponse, received: Buffer) => {
  response.writeHead(201, { "Content-MD5": createHash("md5").update(received).digest("base64") }).end();
};

describe("putToPresignedUrl", () => {
  it("sends the whole body with Content-Length, Content-MD5 and the grant's headers", async () => {
    const target = await store([created]);
    const answer = await putToPresignedUrl(target.url, { "x-ms-blob-type": "BlockBlob" }, body, { policy: FAST });
    expect(answer).toEqual({ outcome: "created", attempts: 1, storeMd5Base64: body.md5Base64, afterLostAnswer: false });
    expect(target.bodies[0].equals(bytes)).toBe(true);
    expect(target.headers[0]).toMatchObject({ "content-length": String(bytes.length), "content-md5": body.md5Base64, "x-ms-blob-type": "BlockBlob" });
  });

  it("retries 503s and dropped connections, then succeeds", async () => {
    const target = await store([
      (_request, response) => response.writeHead(503).end("<Error><Code>ServerBusy</Code></Error>"),
      (request) => request.socket.destroy(),
      created,
    ]);
    const retries: string[] = [];
    const answer = await putToPresignedUrl(target.url, {}, body, { policy: FAST, onRetry: (attempt, reason) => retries.push(`${attempt}: ${reason}`) });
    expect(answer).toMatchObject({ outcome: "created", attempts: 3, afterLostAnswer: true });
    expect(retries[0]).toBe("1: HTTP 503 ServerBusy");
    expect(target.bodies.every((received) => received.equals(bytes))).toBe(true);
  });

  it("gives up after the last attempt without leaking the signature", async () => {
    const target = await store([(_request, response) => response.writeHead(500).end()]);
    const failure = await putToPresignedUrl(target.url, {}, body, { policy: FAST }).catch((error: Error) => error);
    expect(failure).toMatchObject({ code: "store-unreachable" });
    expect((failure as Error).message).toMatch(/gave up after 4 attempts \(last: HTTP 500\)/);
    expect((failure as Error).message).not.toContain("SECRET");
    expect(target.bodies).toHaveLength(4);
  });

  it("reads write-once conflicts as `exists` and refusals as final", async () => {
    for (const [status, code] of [[409, "BlobAlreadyExists"], [412, "PreconditionFailed"], [403, "AuthorizationPermissionMismatch"]] as const) {
      const target = await store([(_request, response) => response.writeHead(status).end(`<Error><Code>${code}</Code></Error>`)]);
      // Azure's 403 means "taken" only for an Azure grant, which always carries x-ms-blob-type.
      expect(await putToPresignedUrl(target.url, { "x-ms-blob-type": "BlockBlob" }, body, { policy: FAST })).toMatchObject({ outcome: "exists", attempts: 1, afterLostAnswer: false });
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
    const expired = await store([(_request, response) => response.writeHead(403).end("<Error><Code>AuthenticationFailed</Code><AuthenticationErrorDetail>Signed expiry time has to be after signed start time</AuthenticationErrorDetail></Error>")]);
    const refusal = await putToPresignedUrl(expired.url, {}, body, { policy: FAST }).catch((error: Error) => error);
    expect(refusal).toMatchObject({ code: "grant-expired", status: 403 });
    expect(expired.bodies).toHaveLength(1);
  });

  it("refuses a store whose MD5 differs from the bytes sent, or that reports damage", async () => {
    const wrong = await store([(_request, response) => response.writeHead(200, { ETag: '"00112233445566778899aabbccddeeff"' }).end()]);
    expect(await putToPresignedUrl(wrong.url, {}, body, { policy: FAST }).catch((error: Error) => error)).toMatchObject({ code: "upload-digest-mismatch" });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const damaged = await store([(_request, response) => response.writeHead(400).end("<Error><Code>BadDigest</Code></Error>")]);
    expect(await putToPresignedUrl(damaged.url, {}, body, { policy: FAST }).catch((error: Error) => error)).toMatchObject({ code: "upload-digest-mismatch" });
  });

  it("streams a large body through backpressure without piling up listeners", async () => {
    const large = Buffer.alloc(24 << 20, 7);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const target = await store([created]);
      const md5Base64 = createHash("md5").update(large).digest("base64");
      const read = async function* () { for (let offset = 0; offset < large.length; offset += 1 << 16) yield large.subarray(offset, offset + (1 << 16)); };
      expect(await putToPresignedUrl(target.url, {}, { read, bytes: large.length, md5Base64 }, { policy: FAST })).toMatchObject({ outcome: "created" });
      expect(target.bodies[0].length).toBe(large.length);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((warning) => warning.name)).not.toContain("MaxListenersExceededWarning");
  });

  it("stops sending and reading at once when the store answers before the body", async () => {
    let reads = 0;
    const endless = { read: async function* () { for (;;) { reads++; yield Buffer.alloc(1 << 16); } }, bytes: 1 << 30, md5Base64: "x" };
    server = createServer();
    // Answer on the headers and never read the body, keeping the connection open as a slow store might.
    server.on("checkContinue", (_request, response) => { response.writeHead(403).end("<Error><Code>AuthenticationFailed</Code></Error>"); });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/c/x?sig=SECRET`;
    const started = Date.now();
    const refusal = await putToPresignedUrl(url, {}, endless, { policy: FAST }).catch((error: Error) => error);
    expect(refusal).toMatchObject({ code: "upload-refused", status: 403 });
    expect(Date.now() - started).toBeLessThan(FAST.idleTimeoutMs);
    expect(reads).toBe(0);
  });

  it("does not take a taken name for its own when the body never went out", async () => {
    let requests = 0;
    server = createServer();
    server.on("checkContinue", (request, response) => {
      requests++;
      // The first connection dies before any body byte; the second finds the name taken by someone else.
      if (requests === 1) request.socket.destroy();
      else response.writeHead(409).end("<Error><Code>BlobAlreadyExists</Code></Error>");
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/c/x?sig=SECRET`;
    expect(await putToPresignedUrl(url, {}, body, { policy: FAST })).toMatchObject({ outcome: "exists", attempts: 2, afterLostAnswer: false });
  });

  it("retries 409s that are not a taken name, and ignores an SSE-KMS ETag", async () => {
    const target = await store([
      (_request, response) => response.writeHead(409).end("<Error><Code>ConditionalRequestConflict</Code></Error>"),
      (_request, response) => response.writeHead(200, { ETag: '"00112233445566778899aabbccddeeff"', "x-amz-server-side-encryption": "aws:kms" }).end(),
    ]);
    expect(await putToPresignedUrl(target.url, {}, body, { policy: FAST })).toEqual({ outcome: "created", attempts: 2, storeMd5Base64: undefined, afterLostAnswer: false });
  });

  it("waits as long as a throttling store's Retry-After asks, when that is longer than the backoff", async () => {
    const target = await store([
      (_request, response) => response.writeHead(503, { "Retry-After": "1" }).end("<Error><Code>ServerBusy</Code></Error>"),
      created,
    ]);
    const delays: number[] = [];
    const answer = await putToPresignedUrl(target.url, {}, body, { policy: FAST, onRetry: (_attempt, _reason, delayMs) => delays.push(delayMs) });
    expect(answer).toMatchObject({ outcome: "created", attempts: 2 });
    expect(delays).toEqual([1000]);
  });
});
