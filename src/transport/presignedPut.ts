/** PUT one file to a pre-signed URL, over any HTTP client: retried with backoff on transient faults, checked against the store's digest. */
import { IntegrityError, CatalystError, ExitCode } from "../share/errors.js";
import { randomBytes } from "../share/random.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { redactUrl } from "./redact.js";

/** What the retries need of any body: its size and digest. */
export interface UploadDigest {
  bytes: number;
  /** Base64 MD5 of the body: sent as Content-MD5 so the store checks it, and compared with the store's answer. */
  md5Base64: string;
}

/** A body read from a stream, afresh for every attempt (Node's client). */
export interface UploadBody extends UploadDigest {
  read: () => AsyncIterable<Uint8Array>;
}

export interface UploadAnswer {
  /** `created`: this request stored the object; `exists`: the write-once URL already holds an object. */
  outcome: "created" | "exists";
  attempts: number;
  /** The digest the store reported for what it stored (Content-MD5 or a single-part ETag), if it reported one. */
  storeMd5Base64?: string;
  /** Whether an earlier attempt in this call may have stored the object before its answer was lost. */
  afterLostAnswer: boolean;
}

export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** How long a connection may stay silent before the attempt counts as failed. */
  idleTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 6, firstDelayMs: 500, maxDelayMs: 15_000, idleTimeoutMs: 60_000 };

/** The store refused the upload for good: expired or forged signature, wrong permission, bad digest. */
export class UploadRefusedError extends CatalystError {
  constructor(message: string, readonly status: number, code = "upload-refused") {
    // A refused signature or a damaged body is an integrity matter; other refusals are plain failures.
    super(code, message, status === 403 || code === "upload-digest-mismatch" ? ExitCode.integrity : ExitCode.failure);
  }
}

/** Every attempt failed on the network or with a server error. */
export class UploadUnreachableError extends CatalystError {
  constructor(message: string) {
    super("store-unreachable", message, ExitCode.failure);
  }
}

/** A fault worth retrying; `mayHaveLanded` once the whole body was sent, since the store may have kept it. */
/** What one PUT got back, whatever HTTP client sent it. */
export interface RawAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the whole body had been sent when the answer came. */
  bodySent: boolean;
}

/** One PUT of the whole body; throws TransientFault for a fault worth retrying. */
export type PutOnce<Body extends UploadDigest = UploadBody> = (url: URL, headers: Record<string, string>, body: Body, idleTimeoutMs: number, onBytes: (sent: number) => void) => Promise<RawAnswer>;

export class TransientFault extends Error {
  constructor(message: string, readonly mayHaveLanded: boolean) {
    super(message);
  }
}

/** The store's own error code, from an Azure `<Code>` or S3 `<Code>` element. */
function storeErrorCode(body: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
}

/** The MD5 the store reports: Azure's Content-MD5 header, or S3's ETag when it is a plain MD5. */
function reportedMd5(headers: RawAnswer["headers"]): string | undefined {
  const contentMd5 = headers["content-md5"];
  if (typeof contentMd5 === "string" && contentMd5.length > 0) return contentMd5;
  const encryption = headers["x-amz-server-side-encryption"];
  return md5FromEtag(typeof headers.etag === "string" ? headers.etag : undefined, typeof encryption === "string" ? encryption : undefined);
}

/**
 * Whether an answer means "this write-once name is already taken": Azure's BlobAlreadyExists (409), S3's
 * signed If-None-Match failing (412), or an Azure create-only SAS meeting an existing blob (403
 * AuthorizationPermissionMismatch: creating is allowed, so only the existence can be refused).
 */
function nameTaken(status: number, code: string | undefined, headers: Record<string, string>): boolean {
  if (status === 409) return code === "BlobAlreadyExists";
  if (status === 412) return code === undefined || code === "PreconditionFailed" || code === "ConditionNotMet";
  const azureGrant = Object.keys(headers).some((name) => name.toLowerCase() === "x-ms-blob-type");
  return status === 403 && code === "AuthorizationPermissionMismatch" && azureGrant;
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** Error codes that come with a 4xx but ask to be retried. */
const TRANSIENT_CODES = new Set(["ConditionalRequestConflict", "OperationTimedOut", "ServerBusy", "SlowDown", "RequestTimeout"]);

/**
 * PUTs `body` to a write-once pre-signed URL. A network fault or a 5xx is retried with exponential backoff and
 * jitter; every attempt sends the whole body again, which is safe because the store commits a PUT whole or not
 * at all. A taken name (see `nameTaken`) is reported as `exists`; the caller decides whether that is its own.
 */
export async function putWithRetries<Body extends UploadDigest>(
  putOnce: PutOnce<Body>,
  url: string,
  headers: Record<string, string>,
  body: Body,
  options: { policy?: RetryPolicy; onBytes?: (sent: number) => void; onRetry?: (attempt: number, reason: string, delayMs: number) => void } = {},
): Promise<UploadAnswer> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const target = new URL(url);
  const shown = redactUrl(url);
  let lostAnswer = false;
  let lastReason = "";
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let answer: RawAnswer;
    try {
      answer = await putOnce(target, headers, body, policy.idleTimeoutMs, options.onBytes ?? (() => {}));
    } catch (error) {
      if (!(error instanceof TransientFault)) throw error;
      // Only a request whose whole body went out can have been stored without us hearing of it.
      lostAnswer ||= error.mayHaveLanded;
      lastReason = error.message;
      await backOff(attempt, policy, lastReason, options.onRetry);
      continue;
    }
    const code = storeErrorCode(answer.body);
    if (answer.status === 200 || answer.status === 201) {
      const storeMd5Base64 = reportedMd5(answer.headers);
      if (storeMd5Base64 !== undefined && storeMd5Base64 !== body.md5Base64) {
        throw new IntegrityError(`the store holds different bytes than were sent (MD5 ${storeMd5Base64}, sent ${body.md5Base64})`, { file: shown }, "upload-digest-mismatch");
      }
      return { outcome: "created", attempts: attempt, storeMd5Base64, afterLostAnswer: lostAnswer };
    }
    if (nameTaken(answer.status, code, headers)) return { outcome: "exists", attempts: attempt, afterLostAnswer: lostAnswer };
    if (TRANSIENT_STATUS.has(answer.status) || (code !== undefined && TRANSIENT_CODES.has(code))) {
      // A server error after the whole body (Azure's OperationTimedOut, say) may still have committed it.
      lostAnswer ||= answer.bodySent && answer.status >= 500;
      lastReason = `HTTP ${answer.status}${code ? ` ${code}` : ""}`;
      await backOff(attempt, policy, lastReason, options.onRetry, retryAfterMs(answer.headers["retry-after"]));
      continue;
    }
    throw refusal(answer.status, code, answer.body, shown);
  }
  throw new UploadUnreachableError(`${shown}: gave up after ${policy.attempts} attempts (last: ${lastReason}); run the same upload again later, it resumes safely`);
}

function refusal(status: number, code: string | undefined, body: string, shown: string): UploadRefusedError {
  const message = /<(?:Message|AuthenticationErrorDetail)>([^<]+)</.exec(body)?.[1]?.trim();
  if (status === 400 && (code === "Md5Mismatch" || code === "BadDigest" || code === "InvalidDigest")) {
    return new UploadRefusedError(`${shown}: the store received different bytes than were sent (${code}); the upload was not stored`, status, "upload-digest-mismatch");
  }
  if (status === 403) {
    const expired = /expir/i.test(message ?? "") || code === "AccessDenied" && /expir/i.test(body);
    return new UploadRefusedError(`${shown}: the store refused the grant (HTTP 403${code ? ` ${code}` : ""})${expired ? ": it has expired" : ""}; ask the compute site for a new grant`, status, expired ? "grant-expired" : "upload-refused");
  }
  return new UploadRefusedError(`${shown}: the store refused the upload (HTTP ${status}${code ? ` ${code}` : ""}${message ? `: ${message.split("\n")[0]}` : ""})`, status);
}

/** A store's `Retry-After` (seconds or an HTTP date) in milliseconds, if it sent a usable one. */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return undefined;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text.trim()) * 1000 : Date.parse(text) - Date.now();
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** Retry-After longer than this is not waited for in one go; the attempt budget still bounds the total. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

async function backOff(attempt: number, policy: RetryPolicy, reason: string, onRetry?: (attempt: number, reason: string, delayMs: number) => void, storeAsksMs?: number): Promise<void> {
  if (attempt >= policy.attempts) return;
  const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1));
  // Jitter spreads the retries of many partners hitting one store after an outage; timing is not secret.
  const fraction = new DataView(randomBytes(4).buffer).getUint32(0) / 2 ** 32;
  // A throttling store's own Retry-After is honoured when it asks for longer than the backoff would wait.
  const delayMs = Math.max(Math.round(ceiling / 2 + fraction * (ceiling / 2)), Math.min(storeAsksMs ?? 0, MAX_RETRY_AFTER_MS));
  onRetry?.(attempt, reason, delayMs);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
}

/**
 * An ETag as a base64 MD5, where it can be one: a plain single-part upload's. Multipart ETags have a `-N`
 * suffix, and under SSE-KMS (`kms`) the ETag is not the data's MD5 at all, so both give undefined.
 */
export function md5FromEtag(etag: string | undefined, serverSideEncryption?: string): string | undefined {
  if (serverSideEncryption !== undefined && /kms/i.test(serverSideEncryption)) return undefined;
  const bare = (etag ?? "").replace(/"/g, "");
  return /^[0-9a-f]{32}$/i.test(bare) ? bytesToBase64(hexToBytes(bare.toLowerCase())) : undefined;
}

/** Base64 without Node's Buffer, for digests in headers. */
export function bytesToBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}
