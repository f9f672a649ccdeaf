/** X25519 key pairs for compute parties and investigators, their files and fingerprints. */
import { x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { InputError } from "./errors.js";

export interface PublicKey {
  name: string;
  publicKey: Uint8Array;
}

export interface SecretKey extends PublicKey {
  secretKey: Uint8Array;
}

const PUBLIC_PREFIX = "catalyst-x25519";
const SECRET_FORMAT = "catalyst-x25519-secret/1";

export function generateKeyPair(name: string): SecretKey {
  checkKeyName(name);
  const secretKey = x25519.utils.randomSecretKey();
  return { name, secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

export function checkKeyName(name: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.length > 64) {
    throw new InputError(`"${name}" is not a usable key name: use letters, digits, "_", "-" and "." (at most 64)`);
  }
}

/** `SHA256:` and the unpadded base64 of the key's SHA-256, as OpenSSH prints host keys. */
export function fingerprint(publicKey: Uint8Array): string {
  return "SHA256:" + btoa(String.fromCharCode(...sha256(publicKey))).replace(/=+$/, "");
}

/** One line, like an OpenSSH public key, so it can be pasted into a study or a portal form. */
export function formatPublicKey(key: PublicKey): string {
  return `${PUBLIC_PREFIX} ${bytesToHex(key.publicKey)} ${key.name}\n`;
}

export function formatSecretKey(key: SecretKey): string {
  return JSON.stringify({ format: SECRET_FORMAT, name: key.name, secretKey: bytesToHex(key.secretKey), publicKey: bytesToHex(key.publicKey) }, null, 2) + "\n";
}

/** Accepts the `catalyst-x25519 HEX NAME` line (or just the 64 hex digits). */
export function parsePublicKey(text: string, file = "public key"): PublicKey {
  const fields = text.trim().split(/\s+/);
  const [prefix, hex, name] = fields.length === 1 ? [PUBLIC_PREFIX, fields[0], ""] : fields;
  if (prefix !== PUBLIC_PREFIX || !/^[0-9a-fA-F]{64}$/.test(hex ?? "")) {
    throw new InputError(`not a Catalyst public key: expected "${PUBLIC_PREFIX} <64 hex digits> <name>" as written by \`catalyst keys generate\``, { file, line: 1, column: 1 });
  }
  return { name: name ?? "", publicKey: hexToBytes(hex.toLowerCase()) };
}

export function parseSecretKey(text: string, file = "secret key"): SecretKey {
  let parsed: { format?: unknown; name?: unknown; secretKey?: unknown; publicKey?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError("not a Catalyst secret key file (it is not JSON); use the NAME.key written by `catalyst keys generate`", { file });
  }
  if (parsed.format !== SECRET_FORMAT || typeof parsed.secretKey !== "string" || !/^[0-9a-f]{64}$/.test(parsed.secretKey)) {
    throw new InputError(`not a Catalyst secret key file (expected format ${SECRET_FORMAT})`, { file });
  }
  const secretKey = hexToBytes(parsed.secretKey);
  const publicKey = x25519.getPublicKey(secretKey);
  if (typeof parsed.publicKey === "string" && parsed.publicKey !== bytesToHex(publicKey)) {
    throw new InputError("the secret key file is damaged: its public key does not match its secret key", { file });
  }
  return { name: typeof parsed.name === "string" ? parsed.name : "", secretKey, publicKey };
}

export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
