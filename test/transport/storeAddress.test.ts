import { describe, expect, it } from "@jest/globals";
import { transferLine } from "../../src/cli/progressBar.js";
import { parseDuration } from "../../src/cli/grant.js";
import { redactSecrets, redactUrl } from "../../src/transport/redact.js";
import { describeStoreAddress, objectNameOf, parseStoreAddress } from "../../src/transport/storeAddress.js";

describe("store addresses", () => {
  it("parses Azure, S3 and folder targets, with optional prefixes", () => {
    expect(parseStoreAddress("azure://devstoreaccount1/inbox-nm")).toEqual({ kind: "azure", account: "devstoreaccount1", container: "inbox-nm", prefix: "" });
    expect(parseStoreAddress("azure://acct01/box/study-1/round-2/")).toEqual({ kind: "azure", account: "acct01", container: "box", prefix: "study-1/round-2" });
    expect(parseStoreAddress("s3://my.bucket-1")).toEqual({ kind: "s3", bucket: "my.bucket-1", prefix: "" });
    expect(parseStoreAddress("S3://bucket/p")).toEqual({ kind: "s3", bucket: "bucket", prefix: "p" });
    expect(parseStoreAddress("inbox/nm")).toEqual({ kind: "directory", path: "inbox/nm" });
    const prefixed = parseStoreAddress("s3://bucket/study-1");
    expect(objectNameOf(prefixed, "siteA/visits.nm.share")).toBe("study-1/siteA/visits.nm.share");
    expect(describeStoreAddress(prefixed)).toBe("s3://bucket/study-1");
  });

  it("says what is wrong with a bad address, without echoing a query", () => {
    expect(() => parseStoreAddress("azure://Has_Upper/box")).toThrow(/account name must be 3–24 lower-case/);
    expect(() => parseStoreAddress("azure://acct01")).toThrow(/container name/);
    expect(() => parseStoreAddress("azure://acct01/a--b")).toThrow(/container name/);
    expect(() => parseStoreAddress("s3://x")).toThrow(/bucket name/);
    expect(() => parseStoreAddress("gs://bucket/x?sig=SECRET")).toThrow(/^gs:\/\/bucket\/x\?…: unknown store/);
  });

  it("redacts signatures, keys and user info from URLs and messages", () => {
    expect(redactUrl("https://a.blob.core.windows.net/c/b?sv=2024&sig=abc%2B")).toBe("https://a.blob.core.windows.net/c/b?…");
    expect(redactUrl("http://user:pw@host/path")).toBe("http://…@host/path");
    const message = "PUT http://127.0.0.1:1/devstoreaccount1/c/x?se=1&sig=SECRET failed; AccountKey=Eby8vd==;BlobEndpoint=x X-Amz-Signature=deadbeef";
    const redacted = redactSecrets(message);
    expect(redacted).not.toMatch(/SECRET|Eby8vd|deadbeef/);
    expect(redacted).toContain("http://127.0.0.1:1/devstoreaccount1/c/x?…");
  });
});

describe("grant durations and the transfer line", () => {
  it("reads 90s, 30m, 12h and 7d, and refuses anything else", () => {
    expect(parseDuration("90s", "--expires")).toBe(90);
    expect(parseDuration("30m", "--expires")).toBe(1800);
    expect(parseDuration("12h", "--expires")).toBe(43200);
    expect(parseDuration("7d", "--expires")).toBe(604800);
    for (const bad of ["0d", "7", "1w", "-1h", "1.5h", ""]) expect(() => parseDuration(bad, "--expires")).toThrow(/--expires expects a duration/);
  });

  it("shows a bar, bytes, rate and ETA", () => {
    expect(transferLine("siteA/visits.nm.share", 5_000_000, 20_000_000, 2, 10)).toBe("siteA/visits.nm.share [###-------] 25% 5.0 MB/20.0 MB 2.5 MB/s ETA 6s");
    expect(transferLine("x", 0, 0, 0, 4)).toBe("x [####] 100% 0 B/0 B 0 B/s ETA ?");
    expect(transferLine("x", 1_000_000, 1_000_000_000, 1, 4)).toMatch(/ETA 16m39s$/);
    expect(transferLine("x", 1_000, 1_000_000_000, 1, 4)).toMatch(/ETA 277h46m$/);
  });
});
