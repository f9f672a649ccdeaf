/** `catalyst grant`: a compute site's delegate issues each data partner write-once, expiring upload URLs into its bucket. */
import { join } from "node:path";
import type { Command } from "commander";
import { AtomicFile, commitAll } from "../share/atomicFile.js";
import { UsageError } from "../share/errors.js";
import { findPartner, partyOf, type Role } from "../share/study.js";
import { openBucket } from "../transport/bucket.js";
import { createGrant, grantFileName, serializeGrant, type Grant } from "../transport/grant.js";
import { parseStoreAddress } from "../transport/storeAddress.js";
import { audited } from "./auditLog.js";
import { action, collect } from "./command.js";
import { loadStudy } from "./files.js";

interface GrantOptions {
  study: string;
  party: string;
  store: string;
  partner?: string[];
  expires: string;
  create?: boolean;
  out: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `7d`, `12h`, `30m` or `90s` as seconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]] : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${flag} expects a duration such as 7d, 12h, 30m or 90s, got "${text}"`);
  return seconds;
}

export function registerGrant(program: Command): void {
  program
    .command("grant")
    .description("issue each data partner a grant file: write-once, expiring upload URLs into this compute party's bucket (no read, no list)")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--party <role>", "whose bucket this is: garbler or evaluator")
    .requiredOption("--store <url>", "azure://ACCOUNT/CONTAINER[/PREFIX] (AZURE_STORAGE_CONNECTION_STRING) or s3://BUCKET[/PREFIX] (AWS_* variables)")
    .option("--partner <name>", "only this data partner (repeatable; default: every partner)", collect)
    .option("--expires <duration>", "how long the URLs stay valid, e.g. 7d, 12h", "7d")
    .option("--create", "create the container or bucket if it does not exist yet")
    .requiredOption("--out <dir>", "where to write PARTNER.PARTY.grant.json, one per partner")
    .action(action<GrantOptions>(async (options, reporter) => {
      if (options.party !== "garbler" && options.party !== "evaluator") throw new UsageError(`--party must be garbler or evaluator, got "${options.party}"`);
      const role = options.party as Role;
      const study = await loadStudy(options.study);
      const partners = [...new Set((options.partner ?? study.partners.map((partner) => partner.name)).map((name) => findPartner(study, name).name))];
      const seconds = parseDuration(options.expires, "--expires");
      const address = parseStoreAddress(options.store);
      const bucket = await openBucket(address);
      if (seconds > bucket.maxGrantSeconds) throw new UsageError(`--expires ${options.expires} is longer than ${bucket.description} can sign (at most ${bucket.maxGrantSeconds / 86400} days)`);
      const party = partyOf(study, role);
      const written = await audited(options, reporter, { action: "grant", study, actingAs: `${role} ${party.name}` }, async () => {
        const container = await bucket.ensureExists(Boolean(options.create));
        const issued = new Date();
        const expires = new Date(issued.getTime() + seconds * 1000);
        const grants: Grant[] = [];
        for (const partner of partners) {
          grants.push(await createGrant(study, { partner, role, store: bucket.description, issued, expires }, (name, until) => bucket.presignCreateOnly(name, until)));
        }
        // All grant files appear together or none do; they hold bearer URLs, so only the owner may read them.
        const files: AtomicFile[] = [];
        try {
          for (const grant of grants) files.push(await AtomicFile.create(join(options.out, grantFileName(grant)), 0o600));
          for (const [index, grant] of grants.entries()) await files[index].write(new TextEncoder().encode(serializeGrant(grant)));
          await commitAll(files);
        } catch (error) {
          await AtomicFile.abortAll(files);
          throw error;
        }
        const summary = grants.map((grant, index) => ({ partner: grant.partner, file: files[index].path, tables: grant.uploads.map((upload) => upload.table), names: grant.uploads.map((upload) => upload.name) }));
        return { result: { container, issued, expires, grants: summary }, details: { party: party.name, store: bucket.description, expires: expires.toISOString(), grants: summary.map(({ partner, names }) => ({ partner, names })) } };
      });
      reporter.result({ study: study.id, role, party: party.name, store: bucket.description, container: written.container, issued: written.issued.toISOString(), expires: written.expires.toISOString(), grants: written.grants });
      if (written.container === "created") reporter.note(`created ${bucket.description}`);
      for (const grant of written.grants) reporter.line(`${grant.file}: ${grant.partner} may upload ${grant.tables.join(", ")} once each until ${written.expires.toISOString()}`);
      reporter.line(`send each partner its own file over a private channel: the URLs inside are the permission`);
    }));
}
