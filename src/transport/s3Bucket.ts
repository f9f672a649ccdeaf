/** An S3-compatible bucket as an inbox: presigned PUTs that must carry `If-None-Match: *`, credentials from the AWS environment. */
import { CreateBucketCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { CatalystError, UsageError } from "../share/errors.js";
import { StoreError, type Bucket, type BucketObject, type PresignedUpload } from "./bucket.js";
import { redactSecrets } from "./redact.js";
import { describeStoreAddress, objectNameOf, type StoreAddress } from "./storeAddress.js";

type S3Address = Extract<StoreAddress, { kind: "s3" }>;

function describeS3Error(error: unknown, what: string): Error {
  if (error instanceof CatalystError) return error;
  const rest = error as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  const status = rest.$metadata?.httpStatusCode;
  if (rest.name === "NoSuchKey") return new StoreError(`${what}: no such object`, "store-missing");
  if (rest.name === "NoSuchBucket" || rest.name === "NotFound" && status === 404) return new StoreError(`${what}: the bucket does not exist (run \`catalyst grant … --create\` once, or create it)`, "store-missing");
  if (rest.name === "CredentialsProviderError") return new UsageError(`${what}: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile (never pass them as flags)`, "no-credentials");
  return new StoreError(`${what}: ${rest.name ?? "error"}${status ? ` (HTTP ${status})` : ""}: ${redactSecrets(String(rest.message ?? error).split("\n")[0])}`);
}

export class S3Bucket implements Bucket {
  readonly description: string;
  /** Signature V4 presigned URLs are valid for at most seven days. */
  readonly maxGrantSeconds = 7 * 24 * 3600;

  private constructor(private readonly address: S3Address, private readonly client: S3Client) {
    this.description = describeStoreAddress(address);
  }

  /** The SDK's standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile, AWS_REGION, AWS_ENDPOINT_URL. */
  static fromEnvironment(address: S3Address, environment: NodeJS.ProcessEnv): S3Bucket {
    const endpoint = environment.AWS_ENDPOINT_URL_S3 ?? environment.AWS_ENDPOINT_URL;
    const client = new S3Client({
      region: environment.AWS_REGION ?? environment.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      // On-premises stores reject the newer default checksums that a presigned URL cannot carry anyway.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    return new S3Bucket(address, client);
  }

  async ensureExists(create: boolean): Promise<"present" | "created"> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.address.bucket }));
      return "present";
    } catch (error) {
      const missing = describeS3Error(error, this.description);
      if (!(missing instanceof StoreError) || missing.code !== "store-missing") throw missing;
      if (!create) throw new StoreError(`${this.description}: the bucket does not exist; pass --create to make it`, "store-missing");
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.address.bucket }));
      return "created";
    } catch (error) {
      throw describeS3Error(error, this.description);
    }
  }

  async presignCreateOnly(name: string, expiresOn: Date): Promise<PresignedUpload> {
    const expiresIn = Math.floor((expiresOn.getTime() - Date.now()) / 1000);
    // A URL signed with temporary credentials (SSO, STS, an instance role) dies with them, whatever it says.
    const credentials = await this.client.config.credentials().catch((error: unknown) => { throw describeS3Error(error, this.description); });
    if (credentials.expiration && credentials.expiration.getTime() < expiresOn.getTime()) {
      throw new UsageError(`the AWS credentials expire at ${credentials.expiration.toISOString()}, before the grant would (${expiresOn.toISOString()}); use long-term credentials or a shorter --expires`, "short-credentials");
    }
    // The signed If-None-Match makes the PUT create-only: a second PUT gets 412, one without the header 403.
    const url = await getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.address.bucket, Key: objectNameOf(this.address, name), IfNoneMatch: "*" }), {
      expiresIn,
      signableHeaders: new Set(["if-none-match"]),
      unhoistableHeaders: new Set(["if-none-match"]),
    }).catch((error: unknown) => { throw describeS3Error(error, this.description); });
    return { url, headers: { "If-None-Match": "*" } };
  }

  async list(): Promise<BucketObject[]> {
    const prefix = this.address.prefix ? `${this.address.prefix}/` : "";
    const objects: BucketObject[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.address.bucket, Prefix: prefix, ContinuationToken: continuationToken }));
        for (const item of page.Contents ?? []) {
          // A listing does not say whether an object is under SSE-KMS, where the ETag is no MD5: keep it opaque.
          objects.push({ name: (item.Key ?? "").slice(prefix.length), bytes: item.Size ?? 0, version: item.ETag });
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
    } catch (error) {
      throw describeS3Error(error, this.description);
    }
    return objects;
  }

  async read(name: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.address.bucket, Key: objectNameOf(this.address, name) }));
      if (!answer.Body) throw new StoreError(`${this.description}/${name}: the store sent no body`);
      return answer.Body as unknown as AsyncIterable<Uint8Array>;
    } catch (error) {
      throw describeS3Error(error, `${this.description}/${name}`);
    }
  }
}
