/**
 * A real S3 server that checks signatures: Ceph's radosgw on a throw-away single-node cluster, started by
 * test/s3/radosgw.sh (which installs the Debian packages when missing and fails loudly when it cannot).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { repositoryRoot } from "./cli.js";

export interface TestRadosgw {
  /** AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION for the compute site's delegate. */
  environment: Record<string, string>;
  stop(): Promise<void>;
}

const script = join(repositoryRoot, "test", "s3", "radosgw.sh");

function run(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile("bash", [script, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`radosgw.sh ${args[0]} failed (${error.message.split("\n")[0]}):\n${stderr.slice(-3000)}`));
      else resolve({ stdout, stderr });
    });
  });
}

export async function startRadosgw(): Promise<TestRadosgw> {
  const { stdout } = await run(["start"], 300_000);
  const environment: Record<string, string> = {};
  for (const match of stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) environment[match[1]] = match[2].replace(/^'(.*)'$/, "$1");
  for (const name of ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CATALYST_RADOSGW_DIR"]) {
    if (!environment[name]) throw new Error(`radosgw.sh start printed no ${name}:\n${stdout}`);
  }
  return { environment, stop: async () => { await run(["stop", environment.CATALYST_RADOSGW_DIR], 60_000); } };
}
