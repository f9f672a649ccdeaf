/** A file's SHA-256 (how Catalyst names content) and MD5 (what object stores check on arrival), in one read. */
import { createReadStream } from "node:fs";
import { md5 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

export interface FileDigests {
  /** `sha256:HEX` */
  digest: string;
  md5Base64: string;
}

export async function fileDigests(path: string): Promise<FileDigests> {
  const sha = sha256.create();
  const legacy = md5.create();
  for await (const chunk of createReadStream(path)) {
    sha.update(chunk as Uint8Array);
    legacy.update(chunk as Uint8Array);
  }
  return { digest: "sha256:" + bytesToHex(sha.digest()), md5Base64: Buffer.from(legacy.digest()).toString("base64") };
}

export async function fileDigest(path: string): Promise<string> {
  const sha = sha256.create();
  for await (const chunk of createReadStream(path)) sha.update(chunk as Uint8Array);
  return "sha256:" + bytesToHex(sha.digest());
}
