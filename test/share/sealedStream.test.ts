import { describe, expect, it } from "@jest/globals";
import { x25519 } from "@noble/curves/ed25519.js";
import { IntegrityError } from "../../src/share/errors.js";
import { randomBytes } from "../../src/share/random.js";
import { CHUNK_BYTES, openSealed, SealedWriter } from "../../src/share/sealedStream.js";

async function seal(recipient: Uint8Array, plaintext: Uint8Array, pieces = 3): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const writer = new SealedWriter(recipient, { kind: "test", study: "s1" }, (bytes) => { out.push(bytes.slice()); });
  const step = Math.ceil(plaintext.length / pieces) || 1;
  for (let offset = 0; offset < plaintext.length; offset += step) await writer.write(plaintext.subarray(offset, offset + step));
  await writer.finish();
  return Uint8Array.from(out.flatMap((piece) => Array.from(piece)));
}

async function* inPieces(bytes: Uint8Array, size = 10007): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function open(bytes: Uint8Array, secret: Uint8Array): Promise<Uint8Array> {
  const parts: number[] = [];
  for await (const chunk of openSealed(inPieces(bytes), secret, "f.share")) parts.push(...chunk);
  return Uint8Array.from(parts);
}

const secret = x25519.utils.randomSecretKey();
const recipient = x25519.getPublicKey(secret);

describe("sealed files", () => {
  it.each([0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17])("round-trips %i bytes", async (length) => {
    const plaintext = randomBytes(length);
    const sealed = await seal(recipient, plaintext);
    expect(await open(sealed, secret)).toEqual(plaintext);
  });

  it("detects a flipped bit anywhere: header, ciphertext or tag", async () => {
    const sealed = await seal(recipient, randomBytes(2 * CHUNK_BYTES + 5));
    for (const position of [10, 40, 200, sealed.length - CHUNK_BYTES - 20, sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[position] ^= 1;
      await expect(open(tampered, secret)).rejects.toThrow(IntegrityError);
    }
  });

  it("detects truncation at a chunk boundary and anywhere else, and appended bytes", async () => {
    const plaintext = randomBytes(2 * CHUNK_BYTES + 5);
    const sealed = await seal(recipient, plaintext);
    const headerLength = sealed.length - (plaintext.length + 3 * 16);
    const atBoundary = sealed.subarray(0, headerLength + CHUNK_BYTES + 16);
    await expect(open(atBoundary, secret)).rejects.toThrow(/fails authentication|truncated/);
    await expect(open(sealed.subarray(0, sealed.length - 1), secret)).rejects.toThrow(IntegrityError);
    await expect(open(sealed.subarray(0, 20), secret)).rejects.toThrow(/truncated/);
    await expect(open(Uint8Array.from([...sealed, 0]), secret)).rejects.toThrow(IntegrityError);
  });

  it("refuses another recipient's key", async () => {
    const sealed = await seal(recipient, randomBytes(100));
    await expect(open(sealed, x25519.utils.randomSecretKey())).rejects.toThrow(/sealed to another key/);
  });

  it("uses a fresh ephemeral key each time, so equal inputs give unrelated files", async () => {
    const plaintext = randomBytes(1000);
    const first = await seal(recipient, plaintext);
    const second = await seal(recipient, plaintext);
    expect(first.length).toBe(second.length);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
  });
});
