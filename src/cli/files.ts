/** Reading the user's files with errors that name them: studies, keys, SQL. */
import { readFile, stat } from "node:fs/promises";
import { InputError } from "../share/errors.js";
import { parsePublicKey, parseSecretKey, type PublicKey, type SecretKey } from "../share/keys.js";
import { parseStudy, type Study } from "../share/study.js";

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new InputError(`cannot read ${what}: ${reason}`, { file: path }, "unreadable");
  }
}

export async function loadStudy(path: string): Promise<Study> {
  return parseStudy(await readText(path, "the study file"), path);
}

export async function loadSecretKey(path: string): Promise<SecretKey> {
  return parseSecretKey(await readText(path, "the secret key"), path);
}

export async function loadPublicKey(path: string): Promise<PublicKey> {
  return parsePublicKey(await readText(path, "the public key"), path);
}


/** Fails with a clear error (not Node's ENOENT) when a file the user named cannot be read. */
export async function requireFile(path: string, what: string): Promise<void> {
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => error);
  if (found instanceof Error) throw new InputError(`cannot read ${what}: ${found.code === "ENOENT" ? "no such file" : found.message}`, { file: path }, "unreadable");
  if (!found.isFile()) throw new InputError(`cannot read ${what}: it is not a file`, { file: path }, "unreadable");
}
