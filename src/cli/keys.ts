/** `catalyst keys generate`: an X25519 key pair for a compute party or an investigator. */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { writeFileAtomically } from "../share/atomicFile.js";
import { InputError } from "../share/errors.js";
import { fingerprint, formatPublicKey, formatSecretKey, generateKeyPair } from "../share/keys.js";
import { action } from "./command.js";

interface GenerateOptions {
  name: string;
  dir: string;
  force?: boolean;
}

/** Writes DIR/NAME.key (mode 0600) and DIR/NAME.pub; refuses to replace a key unless forced. */
export async function writeKeyPair(name: string, dir: string, force: boolean): Promise<{ name: string; secretKey: string; publicKey: string; fingerprint: string }> {
  const key = generateKeyPair(name);
  const secretPath = join(dir, `${name}.key`);
  const publicPath = join(dir, `${name}.pub`);
  if (!force) {
    for (const path of [secretPath, publicPath]) {
      if (await stat(path).catch(() => undefined)) {
        throw new InputError(`${path} already exists; refusing to overwrite a key (pass --force to replace it)`, { file: path }, "exists");
      }
    }
  }
  await writeFileAtomically(secretPath, formatSecretKey(key), 0o600);
  await writeFileAtomically(publicPath, formatPublicKey(key));
  return { name, secretKey: secretPath, publicKey: publicPath, fingerprint: fingerprint(key.publicKey) };
}

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("manage X25519 key pairs");
  keys
    .command("generate")
    .description("write NAME.key (secret, mode 0600) and NAME.pub, and print the public key's fingerprint")
    .requiredOption("--name <name>", "key name, e.g. the compute party or investigator")
    .option("--dir <dir>", "folder for the key files", ".")
    .option("--force", "overwrite existing key files")
    .action(action<GenerateOptions>(async (options, reporter) => {
      const written = await writeKeyPair(options.name, options.dir, Boolean(options.force));
      reporter.result(written);
      reporter.line(`wrote ${written.secretKey} (secret, keep it private) and ${written.publicKey}`);
      reporter.line(`fingerprint ${written.fingerprint}`);
    }));
}
