import { describe, expect, it } from "@jest/globals";
import { sha256 } from "@noble/hashes/sha2.js";
describe("toolchain", () => { it("runs ESM noble", () => { expect(sha256(new Uint8Array()).length).toBe(32); }); });
