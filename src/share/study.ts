/** The study file: what is computed, over which tables, by whom, for whom; sealed by a content digest. */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { InputError, IntegrityError } from "./errors.js";
import { fingerprint } from "./keys.js";
import { checkSchema, isIdentifier, parseTypeName, typeName, type TableSchema } from "./schema.js";

export const STUDY_FORMAT = "catalyst-study/1";
export const DEFAULT_MIN_CELL_COUNT = 11;

export type Role = "garbler" | "evaluator";
export const ROLES: readonly Role[] = ["garbler", "evaluator"];

export interface ComputeParty {
  name: string;
  publicKey: Uint8Array;
}

export interface Partner {
  name: string;
  tables: string[];
}

export interface Query {
  name: string;
  sql: string;
}

/** A partner that runs the site-local part of every query itself and uploads partial aggregates instead of rows. */
export interface PushdownPartner {
  name: string;
  /**
   * Public bound on the rows of each table this partner holds: its row counts are never uploaded, so the
   * circuit's integer widths are sized from this bound instead. What does become public is the row count of
   * each partial table (its number of local groups), unless the partner pads it with `share --plan --pad-to`.
   */
  maxRows: number;
}

/** A table of partial aggregates a pushdown partner uploads for one GROUP BY of one query (derived at study creation). */
export interface PushedTable extends TableSchema {
  query: string;
  /** The study tables the GROUP BY reads: a pushdown partner holding any of them uploads this table. */
  reads: string[];
  /** Leading columns that are the group key (the rest are partial aggregates). */
  keyColumns: number;
}

export interface Pushdown {
  partners: PushdownPartner[];
  tables: PushedTable[];
}

export interface Study {
  id: string;
  name: string;
  minCellCount: number;
  tables: TableSchema[];
  partners: Partner[];
  garbler: ComputeParty;
  evaluator: ComputeParty;
  investigator: { publicKey: Uint8Array };
  queries: Query[];
  /** Absent when every partner uploads its rows. */
  pushdown?: Pushdown;
  digest: string;
}

export type StudyDefinition = Omit<Study, "id" | "digest"> & { id?: string };

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Names that become parts of file names: letters, digits, "_", "-", ".", not starting with a dot. */
export function checkName(name: string, what: string): void {
  if (!NAME.test(name)) throw new InputError(`${what} "${name}" is not usable: use letters, digits, "_", "-" and "." (at most 64, not starting with ".")`);
}

/** Builds a study: checks it, derives its id from its content unless one is given, and seals it with a digest. */
export function createStudy(definition: StudyDefinition): Study {
  checkDefinition(definition);
  const body = studyBody({ ...definition, id: "" });
  const id = definition.id ?? bytesToHex(sha256(new TextEncoder().encode(canonicalJson(body)))).slice(0, 32);
  const withId = studyBody({ ...definition, id });
  return { ...definition, id, digest: digestOf(withId) };
}

function checkDefinition(definition: StudyDefinition): void {
  if (definition.name.trim() === "") throw new InputError("the study needs a name");
  if (definition.id !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(definition.id)) throw new InputError(`study id "${definition.id}" is not usable: letters, digits, "_" and "-"`);
  if (!Number.isInteger(definition.minCellCount) || definition.minCellCount < 1) {
    throw new InputError(`the minimum cell count must be a whole number of at least 1, got ${definition.minCellCount}`);
  }
  if (definition.tables.length === 0) throw new InputError("the study has no tables");
  const tableNames = new Set<string>();
  for (const table of definition.tables) {
    checkSchema(table, "study");
    if (tableNames.has(table.name)) throw new InputError(`table ${table.name} is defined twice`);
    tableNames.add(table.name);
  }
  if (definition.partners.length === 0) throw new InputError("the study has no data partners (use --partner PARTNER:TABLE[,TABLE…])");
  const partnerNames = new Set<string>();
  for (const partner of definition.partners) {
    checkName(partner.name, "partner name");
    if (partnerNames.has(partner.name)) throw new InputError(`partner ${partner.name} is listed twice`);
    partnerNames.add(partner.name);
    if (partner.tables.length === 0) throw new InputError(`partner ${partner.name} contributes no table`);
    for (const table of partner.tables) {
      if (!tableNames.has(table)) throw new InputError(`partner ${partner.name} contributes table ${table}, which is not defined (tables: ${[...tableNames].join(", ")})`);
    }
    if (new Set(partner.tables).size !== partner.tables.length) throw new InputError(`partner ${partner.name} lists a table twice`);
  }
  checkName(definition.garbler.name, "garbler name");
  checkName(definition.evaluator.name, "evaluator name");
  if (definition.garbler.name === definition.evaluator.name) throw new InputError("the garbler and the evaluator must have different names");
  for (const key of [definition.garbler.publicKey, definition.evaluator.publicKey, definition.investigator.publicKey]) {
    if (key.length !== 32) throw new InputError("a public key must be 32 bytes");
  }
  if (bytesToHex(definition.garbler.publicKey) === bytesToHex(definition.evaluator.publicKey)) {
    throw new InputError("the garbler and the evaluator use the same public key: each compute party needs its own key, or one party could open both shares");
  }
  if (definition.pushdown) checkPushdown(definition, tableNames, partnerNames);
  const queryNames = new Set<string>();
  for (const query of definition.queries) {
    if (!isIdentifier(query.name)) throw new InputError(`query name "${query.name}" must be an identifier (letters, digits, "_")`);
    if (queryNames.has(query.name)) throw new InputError(`two queries are named ${query.name}`);
    queryNames.add(query.name);
    if (query.sql.trim() === "") throw new InputError(`query ${query.name} is empty`);
  }
}

/** Largest row bound a pushdown partner may declare: partial COUNTs are sealed as 32-bit integers at most. */
export const MAX_PUSHDOWN_ROWS = 2 ** 31 - 1;

function checkPushdown(definition: StudyDefinition, tableNames: Set<string>, partnerNames: Set<string>): void {
  const pushdown = definition.pushdown!;
  const seen = new Set<string>();
  for (const partner of pushdown.partners) {
    if (!partnerNames.has(partner.name)) throw new InputError(`pushdown partner ${partner.name} is not a data partner of the study`);
    if (seen.has(partner.name)) throw new InputError(`pushdown partner ${partner.name} is listed twice`);
    seen.add(partner.name);
    if (!Number.isInteger(partner.maxRows) || partner.maxRows < 1 || partner.maxRows > MAX_PUSHDOWN_ROWS) {
      throw new InputError(`pushdown partner ${partner.name}: the row bound must be a whole number from 1 to ${MAX_PUSHDOWN_ROWS}, got ${partner.maxRows}`);
    }
  }
  for (const table of pushdown.tables) {
    checkSchema(table, "study");
    if (tableNames.has(table.name)) throw new InputError(`pushed table ${table.name} clashes with a table of the same name`);
    tableNames.add(table.name);
    if (table.reads.some((read) => !definition.tables.some((candidate) => candidate.name === read))) throw new InputError(`pushed table ${table.name} reads an unknown table`);
    if (!Number.isInteger(table.keyColumns) || table.keyColumns < 0 || table.keyColumns > table.columns.length) throw new InputError(`pushed table ${table.name} has a bad key column count`);
  }
}

/** The JSON form, in a fixed key order so that the same definition always gives the same bytes. */
function studyBody(study: StudyDefinition & { id: string }): Record<string, unknown> {
  return {
    format: STUDY_FORMAT,
    id: study.id,
    name: study.name,
    minCellCount: study.minCellCount,
    tables: study.tables.map((table) => ({
      name: table.name,
      columns: table.columns.map((column) => ({
        name: column.name, type: typeName(column.type),
        // Only when declared, so that studies without CHECKs keep their digests.
        ...(column.range ? { min: String(column.range.min), max: String(column.range.max) } : {}),
        ...(column.sumAtMost !== undefined ? { sumAtMost: String(column.sumAtMost) } : {}),
        ...(column.values ? { values: [...column.values] } : {}),
      })),
    })),
    partners: study.partners.map((partner) => ({ name: partner.name, tables: [...partner.tables] })),
    computeParties: {
      garbler: { name: study.garbler.name, publicKey: bytesToHex(study.garbler.publicKey), fingerprint: fingerprint(study.garbler.publicKey) },
      evaluator: { name: study.evaluator.name, publicKey: bytesToHex(study.evaluator.publicKey), fingerprint: fingerprint(study.evaluator.publicKey) },
    },
    investigator: { publicKey: bytesToHex(study.investigator.publicKey), fingerprint: fingerprint(study.investigator.publicKey) },
    queries: study.queries.map((query) => ({ name: query.name, sql: query.sql })),
    // Only when used, so that studies without pushdown keep their digests.
    ...(study.pushdown ? {
      pushdown: {
        partners: study.pushdown.partners.map((partner) => ({ name: partner.name, maxRows: partner.maxRows })),
        tables: study.pushdown.tables.map((table) => ({
          name: table.name, query: table.query, reads: [...table.reads], keyColumns: table.keyColumns,
          columns: table.columns.map((column) => ({ name: column.name, type: typeName(column.type), ...(column.nullable ? { nullable: true } : {}), ...(column.values ? { values: [...column.values] } : {}) })),
        })),
      },
    } : {}),
  };
}

/** JSON with object keys sorted, no spaces: the bytes the digest is taken over. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value as object).sort().map((key) => JSON.stringify(key) + ":" + canonicalJson((value as Record<string, unknown>)[key]));
    return "{" + entries.join(",") + "}";
  }
  return JSON.stringify(value);
}

function digestOf(body: Record<string, unknown>): string {
  return "sha256:" + bytesToHex(sha256(new TextEncoder().encode(canonicalJson(body))));
}

/** The study file's text: readable JSON with the digest last. */
export function serializeStudy(study: Study): string {
  return JSON.stringify({ ...studyBody(study), digest: study.digest }, null, 2) + "\n";
}

/** Parses and checks a study file; any edit since creation is reported as a digest mismatch. */
export function parseStudy(text: string, file = "study.json"): Study {
  let raw: Record<string, any>;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not a study file: ${(error as Error).message}`, { file });
  }
  if (raw === null || typeof raw !== "object" || raw.format !== STUDY_FORMAT) {
    throw new InputError(`not a Catalyst study file (expected "format": "${STUDY_FORMAT}")`, { file });
  }
  const { digest, ...body } = raw;
  if (typeof digest !== "string") throw new IntegrityError("the study file has no digest", { file }, "study-digest");
  if (digestOf(body) !== digest) {
    throw new IntegrityError("the study file was changed after it was created (its digest does not match its content); ask the investigator for the original or re-create it with `catalyst study init`", { file }, "study-digest");
  }
  try {
    const study: Study = {
      id: String(body.id),
      name: String(body.name),
      minCellCount: Number(body.minCellCount),
      tables: body.tables.map((table: any) => ({
        name: String(table.name),
        columns: table.columns.map((column: any) => {
          const type = parseTypeName(String(column.type));
          if (!type) throw new Error(`unknown type ${column.type}`);
          return {
            name: String(column.name), type,
            ...(column.min !== undefined ? { range: { min: BigInt(column.min), max: BigInt(column.max) } } : {}),
            ...(column.sumAtMost !== undefined ? { sumAtMost: BigInt(column.sumAtMost) } : {}),
            ...parseValues(column.values),
          };
        }),
      })),
      partners: body.partners.map((partner: any) => ({ name: String(partner.name), tables: partner.tables.map(String) })),
      garbler: { name: String(body.computeParties.garbler.name), publicKey: hexToBytes(body.computeParties.garbler.publicKey) },
      evaluator: { name: String(body.computeParties.evaluator.name), publicKey: hexToBytes(body.computeParties.evaluator.publicKey) },
      investigator: { publicKey: hexToBytes(body.investigator.publicKey) },
      queries: body.queries.map((query: any) => ({ name: String(query.name), sql: String(query.sql) })),
      ...(body.pushdown ? { pushdown: parsePushdown(body.pushdown) } : {}),
      digest,
    };
    checkDefinition(study);
    return study;
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.message, { file });
    throw new InputError(`malformed study file: ${(error as Error).message}`, { file });
  }
}

/** A column's listed values as a study file holds them (absent for most columns). */
export function parseValues(raw: unknown): { values?: string[] } {
  if (raw === undefined) return {};
  if (!Array.isArray(raw) || raw.some((value) => typeof value !== "string")) throw new Error("a column's values must be a list of strings");
  return { values: raw };
}

function parsePushdown(raw: any): Pushdown {
  return {
    partners: raw.partners.map((partner: any) => ({ name: String(partner.name), maxRows: Number(partner.maxRows) })),
    tables: raw.tables.map((table: any) => ({
      name: String(table.name), query: String(table.query), reads: table.reads.map(String), keyColumns: Number(table.keyColumns),
      columns: table.columns.map((column: any) => {
        const type = parseTypeName(String(column.type), true);
        if (!type) throw new Error(`unknown type ${column.type}`);
        return { name: String(column.name), type, ...(column.nullable === true ? { nullable: true } : {}), ...parseValues(column.values) };
      }),
    })),
  };
}

/** The pushdown entry of a partner, if it pushes site-local work down. */
export function pushdownOf(study: Study, partner: string): PushdownPartner | undefined {
  return study.pushdown?.partners.find((candidate) => candidate.name === partner);
}

/**
 * The tables a partner uploads: its own tables, or for a pushdown partner the partial aggregates of every
 * GROUP BY that reads one of them (its rows never leave the site).
 */
export function uploadedTables(study: Study, partnerName: string): string[] {
  const partner = findPartner(study, partnerName);
  if (!pushdownOf(study, partnerName)) return partner.tables;
  return study.pushdown!.tables.filter((table) => table.reads.some((read) => partner.tables.includes(read))).map((table) => table.name);
}

export function findTable(study: Study, name: string): TableSchema {
  const table = study.tables.find((candidate) => candidate.name === name) ?? study.pushdown?.tables.find((candidate) => candidate.name === name);
  if (!table) throw new InputError(`table ${name} is not part of study "${study.name}" (tables: ${study.tables.map((t) => t.name).join(", ")})`);
  return table;
}

export function findPartner(study: Study, name: string): Partner {
  const partner = study.partners.find((candidate) => candidate.name === name);
  if (!partner) throw new InputError(`partner ${name} is not part of study "${study.name}" (partners: ${study.partners.map((p) => p.name).join(", ")})`);
  return partner;
}

/** The role a key plays in this study, recognised by its public key. */
export function roleOfKey(study: Study, publicKey: Uint8Array): Role | "investigator" | undefined {
  const hex = bytesToHex(publicKey);
  if (hex === bytesToHex(study.garbler.publicKey)) return "garbler";
  if (hex === bytesToHex(study.evaluator.publicKey)) return "evaluator";
  if (hex === bytesToHex(study.investigator.publicKey)) return "investigator";
  return undefined;
}

export function partyOf(study: Study, role: Role): ComputeParty {
  return role === "garbler" ? study.garbler : study.evaluator;
}
