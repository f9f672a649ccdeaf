/** Where a compute party's inbox lives: a local folder, an Azure Blob container or an S3 bucket, as the user writes it. */
import { UsageError } from "../share/errors.js";
import { redactUrl } from "./redact.js";

export type StoreAddress =
  | { kind: "directory"; path: string }
  | { kind: "azure"; account: string; container: string; prefix: string }
  | { kind: "s3"; bucket: string; prefix: string };

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** True for anything written as `scheme://…`, so a URL is never mistaken for a folder name. */
export function looksLikeUrl(target: string): boolean {
  return URL_SCHEME.test(target);
}

/** `azure://ACCOUNT/CONTAINER[/PREFIX]`, `s3://BUCKET[/PREFIX]` or a plain folder path. */
export function parseStoreAddress(target: string): StoreAddress {
  const scheme = URL_SCHEME.exec(target)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "directory", path: target };
  const [first = "", ...rest] = target.slice(scheme.length + 3).split("/").filter((part) => part.length > 0);
  if (scheme !== "azure" && scheme !== "s3") throw new UsageError(`${redactUrl(target)}: unknown store; use azure://ACCOUNT/CONTAINER, s3://BUCKET[/PREFIX] or a folder path`);
  if (rest.some((part) => part === "." || part === ".." || /[?#\\]/.test(part))) throw new UsageError(`${redactUrl(target)}: a prefix may not contain ".", "..", "?", "#" or "\\" segments`);
  if (scheme === "azure") {
    const [container = "", ...prefix] = rest;
    if (!/^[a-z0-9]{3,24}$/.test(first)) throw new UsageError(`${target}: the storage account name must be 3–24 lower-case letters and digits (azure://ACCOUNT/CONTAINER)`);
    if (!/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/.test(container) || container.endsWith("-")) throw new UsageError(`${target}: the container name must be 3–63 lower-case letters, digits and single hyphens (azure://ACCOUNT/CONTAINER)`);
    return { kind: "azure", account: first, container, prefix: prefix.join("/") };
  }
  if (scheme === "s3") {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(first)) throw new UsageError(`${target}: the bucket name must be 3–63 lower-case letters, digits, dots and hyphens (s3://BUCKET[/PREFIX])`);
    return { kind: "s3", bucket: first, prefix: rest.join("/") };
  }
  throw new UsageError(`${redactUrl(target)}: unknown store; use azure://ACCOUNT/CONTAINER, s3://BUCKET[/PREFIX] or a folder path`);
}

export function describeStoreAddress(address: StoreAddress): string {
  if (address.kind === "directory") return `folder ${address.path}`;
  const root = address.kind === "azure" ? `azure://${address.account}/${address.container}` : `s3://${address.bucket}`;
  return address.prefix ? `${root}/${address.prefix}` : root;
}

/** The object name under the store's prefix. */
export function objectNameOf(address: StoreAddress, name: string): string {
  return address.kind !== "directory" && address.prefix ? `${address.prefix}/${name}` : name;
}
