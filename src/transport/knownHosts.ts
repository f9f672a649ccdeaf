/** Host-key pinning: OpenSSH known_hosts files (plain or hashed entries) and SHA256 fingerprints. */
import { createHash, createHmac } from "node:crypto";

export interface KnownHostKey {
  keyType: string;
  /** The SSH wire-format public key blob. */
  key: Buffer;
}

/** The name OpenSSH writes for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  const regex = new RegExp("^" + pattern.replace(/[.+^${}()[\]\\]/g, (c) => "\\" + c).replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "i");
  return regex.test(name);
}

/**
 * Keys the known_hosts text accepts for `host:port`: matching lines (negations honoured) minus every key
 * listed as `@revoked` anywhere, as OpenSSH does. `@cert-authority` lines are not supported and never match.
 */
export function keysForHost(knownHostsText: string, host: string, port: number): KnownHostKey[] {
  const name = knownHostsName(host, port);
  const keys: KnownHostKey[] = [];
  const revoked: Buffer[] = [];
  for (const rawLine of knownHostsText.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    if (fields[0].startsWith("@")) {
      if (fields[0] === "@revoked" && fields[3]) revoked.push(Buffer.from(fields[3], "base64"));
      continue;
    }
    const [patterns, keyType, keyBase64] = fields;
    if (!patterns || !keyType || !keyBase64) continue;
    const list = patterns.split(",");
    if (list.some((pattern) => pattern.startsWith("!") && patternMatches(pattern.slice(1), name))) continue;
    if (!list.some((pattern) => !pattern.startsWith("!") && patternMatches(pattern, name))) continue;
    keys.push({ keyType, key: Buffer.from(keyBase64, "base64") });
  }
  return keys.filter((entry) => !revoked.some((key) => key.equals(entry.key)));
}

/** `SHA256:…` of a host key blob, exactly as `ssh-keygen -lf` prints it. */
export function hostKeyFingerprint(key: Buffer): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}
