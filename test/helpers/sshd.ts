/**
 * A real, throw-away OpenSSH server on a loopback port, with key-only authentication, as the tests of the
 * SSH tunnel need. Installs openssh-server when it is missing, and fails loudly if it cannot.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";

const SSHD = "/usr/sbin/sshd";

export function ensureOpenSsh(): void {
  if (existsSync(SSHD) && existsSync("/usr/bin/ssh-keygen")) return;
  try {
    execFileSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server"], { stdio: "inherit" });
  } catch (error) {
    throw new Error(`these tests need a real OpenSSH sshd and could not install openssh-server: ${(error as Error).message}`);
  }
  if (!existsSync(SSHD)) throw new Error("openssh-server was installed but /usr/sbin/sshd is still missing");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function keygen(path: string, comment: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], { stdio: "ignore" });
}

export interface TestSshServer {
  port: number;
  user: string;
  /** The client's private key, authorised on the server. */
  clientKey: string;
  /** A known_hosts file listing the server's real host key for [127.0.0.1]:port. */
  knownHosts: string;
  hostFingerprint: string;
  stop(): Promise<void>;
}

export async function startSshd(dir: string): Promise<TestSshServer> {
  ensureOpenSsh();
  await mkdir(dir, { recursive: true });
  await mkdir("/run/sshd", { recursive: true });
  keygen(join(dir, "host_ed25519"), "catalyst-test-host");
  keygen(join(dir, "client_ed25519"), "catalyst-test-client");
  await writeFile(join(dir, "authorized_keys"), await readFile(join(dir, "client_ed25519.pub")));
  const port = await freePort();
  await writeFile(join(dir, "sshd_config"), [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(dir, "host_ed25519")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "PermitRootLogin prohibit-password",
    "UsePAM no",
    "StrictModes no",
    "AllowTcpForwarding local",
    "PermitOpen 127.0.0.1:*",
    "X11Forwarding no",
    "",
  ].join("\n"));
  const hostPublic = (await readFile(join(dir, "host_ed25519.pub"), "utf8")).trim().split(/\s+/);
  await writeFile(join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostPublic[0]} ${hostPublic[1]}\n`);
  const fingerprint = execFileSync("ssh-keygen", ["-lf", join(dir, "host_ed25519.pub")], { encoding: "utf8" }).split(/\s+/)[1];

  const daemon: ChildProcess = spawn(SSHD, ["-f", join(dir, "sshd_config"), "-D", "-E", join(dir, "sshd.log")], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()));
  for (let attempt = 0; ; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => { socket.destroy(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
    if (up) break;
    if (attempt > 100 || daemon.exitCode !== null) {
      const log = await readFile(join(dir, "sshd.log"), "utf8").catch(() => "");
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    user: userInfo().username,
    clientKey: join(dir, "client_ed25519"),
    knownHosts: join(dir, "known_hosts"),
    hostFingerprint: fingerprint,
    async stop() {
      daemon.kill("SIGTERM");
      await exited;
    },
  };
}
