/** A grant file: the pre-signed, write-once upload URLs a compute site gives one data partner for one study. */
import { IntegrityError, InputError } from "../share/errors.js";
import { fingerprint } from "../share/keys.js";
import { shareFileName } from "../share/shareFile.js";
import { findPartner, partyOf, ROLES, uploadedTables, type Role, type Study } from "../share/study.js";
import type { PresignedUpload } from "./bucket.js";
import { objectNameOf, parseStoreAddress, type StoreAddress } from "./storeAddress.js";

export const GRANT_FORMAT = "catalyst-grant/1";

export interface GrantUpload extends PresignedUpload {
  table: string;
  /** `PARTNER/TABLE.PARTY.share`, the share file this URL is for. */
  name: string;
}

export interface Grant {
  format: typeof GRANT_FORMAT;
  study: { id: string; name: string; digest: string };
  partner: string;
  role: Role;
  party: string;
  /** The party's key fingerprint, so a grant cannot quietly point one party's shares at another party. */
  partyKey: string;
  /** Where the URLs lead, for messages: `azure://ACCOUNT/CONTAINER`, never credentials. */
  store: string;
  issued: string;
  expires: string;
  uploads: GrantUpload[];
}

/** Builds a grant for every table of `partner`, signing each share name with `presign`. */
export async function createGrant(
  study: Study,
  options: { partner: string; role: Role; store: string; issued: Date; expires: Date },
  presign: (name: string, expires: Date) => Promise<PresignedUpload>,
): Promise<Grant> {
  const partner = findPartner(study, options.partner);
  const party = partyOf(study, options.role);
  const uploads: GrantUpload[] = [];
  for (const table of uploadedTables(study, partner.name)) {
    const name = shareFileName(study, partner.name, table, options.role);
    uploads.push({ table, name, ...(await presign(name, options.expires)) });
  }
  return {
    format: GRANT_FORMAT,
    study: { id: study.id, name: study.name, digest: study.digest },
    partner: partner.name,
    role: options.role,
    party: party.name,
    partyKey: fingerprint(party.publicKey),
    store: options.store,
    issued: options.issued.toISOString(),
    expires: options.expires.toISOString(),
    uploads,
  };
}

export function serializeGrant(grant: Grant): string {
  return JSON.stringify(grant, null, 2) + "\n";
}

/** `PARTNER.PARTY.grant.json`: one file per partner and compute party. */
export function grantFileName(grant: Pick<Grant, "partner" | "party">): string {
  return `${grant.partner}.${grant.party}.grant.json`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses a grant file's shape; whether it fits the study, partner and party is `checkGrant`'s job. */
export function parseGrant(text: string, file: string): Grant {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not a grant file: ${(error as Error).message}`, { file }, "invalid-grant");
  }
  const bad = (what: string) => new InputError(`not a valid grant file: ${what}`, { file }, "invalid-grant");
  if (!isRecord(value) || value.format !== GRANT_FORMAT) throw bad(`expected "format": "${GRANT_FORMAT}"`);
  const { study, partner, role, party, partyKey, store, issued, expires, uploads } = value;
  if (!isRecord(study) || typeof study.id !== "string" || typeof study.name !== "string" || typeof study.digest !== "string") throw bad("\"study\" must hold id, name and digest");
  if (typeof partner !== "string" || typeof party !== "string" || typeof partyKey !== "string" || typeof store !== "string") throw bad("\"partner\", \"party\", \"partyKey\" and \"store\" must be strings");
  if (!ROLES.includes(role as Role)) throw bad("\"role\" must be garbler or evaluator");
  for (const [field, time] of [["issued", issued], ["expires", expires]] as const) {
    if (typeof time !== "string" || Number.isNaN(Date.parse(time))) throw bad(`"${field}" must be an ISO time`);
  }
  if (!Array.isArray(uploads) || uploads.length === 0) throw bad("\"uploads\" must list at least one URL");
  for (const [index, upload] of uploads.entries()) {
    const valid = isRecord(upload) && typeof upload.table === "string" && typeof upload.name === "string" && typeof upload.url === "string"
      && isRecord(upload.headers) && Object.values(upload.headers).every((header) => typeof header === "string");
    if (!valid) throw bad(`uploads[${index}] must hold table, name, url and headers`);
    if (!/^https?:\/\//.test(upload.url as string)) throw bad(`uploads[${index}].url must be an http(s) URL`);
  }
  return value as unknown as Grant;
}

/**
 * Refuses a grant that would send shares to the wrong place: another study, another partner, the other compute
 * party, a key the study does not name, or a grant past its expiry.
 */
export function checkGrant(grant: Grant, study: Study, expected: { partner: string; role: Role; now: Date }, file: string): void {
  if (grant.study.id !== study.id || grant.study.digest !== study.digest) {
    throw new IntegrityError(`this grant is for study "${grant.study.name}" (${grant.study.id}), not "${study.name}" (${study.id}); ask the compute site for a grant to this study`, { file }, "wrong-study");
  }
  if (grant.partner !== expected.partner) {
    throw new IntegrityError(`this grant is for partner ${grant.partner}, not ${expected.partner}`, { file }, "wrong-partner");
  }
  const party = partyOf(study, expected.role);
  if (grant.role !== expected.role) {
    throw new IntegrityError(`this grant leads to the ${grant.role} ${grant.party}, but it was given as the ${expected.role}'s (${party.name}); the ${expected.role}'s shares must not go to the ${grant.role}`, { file }, "wrong-party");
  }
  if (grant.party !== party.name || grant.partyKey !== fingerprint(party.publicKey)) {
    throw new IntegrityError(`this grant names ${grant.party} (${grant.partyKey}), but the study's ${expected.role} is ${party.name} (${fingerprint(party.publicKey)})`, { file }, "wrong-party");
  }
  if (Date.parse(grant.expires) <= expected.now.getTime()) {
    throw new IntegrityError(`this grant expired at ${grant.expires}; ask the compute site's delegate for a new one`, { file }, "grant-expired");
  }
  const tables = grant.uploads.map((upload) => upload.table).sort();
  const wanted = [...uploadedTables(study, grant.partner)].sort();
  if (tables.join("\n") !== wanted.join("\n")) {
    throw new IntegrityError(`this grant has URLs for ${tables.join(", ") || "no table"}, but ${grant.partner} sends ${wanted.join(", ")}; ask the compute site for a grant covering exactly these tables`, { file }, "grant-incomplete");
  }
  for (const upload of grant.uploads) {
    if (upload.name !== shareFileName(study, grant.partner, upload.table, expected.role)) {
      throw new IntegrityError(`this grant's URL for ${upload.table} is for ${upload.name}, not ${shareFileName(study, grant.partner, upload.table, expected.role)}`, { file }, "wrong-party");
    }
  }
  grantPlace(grant, file);
}

/**
 * The container or bucket a grant's URLs lead to (`azure://ACCOUNT/CONTAINER`, `s3://BUCKET`), after checking
 * that every URL really is for its share name in the store the grant names. Two grants with one place
 * would put both parties' shares in one store.
 */
export function grantPlace(grant: Grant, file: string): string {
  const bad = (why: string) => new IntegrityError(`this grant's URLs do not match its store ${grant.store}: ${why}`, { file }, "invalid-grant");
  let address: StoreAddress;
  try {
    address = parseStoreAddress(grant.store);
  } catch {
    throw bad("not an azure:// or s3:// store");
  }
  if (address.kind === "directory") throw bad("not an azure:// or s3:// store");
  const root = address.kind === "azure" ? [address.account, address.container] : [address.bucket];
  for (const upload of grant.uploads) {
    const url = new URL(upload.url);
    const path = decodeURIComponent(url.pathname).split("/").filter((part) => part.length > 0);
    const object = objectNameOf(address, upload.name).split("/");
    if (path.slice(-object.length).join("/") !== object.join("/")) throw bad(`the URL for ${upload.table} is not for ${object.join("/")}`);
    const before = path.slice(0, path.length - object.length);
    // Path-style (/ACCOUNT/CONTAINER/…, /BUCKET/…) as emulators and on-premises stores use, or host-style.
    const pathStyle = before.join("/") === root.join("/");
    const hostStyle = before.join("/") === root.slice(1).join("/") && url.hostname.startsWith(`${root[0]}.`);
    if (!pathStyle && !hostStyle) throw bad(`the URL for ${upload.table} leads elsewhere`);
  }
  return address.kind === "azure" ? `azure://${address.account}/${address.container}` : `s3://${address.bucket}`;
}
