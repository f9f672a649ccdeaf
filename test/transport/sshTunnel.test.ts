import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { keysForHost } from "../../src/transport/knownHosts.js";
import { HostKeyRejectedError, parseSshTarget, SshConnectError, SshTunnel } from "../../src/transport/sshTunnel.js";
import { removeFolder, temporaryFolder } from "../helpers/cli.js";
import { startSshd, type TestSshServer } from "../helpers/sshd.js";

let dir: string;
let sshd: TestSshServer;
let echo: Server;
let echoPort: number;

beforeAll(async () => {
  dir = await temporaryFolder("catalyst-ssh-");
  sshd = await startSshd(join(dir, "sshd"));
  // Stands in for the garbler's listener on the SSH server's loopback.
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoPort = (echo.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  await new Promise((resolve) => echo?.close(resolve));
  await removeFolder(dir);
});

async function roundTrip(stream: Duplex, bytes: Buffer): Promise<Buffer> {
  const received: Buffer[] = [];
  let length = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => {
      received.push(chunk);
      length += chunk.length;
      if (length >= bytes.length) resolve(Buffer.concat(received));
    });
    stream.once("error", reject);
  });
  stream.write(bytes);
  return done;
}

const open = async (overrides: Partial<Parameters<typeof SshTunnel.open>[0]> = {}) => SshTunnel.open({
  user: sshd.user, host: "127.0.0.1", port: sshd.port,
  privateKey: await readFile(sshd.clientKey), knownHosts: await readFile(sshd.knownHosts, "utf8"), ...overrides,
});

describe("SSH tunnel through a real OpenSSH sshd", () => {
  it("reaches a loopback listener on the server, several channels on one connection", async () => {
    const tunnel = await open();
    expect(tunnel.hostKeyFingerprint).toBe(sshd.hostFingerprint);
    const payloads = [0, 1, 2].map((index) => Buffer.alloc(1 << 20, index + 1));
    const streams = await Promise.all(payloads.map(() => tunnel.forward("127.0.0.1", echoPort)));
    const echoed = await Promise.all(streams.map((stream, index) => roundTrip(stream, payloads[index])));
    echoed.forEach((bytes, index) => expect(bytes.equals(payloads[index])).toBe(true));
    streams.forEach((stream) => stream.destroy());
    tunnel.close();
  });

  it("accepts a hashed known_hosts entry and a pinned fingerprint alone", async () => {
    const hashed = join(dir, "known_hosts_hashed");
    await writeFile(hashed, await readFile(sshd.knownHosts));
    execFileSync("ssh-keygen", ["-H", "-f", hashed], { stdio: "ignore" });
    const text = await readFile(hashed, "utf8");
    expect(text.startsWith("|1|")).toBe(true);
    expect(keysForHost(text, "127.0.0.1", sshd.port)).toHaveLength(1);
    expect(keysForHost(text, "127.0.0.1", sshd.port + 1)).toHaveLength(0);
    (await open({ knownHosts: text })).close();
    (await open({ knownHosts: undefined, hostFingerprint: sshd.hostFingerprint })).close();
  });

  it("refuses an unknown host, a changed host key and a wrong pinned fingerprint", async () => {
    const otherHost = join(dir, "other_host");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherHost], { stdio: "ignore" });
    const otherKey = (await readFile(otherHost + ".pub", "utf8")).split(/\s+/).slice(0, 2).join(" ");
    await expect(open({ knownHosts: `[127.0.0.1]:${sshd.port + 1} ${otherKey}\n` })).rejects.toThrow(/not in the known_hosts file/);
    await expect(open({ knownHosts: `[127.0.0.1]:${sshd.port} ${otherKey}\n` })).rejects.toThrow(/does not match its known_hosts entry/);
    const pinned = open({ knownHosts: undefined, hostFingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    await expect(pinned).rejects.toThrow(HostKeyRejectedError);
    await expect(open({ knownHosts: undefined })).rejects.toThrow(/without a known_hosts file or a pinned host key/);
  });

  it("reports a key the server does not accept", async () => {
    const stranger = join(dir, "stranger");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger], { stdio: "ignore" });
    await expect(open({ privateKey: await readFile(stranger) })).rejects.toThrow(SshConnectError);
    await expect(open({ privateKey: await readFile(stranger) })).rejects.toThrow(/refused our key/);
  });

  it("parses USER@HOST[:PORT]", () => {
    expect(parseSshTarget("catalyst@garbler.example.org")).toEqual({ user: "catalyst", host: "garbler.example.org", port: 22 });
    expect(parseSshTarget("root@127.0.0.1:2222")).toEqual({ user: "root", host: "127.0.0.1", port: 2222 });
    expect(parseSshTarget("u@[::1]:22")).toEqual({ user: "u", host: "::1", port: 22 });
    expect(() => parseSshTarget("no-user-here")).toThrow(/USER@HOST/);
  });
});

describe("known_hosts", () => {
  it("honours @revoked keys, negated patterns and wildcards", () => {
    const key = "AAAAC3NzaC1lZDI1NTE5AAAAIBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZBmZB";
    expect(keysForHost(`[127.0.0.1]:2222 ssh-ed25519 ${key}\n`, "127.0.0.1", 2222)).toHaveLength(1);
    expect(keysForHost(`[127.0.0.1]:2222 ssh-ed25519 ${key}\n@revoked * ssh-ed25519 ${key}\n`, "127.0.0.1", 2222)).toHaveLength(0);
    expect(keysForHost(`*.example.org,!bad.example.org ssh-ed25519 ${key}\n`, "good.example.org", 22)).toHaveLength(1);
    expect(keysForHost(`*.example.org,!bad.example.org ssh-ed25519 ${key}\n`, "bad.example.org", 22)).toHaveLength(0);
  });
});
