import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { FrameTooLargeError } from "../../src/transport/errors.js";
import { FrameDecoder } from "../../src/transport/frameDecoder.js";

function encode(frames: Uint8Array[]): Uint8Array {
  const total = frames.reduce((sum, frame) => sum + 4 + frame.length, 0);
  const bytes = Buffer.alloc(total);
  let offset = 0;
  for (const frame of frames) {
    bytes.writeUInt32BE(frame.length, offset);
    bytes.set(frame, offset + 4);
    offset += 4 + frame.length;
  }
  return bytes;
}

describe("FrameDecoder", () => {
  const frames = [0, 1, 3, 4, 5, 100, 70_000, 0, 2].map((length) => Uint8Array.from(randomBytes(length)));
  const stream = encode(frames);

  it.each([1, 2, 3, 7, 64, 65_536, stream.length])("reassembles frames from chunks of %i bytes", (chunkSize) => {
    const decoded: Uint8Array[] = [];
    const decoder = new FrameDecoder(1 << 20, (frame) => decoded.push(frame));
    for (let offset = 0; offset < stream.length; offset += chunkSize) decoder.push(stream.subarray(offset, offset + chunkSize));
    expect(decoded.map((frame) => Buffer.from(frame).toString("hex"))).toEqual(frames.map((frame) => Buffer.from(frame).toString("hex")));
    expect(decoder.inMiddleOfFrame).toBe(false);
  });

  it("reports a partial frame", () => {
    const decoder = new FrameDecoder(1 << 20, () => undefined);
    decoder.push(stream.subarray(0, 6));
    expect(decoder.inMiddleOfFrame).toBe(true);
  });

  it("rejects an announced length above the limit", () => {
    const decoder = new FrameDecoder(1000, () => undefined);
    expect(() => decoder.push(encode([new Uint8Array(1001)]).subarray(0, 4))).toThrow(FrameTooLargeError);
  });
});
