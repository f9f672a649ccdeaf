/**
 * Sealed files: a public JSON header, then the payload in 64 KiB chunks, each encrypted with
 * ChaCha20-Poly1305 under a key from ephemeral X25519 + HKDF-SHA256 that commits to the header.
 * A sender with a static key (a compute party sealing its result) also mixes in static–static X25519, so
 * only the holder of that key can make a file the recipient accepts as the sender's.
 * The nonce carries a chunk counter and a last-chunk flag (the STREAM construction), so reordering,
 * truncation and appending all fail authentication.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { IntegrityError } from "./errors.js";
import { fingerprint } from "./keys.js";

const MAGIC = new TextEncoder().encode("CATSEAL1");
const KDF_INFO = "catalyst sealed file v1";
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 1 << 20;
export const CHUNK_BYTES = 64 * 1024;

/** Fields every sealed header carries; callers add their own (study, party, table…). */
export interface SealedHeader {
  format: "catalyst-sealed/1";
  recipient: string;
  /** Fingerprint of the sender's static key, when the file is authenticated to a sender. */
  sender?: string;
  ephemeralPublicKey: string;
  chunkBytes: number;
  [field: string]: unknown;
}

export type ByteSink = (bytes: Uint8Array) => void | Promise<void>;

function deriveKey(sharedSecret: Uint8Array, ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array, headerBytes: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(ephemeralPublicKey, 0);
  salt.set(recipientPublicKey, 32);
  const info = new Uint8Array([...new TextEncoder().encode(KDF_INFO), ...sha256(headerBytes)]);
  return hkdf(sha256, sharedSecret, salt, info, 32);
}

function chunkNonce(counter: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(3, BigInt(counter));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function encodeHeader(header: SealedHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(MAGIC.length + 4);
  prefix.set(MAGIC);
  new DataView(prefix.buffer).setUint32(MAGIC.length, json.length);
  return concat(prefix, json);
}

/** Encrypts a stream of plaintext to one recipient, emitting sealed bytes as chunks fill up. */
export class SealedWriter {
  readonly header: SealedHeader;
  private readonly headerBytes: Uint8Array;
  private readonly key: Uint8Array;
  private readonly additionalData: Uint8Array;
  private readonly pending = new Uint8Array(CHUNK_BYTES);
  private pendingLength = 0;
  private counter = 0;
  private readonly fileHash = sha256.create();
  private plaintextBytes = 0;
  private started = false;

  constructor(recipientPublicKey: Uint8Array, fields: Record<string, unknown>, private readonly sink: ByteSink, sender?: { secretKey: Uint8Array; publicKey: Uint8Array }) {
    const ephemeralSecret = x25519.utils.randomSecretKey();
    const ephemeralPublicKey = x25519.getPublicKey(ephemeralSecret);
    this.header = {
      ...fields,
      format: "catalyst-sealed/1",
      recipient: fingerprint(recipientPublicKey),
      ...(sender ? { sender: fingerprint(sender.publicKey) } : {}),
      ephemeralPublicKey: bytesToHex(ephemeralPublicKey),
      chunkBytes: CHUNK_BYTES,
    };
    const headerBytes = encodeHeader(this.header);
    this.additionalData = sha256(headerBytes);
    const ephemeralShared = x25519.getSharedSecret(ephemeralSecret, recipientPublicKey);
    const secret = sender ? concat(ephemeralShared, x25519.getSharedSecret(sender.secretKey, recipientPublicKey)) : ephemeralShared;
    this.key = deriveKey(secret, ephemeralPublicKey, recipientPublicKey, headerBytes);
    this.headerBytes = headerBytes;
  }

  private async emit(bytes: Uint8Array): Promise<void> {
    this.fileHash.update(bytes);
    await this.sink(bytes);
  }

  async write(plaintext: Uint8Array): Promise<void> {
    if (!this.started) { this.started = true; await this.emit(this.headerBytes); }
    this.plaintextBytes += plaintext.length;
    let offset = 0;
    while (offset < plaintext.length) {
      const take = Math.min(CHUNK_BYTES - this.pendingLength, plaintext.length - offset);
      this.pending.set(plaintext.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      // A full chunk waits for more input: only once more arrives do we know it is not the last.
      if (this.pendingLength === CHUNK_BYTES && offset < plaintext.length) await this.flush(false);
    }
  }

  private async flush(last: boolean): Promise<void> {
    const cipher = chacha20poly1305(this.key, chunkNonce(this.counter++, last), this.additionalData);
    await this.emit(cipher.encrypt(this.pending.subarray(0, this.pendingLength)));
    this.pendingLength = 0;
  }

  /** Seals the final chunk; returns the SHA-256 of every byte emitted and the plaintext length. */
  async finish(): Promise<{ digest: string; plaintextBytes: number }> {
    if (!this.started) { this.started = true; await this.emit(this.headerBytes); }
    await this.flush(true);
    return { digest: "sha256:" + bytesToHex(this.fileHash.digest()), plaintextBytes: this.plaintextBytes };
  }
}

/** Reads the public header without any key; its fields are authenticated only once a chunk opens. */
export async function readSealedHeader(source: AsyncIterable<Uint8Array>, file: string): Promise<{ header: SealedHeader; headerBytes: Uint8Array; rest: AsyncIterator<Uint8Array>; leftover: Uint8Array }> {
  const iterator = source[Symbol.asyncIterator]();
  let buffered: Uint8Array = new Uint8Array(0);
  const need = async (bytes: number, what: string) => {
    while (buffered.length < bytes) {
      const next = await iterator.next();
      if (next.done) throw new IntegrityError(`not a sealed Catalyst file or truncated (${what} is incomplete)`, { file }, "truncated");
      buffered = concat(buffered, next.value);
    }
  };
  await need(MAGIC.length + 4, "the file header");
  if (!MAGIC.every((byte, index) => buffered[index] === byte)) {
    throw new IntegrityError("not a sealed Catalyst file (bad magic bytes)", { file }, "not-sealed");
  }
  const jsonLength = new DataView(buffered.buffer, buffered.byteOffset).getUint32(MAGIC.length);
  if (jsonLength > MAX_HEADER_BYTES) throw new IntegrityError("damaged sealed file: header length is implausible", { file }, "tampered");
  const headerEnd = MAGIC.length + 4 + jsonLength;
  await need(headerEnd, "the file header");
  let header: SealedHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buffered.subarray(MAGIC.length + 4, headerEnd)));
  } catch {
    throw new IntegrityError("damaged sealed file: header is not valid JSON", { file }, "tampered");
  }
  if (header.format !== "catalyst-sealed/1" || typeof header.ephemeralPublicKey !== "string" || !/^[0-9a-f]{64}$/.test(header.ephemeralPublicKey) || header.chunkBytes !== CHUNK_BYTES) {
    throw new IntegrityError("damaged or unsupported sealed file header", { file }, "tampered");
  }
  return { header, headerBytes: buffered.slice(0, headerEnd), rest: iterator, leftover: buffered.subarray(headerEnd) };
}

/**
 * Opens a sealed stream and yields authenticated plaintext chunks. Any change to any byte, a cut at
 * any point, or the wrong key makes it throw an IntegrityError naming `file`.
 */
/**
 * `expectedSender`, when given, is the only static key the file may come from; a file without a sender, or
 * from another one, is refused.
 */
export async function* openSealed(source: AsyncIterable<Uint8Array>, recipientSecretKey: Uint8Array, file: string, onHeader?: (header: SealedHeader) => Uint8Array | void): AsyncGenerator<Uint8Array> {
  const { header, headerBytes, rest, leftover } = await readSealedHeader(source, file);
  // The caller's checks run first: "this is the other party's share" says more than "wrong key". It may
  // name the sender's public key the file must be authenticated to.
  const expectedSender = onHeader?.(header) ?? undefined;
  if (expectedSender && header.sender !== fingerprint(expectedSender)) {
    throw new IntegrityError(header.sender ? `sealed by another key (${header.sender}), not by the expected sender (${fingerprint(expectedSender)})` : "is not authenticated to its sender: refusing an anonymous file where a signed one is required", { file }, "wrong-sender");
  }
  const recipientPublicKey = x25519.getPublicKey(recipientSecretKey);
  if (header.recipient !== fingerprint(recipientPublicKey)) {
    throw new IntegrityError(`sealed to another key (${header.recipient}), not to this key (${fingerprint(recipientPublicKey)})`, { file }, "wrong-key");
  }
  const ephemeralPublicKey = hexToBytes(header.ephemeralPublicKey);
  let sharedSecret: Uint8Array;
  try {
    sharedSecret = x25519.getSharedSecret(recipientSecretKey, ephemeralPublicKey);
  } catch {
    throw new IntegrityError("damaged sealed file: invalid ephemeral key", { file }, "tampered");
  }
  const secret = expectedSender ? concat(sharedSecret, x25519.getSharedSecret(recipientSecretKey, expectedSender)) : sharedSecret;
  const key = deriveKey(secret, ephemeralPublicKey, recipientPublicKey, headerBytes);
  const additionalData = sha256(headerBytes);
  const sealedChunk = CHUNK_BYTES + TAG_BYTES;
  let buffered: Uint8Array = leftover;
  let counter = 0;
  const open = (bytes: Uint8Array, last: boolean) => {
    try {
      return chacha20poly1305(key, chunkNonce(counter++, last), additionalData).decrypt(bytes);
    } catch {
      throw new IntegrityError(`tampered or truncated: chunk ${counter - 1} fails authentication`, { file }, "tampered");
    }
  };
  for (;;) {
    // Only a chunk followed by more bytes is known not to be the last one.
    while (buffered.length > sealedChunk) {
      yield open(buffered.subarray(0, sealedChunk), false);
      buffered = buffered.subarray(sealedChunk);
    }
    const next = await rest.next();
    if (next.done) break;
    buffered = buffered.length === 0 ? next.value : concat(buffered, next.value);
  }
  if (buffered.length < TAG_BYTES) throw new IntegrityError("truncated: the final chunk is missing", { file }, "truncated");
  yield open(buffered, true);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
