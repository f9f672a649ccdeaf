/** A compute party's cloud inbox: pre-signs write-once uploads for partners, lists and reads for its owner. */
import { CatalystError, ExitCode, UsageError } from "../share/errors.js";
import type { StoreAddress } from "./storeAddress.js";

/** One pre-signed request a partner makes: the URL carries the permission, the headers are part of the contract. */
export interface PresignedUpload {
  url: string;
  headers: Record<string, string>;
}

export interface BucketObject {
  /** The name relative to the store address's prefix, e.g. `PARTNER/TABLE.PARTY.share`. */
  name: string;
  bytes: number;
  /** The MD5 the store keeps for the object, when it is known to be one (not an S3 ETag under SSE-KMS). */
  md5Base64?: string;
  /** An opaque version tag (the ETag): a changed object has another one. */
  version?: string;
}

/** The store answered with an error: missing container or bucket, refused credentials, unreachable endpoint. */
export class StoreError extends CatalystError {
  constructor(message: string, code = "store-error") {
    super(code, message, ExitCode.failure);
  }
}

export interface Bucket {
  /** `azure://ACCOUNT/CONTAINER[/PREFIX]` or `s3://BUCKET[/PREFIX]`: never credentials. */
  readonly description: string;
  /** The longest validity the store can sign for a URL. */
  readonly maxGrantSeconds: number;
  /** Fails clearly when the container or bucket is missing, or creates it when asked to. */
  ensureExists(create: boolean): Promise<"present" | "created">;
  /** A URL that may create `name` once: no read, no list, no overwrite, expiring at `expiresOn`. */
  presignCreateOnly(name: string, expiresOn: Date): Promise<PresignedUpload>;
  list(): Promise<BucketObject[]>;
  read(name: string): Promise<AsyncIterable<Uint8Array>>;
}

/** Opens the bucket behind an `azure://` or `s3://` address with credentials from the environment. */
export async function openBucket(address: StoreAddress, environment: NodeJS.ProcessEnv = process.env): Promise<Bucket> {
  if (address.kind === "azure") {
    const { AzureBucket } = await import("./azureBucket.js");
    return AzureBucket.fromEnvironment(address, environment);
  }
  if (address.kind === "s3") {
    // The pinned SDK works on Node 20; its notice about later releases needing Node 22 is not for analysts.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { S3Bucket } = await import("./s3Bucket.js");
    return S3Bucket.fromEnvironment(address, environment);
  }
  throw new UsageError(`${address.path} is a folder, not a bucket; use azure://ACCOUNT/CONTAINER or s3://BUCKET[/PREFIX]`);
}
