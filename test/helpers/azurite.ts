/** A real Azurite blob service (the official Azure Storage emulator, from npm) on a loopback port, in memory. */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { repositoryRoot } from "./cli.js";
import { freePort } from "./sshd.js";

/** Azurite's published development account: not a secret, the same in every copy of the emulator. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface TestAzurite {
  port: number;
  /** What a compute site's delegate would export as AZURE_STORAGE_CONNECTION_STRING. */
  connectionString: string;
  /** The same account reached through another port (a proxy in front of Azurite). */
  connectionStringVia(port: number): string;
  stop(): Promise<void>;
}

function connectionStringFor(port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with ${child.exitCode}: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => { socket.destroy(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Azurite did not listen on ${port} within 20 s: ${output()}`);
}

export async function startAzurite(): Promise<TestAzurite> {
  const port = await freePort();
  const main = join(repositoryRoot, "node_modules", "azurite", "dist", "src", "blob", "main.js");
  const child = spawn(process.execPath, [main, "--blobHost", "127.0.0.1", "--blobPort", String(port), "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on("data", (chunk: Buffer) => { output += chunk.toString(); });
  await waitForPort(port, child, () => output.slice(-2000));
  return {
    port,
    connectionString: connectionStringFor(port),
    connectionStringVia: connectionStringFor,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}
