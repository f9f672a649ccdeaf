/** Azure Blob Storage as an inbox: blob SAS URLs with create-only permission, credentials from a connection string. */
import { BlobSASPermissions, BlobServiceClient, ContainerClient, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from "@azure/storage-blob";
import { CatalystError, UsageError } from "../share/errors.js";
import { StoreError, type Bucket, type BucketObject, type PresignedUpload } from "./bucket.js";
import { redactSecrets } from "./redact.js";
import { describeStoreAddress, objectNameOf, type StoreAddress } from "./storeAddress.js";

type AzureAddress = Extract<StoreAddress, { kind: "azure" }>;

/** `Key=Value;…` pairs of an Azure connection string (values may contain `=`). */
function parseConnectionString(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of text.split(";")) {
    const separator = part.indexOf("=");
    if (separator > 0) fields.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  return fields;
}

function describeAzureError(error: unknown, what: string): Error {
  if (error instanceof CatalystError) return error;
  const rest = error as { statusCode?: number; code?: string; message?: string };
  const code = rest.code ?? (rest.statusCode !== undefined ? `HTTP ${rest.statusCode}` : undefined);
  const detail = redactSecrets(String(rest.message ?? error).split("\n")[0]);
  return new StoreError(`${what}: ${code === "ContainerNotFound" ? "the container does not exist (run `catalyst grant … --create` once, or create it in the portal)" : `${code ? `${code}: ` : ""}${detail}`}`, code === "ContainerNotFound" ? "store-missing" : "store-error");
}

export class AzureBucket implements Bucket {
  readonly description: string;
  /**
   * A service SAS can only be revoked by rotating the account key, so grants are kept short: a month at most
   * (a stored access policy would allow revoking one; not used yet).
   */
  readonly maxGrantSeconds = 31 * 24 * 3600;

  private constructor(private readonly address: AzureAddress, private readonly container: ContainerClient, private readonly credential: StorageSharedKeyCredential | undefined) {
    this.description = describeStoreAddress(address);
  }

  /** Reads AZURE_STORAGE_CONNECTION_STRING; its BlobEndpoint may point at Azurite. */
  static fromEnvironment(address: AzureAddress, environment: NodeJS.ProcessEnv): AzureBucket {
    const connectionString = environment.AZURE_STORAGE_CONNECTION_STRING;
    if (!connectionString) throw new UsageError(`${describeStoreAddress(address)} needs credentials: set AZURE_STORAGE_CONNECTION_STRING (never pass them as flags)`, "no-credentials");
    const fields = parseConnectionString(connectionString);
    const accountName = fields.get("AccountName");
    if (accountName !== undefined && accountName !== address.account) {
      throw new UsageError(`AZURE_STORAGE_CONNECTION_STRING is for account ${accountName}, but the store is ${describeStoreAddress(address)}`, "wrong-account");
    }
    const accountKey = fields.get("AccountKey");
    const endpoint = fields.get("BlobEndpoint") ?? `${fields.get("DefaultEndpointsProtocol") ?? "https"}://${address.account}.blob.${fields.get("EndpointSuffix") ?? "core.windows.net"}`;
    try {
      if (accountKey && accountName) {
        const credential = new StorageSharedKeyCredential(accountName, accountKey);
        return new AzureBucket(address, new BlobServiceClient(endpoint, credential).getContainerClient(address.container), credential);
      }
      return new AzureBucket(address, BlobServiceClient.fromConnectionString(connectionString).getContainerClient(address.container), undefined);
    } catch (error) {
      throw new UsageError(`AZURE_STORAGE_CONNECTION_STRING is not usable: ${redactSecrets((error as Error).message)}`, "no-credentials");
    }
  }

  async ensureExists(create: boolean): Promise<"present" | "created"> {
    try {
      if (await this.container.exists()) return "present";
      if (!create) throw new StoreError(`${this.description}: the container does not exist; pass --create to make it`, "store-missing");
      await this.container.create();
      return "created";
    } catch (error) {
      throw describeAzureError(error, this.description);
    }
  }

  async presignCreateOnly(name: string, expiresOn: Date): Promise<PresignedUpload> {
    if (!this.credential) throw new UsageError("signing grants needs the account key: AZURE_STORAGE_CONNECTION_STRING must hold AccountName and AccountKey", "no-credentials");
    const blob = this.container.getBlockBlobClient(objectNameOf(this.address, name));
    // `c` alone: create a new blob, never read, list or overwrite one.
    const sas = generateBlobSASQueryParameters({
      containerName: this.address.container,
      blobName: objectNameOf(this.address, name),
      permissions: BlobSASPermissions.parse("c"),
      expiresOn,
      protocol: new URL(blob.url).protocol === "https:" ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    }, this.credential).toString();
    return { url: `${blob.url}?${sas}`, headers: { "x-ms-blob-type": "BlockBlob", "If-None-Match": "*", "Content-Type": "application/octet-stream" } };
  }

  async list(): Promise<BucketObject[]> {
    const prefix = this.address.prefix ? `${this.address.prefix}/` : "";
    const objects: BucketObject[] = [];
    try {
      for await (const item of this.container.listBlobsFlat({ prefix })) {
        const md5 = item.properties.contentMD5;
        objects.push({ name: item.name.slice(prefix.length), bytes: item.properties.contentLength ?? 0, md5Base64: md5 ? Buffer.from(md5).toString("base64") : undefined, version: item.properties.etag });
      }
    } catch (error) {
      throw describeAzureError(error, this.description);
    }
    return objects;
  }

  async read(name: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const download = await this.container.getBlobClient(objectNameOf(this.address, name)).download();
      if (!download.readableStreamBody) throw new StoreError(`${this.description}/${name}: the store sent no body`);
      return download.readableStreamBody as unknown as AsyncIterable<Uint8Array>;
    } catch (error) {
      throw describeAzureError(error, `${this.description}/${name}`);
    }
  }
}
