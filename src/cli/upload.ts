/** `catalyst upload`: deliver a partner's sealed shares, each only to its own compute party's inbox. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { InputError, UsageError } from "../share/errors.js";
import { peekShareHeader, shareFileName } from "../share/shareFile.js";
import { findPartner, partyOf, ROLES, type Role, type Study } from "../share/study.js";
import { fileDigest, LocalDirectoryStore } from "../transport/localDirectoryStore.js";
import type { PutResult, ShareStore } from "../transport/shareStore.js";
import { action } from "./command.js";
import { loadStudy } from "./files.js";

interface UploadOptions {
  study: string;
  partner: string;
  from: string;
  toGarbler: string;
  toEvaluator: string;
  replace?: boolean;
}

/** Turns a --to-… target into a store. Only local folders exist so far; URLs are refused clearly. */
export function openStore(target: string, options: { replace?: boolean }): ShareStore {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new UsageError(`upload target ${target.replace(/\?.*$/, "?…")} is a URL; this version uploads to local inbox folders only`);
  }
  return new LocalDirectoryStore(target, options);
}

export interface UploadedShare extends PutResult {
  role: Role;
  party: string;
  digest: string;
  target: string;
}

/** Checks every share of a partner, then puts each into its own party's store; all or nothing is checked up front. */
export async function uploadShares(study: Study, options: { partner: string; from: string; targets: Record<Role, string>; replace?: boolean }, onFile?: (name: string, role: Role) => void): Promise<UploadedShare[]> {
  const partner = findPartner(study, options.partner);
  const { targets } = options;
  if (resolve(targets.garbler) === resolve(targets.evaluator)) {
    throw new UsageError("--to-garbler and --to-evaluator are the same place: one inbox holding both shares could reconstruct the data");
  }
  // Check every file before sending any, so a missing or misrouted share stops the whole upload.
  const planned: Array<{ role: Role; name: string; path: string; bytes: number; digest: string }> = [];
  const missing: string[] = [];
  for (const table of partner.tables) {
    for (const role of ROLES) {
      const name = shareFileName(study, partner.name, table, role);
      const path = join(options.from, ...name.split("/"));
      const found = await stat(path).catch(() => undefined);
      if (!found) { missing.push(path); continue; }
      await peekShareHeader(createReadStream(path), study, path, { role, partner: partner.name, table });
      planned.push({ role, name, path, bytes: found.size, digest: await fileDigest(path) });
    }
  }
  if (missing.length > 0) {
    throw new InputError(`missing share file${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; run \`catalyst share\` for every table of ${partner.name} first`, { file: missing[0] }, "missing-share");
  }
  const stores = { garbler: openStore(targets.garbler, options), evaluator: openStore(targets.evaluator, options) };
  const uploaded: UploadedShare[] = [];
  for (const file of planned) {
    onFile?.(file.name, file.role);
    const put = await stores[file.role].put(file.name, { read: () => createReadStream(file.path), bytes: file.bytes, digest: file.digest });
    uploaded.push({ ...put, role: file.role, party: partyOf(study, file.role).name, digest: file.digest, target: stores[file.role].description });
  }
  return uploaded;
}

export function registerUpload(program: Command): void {
  program
    .command("upload")
    .description("send each sealed share to its compute party's inbox (the garbler's shares only to the garbler, and so on)")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--partner <name>", "your data partner name in the study")
    .requiredOption("--from <dir>", "the folder `catalyst share --out` wrote to")
    .requiredOption("--to-garbler <target>", "the garbler's inbox")
    .requiredOption("--to-evaluator <target>", "the evaluator's inbox")
    .option("--replace", "overwrite a different share already in an inbox (after re-sharing corrected data)")
    .action(action<UploadOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      const progress = reporter.progress("uploading");
      let uploaded: UploadedShare[];
      try {
        uploaded = await uploadShares(study, { partner: options.partner, from: options.from, targets: { garbler: options.toGarbler, evaluator: options.toEvaluator }, replace: options.replace }, (name, role) => progress.update(`uploading ${name} to the ${role}`));
      } finally {
        progress.stop();
      }
      reporter.result({ study: study.id, partner: options.partner, files: uploaded });
      for (const file of uploaded) {
        reporter.line(`${file.status === "uploaded" ? "sent   " : "present"}  ${file.name} → ${file.role} ${file.party} (${file.target})  ${file.digest}`);
      }
    }));
}
