/**
 * A minimal SSH server (ssh2's, in process) for machines without OpenSSH, such as the demo's: key-only
 * login for one authorised key, and port forwarding only to this machine's loopback addresses.
 * Production sites use their own OpenSSH server; this is the same protocol on the client's side.
 */
import net from "node:net";
import ssh2, { type Connection } from "ssh2";
import { TransportError } from "./errors.js";
import { hostKeyFingerprint } from "./knownHosts.js";

export interface GeneratedSshKey {
  /** OpenSSH private key text. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` */
  publicKey: string;
}

export function generateSshKey(): GeneratedSshKey {
  // ssh2 drops a leading zero byte of the ed25519 public key (about 1 key in 400) and then cannot parse the
  // key it wrote; such a key is simply drawn again.
  for (let attempt = 0; attempt < 32; attempt++) {
    const pair = utils.generateKeyPairSync("ed25519");
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return { privateKey: pair.private, publicKey: pair.public };
  }
  throw new TransportError("could not generate a usable ed25519 SSH key", "ssh-key");
}

// ssh2 is CommonJS; Node's ESM loader cannot see its Server and utils as named exports.
const { Server, utils } = ssh2;

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export class LoopbackSshServer {
  private readonly server: InstanceType<typeof Server>;
  private readonly connections = new Set<Connection>();
  port = 0;
  readonly hostFingerprint: string;

  constructor(private readonly hostKey: GeneratedSshKey, authorizedKey: string) {
    const allowed = utils.parseKey(authorizedKey);
    if (allowed instanceof Error) throw new TransportError(`unusable authorised key: ${allowed.message}`, "ssh-key");
    const allowedBlob = allowed.getPublicSSH();
    const host = utils.parseKey(hostKey.publicKey);
    if (host instanceof Error) throw new TransportError(`unusable host key: ${host.message}`, "ssh-key");
    this.hostFingerprint = hostKeyFingerprint(host.getPublicSSH());
    this.server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => {
      this.connections.add(client);
      client.on("close", () => this.connections.delete(client));
      client.on("error", () => client.end());
      client.on("authentication", (context) => {
        if (context.method !== "publickey" || !context.key.data.equals(allowedBlob)) return context.reject(["publickey"]);
        // Without a signature the client is only asking whether this key would do.
        if (!context.signature) return context.accept();
        if (context.blob && allowed.verify(context.blob, context.signature, context.hashAlgo) === true) return context.accept();
        context.reject(["publickey"]);
      });
      client.on("ready", () => {
        client.on("tcpip", (accept, reject, info) => {
          if (!LOOPBACK.has(info.destIP)) return reject();
          const upstream = net.connect(info.destPort, info.destIP);
          upstream.once("error", () => reject());
          upstream.once("connect", () => {
            upstream.removeAllListeners("error");
            const channel = accept();
            upstream.pipe(channel).pipe(upstream);
            const close = () => { upstream.destroy(); channel.destroy(); };
            upstream.on("error", close);
            channel.on("error", close);
            channel.on("close", () => upstream.end());
          });
        });
        client.on("session", (_accept, reject) => reject());
      });
    });
  }

  async listen(host = "127.0.0.1", port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** The known_hosts line that pins this server's key. */
  knownHostsLine(host = "127.0.0.1"): string {
    const [type, key] = this.hostKey.publicKey.trim().split(/\s+/);
    return `[${host}]:${this.port} ${type} ${key}\n`;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
