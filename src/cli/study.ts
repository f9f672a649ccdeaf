/** `catalyst study init|show`: define a study and read it back. */
import { basename, extname } from "node:path";
import type { Command } from "commander";
import { writeFileAtomically } from "../share/atomicFile.js";
import { InputError } from "../share/errors.js";
import { fingerprint } from "../share/keys.js";
import { checksText, rowBits, typeName } from "../share/schema.js";
import { DEFAULT_MIN_CELL_COUNT, MAX_PUSHDOWN_ROWS, serializeStudy, uploadedTables, type Partner, type PushdownPartner, type Study } from "../share/study.js";
import { defineStudy } from "../operators/studyDefinition.js";
import { action, collect, wholeNumber } from "./command.js";
import { loadPublicKey, loadStudy, readText } from "./files.js";

interface InitOptions {
  name: string;
  id?: string;
  tables: string;
  query?: string[];
  partner?: string[];
  garbler: string;
  evaluator: string;
  investigator: string;
  minCellCount: string;
  pushdown?: string[];
  out: string;
}

export function registerStudy(program: Command): void {
  const study = program.command("study").description("define and inspect studies");
  study
    .command("init")
    .description("create study.json from table schemas, queries, partners and keys")
    .requiredOption("--name <name>", "the study's name")
    .requiredOption("--tables <file>", "TABLES.sql with CREATE TABLE statements")
    .option("--query <file>", "a query file; its base name is the query's name (repeatable)", collect)
    .option("--partner <partner:tables>", "PARTNER:TABLE[,TABLE…], a data partner and what it contributes (repeatable)", collect)
    .requiredOption("--garbler <name:pubfile>", "the garbling compute party and its public key")
    .requiredOption("--evaluator <name:pubfile>", "the evaluating compute party and its public key")
    .requiredOption("--investigator <pubfile>", "the investigator's public key, to which results are sealed")
    .option("--min-cell-count <n>", "cells with a count from 1 to n−1 are suppressed inside MPC", String(DEFAULT_MIN_CELL_COUNT))
    .option("--pushdown <partner[:maxrows]>", `a partner that computes each query's site-local GROUP BYs itself and uploads partial aggregates; MAXROWS is a public bound on its rows per table (default ${MAX_PUSHDOWN_ROWS}), which sizes the circuit's integers (repeatable)`, collect)
    .option("--id <id>", "study id (default: derived from the study's content)")
    .requiredOption("--out <file>", "where to write study.json")
    .action(action<InitOptions>(async (options, reporter) => {
      const tablesText = await readText(options.tables, "the tables file");
      const queries = await Promise.all((options.query ?? []).map(async (file) => ({
        name: basename(file, extname(file)),
        sql: (await readText(file, "a query file")).trim(),
        file,
      })));
      const garbler = await partyFlag(options.garbler, "--garbler");
      const evaluator = await partyFlag(options.evaluator, "--evaluator");
      const investigator = await loadPublicKey(options.investigator);
      if (!/^\d+$/.test(options.minCellCount)) throw new InputError(`--min-cell-count must be a whole number, got "${options.minCellCount}"`);
      const created = defineStudy({
        id: options.id,
        name: options.name,
        minCellCount: Number(options.minCellCount),
        tablesSql: { text: tablesText, file: options.tables },
        partners: (options.partner ?? []).map(parsePartnerFlag),
        garbler,
        evaluator,
        investigator: { publicKey: investigator.publicKey },
        queries,
        pushdown: options.pushdown?.map(parsePushdownFlag),
      });
      await writeFileAtomically(options.out, serializeStudy(created));
      reporter.result({ study: options.out, id: created.id, digest: created.digest });
      reporter.line(`wrote ${options.out}: study "${created.name}" (${created.id})`);
      reporter.line(`  ${created.tables.length} tables, ${created.partners.length} partners, ${created.queries.length} queries, minimum cell count ${created.minCellCount}`);
      if (created.pushdown) reporter.line(`  pushdown: ${created.pushdown.partners.map((partner) => partner.name).join(", ")} upload partial aggregates (${created.pushdown.tables.map((table) => table.name).join(", ")})`);
      reporter.line(`  digest ${created.digest}`);
    }));

  study
    .command("show")
    .description("print a readable summary of a study file (and check its digest)")
    .argument("<study>", "study.json")
    .action(action<object>(async (_options, reporter, args) => {
      const loaded = await loadStudy(args[0]);
      reporter.result(summarize(loaded));
      printSummary(loaded, reporter.line.bind(reporter), reporter.style.bold);
    }));
}

function parsePartnerFlag(value: string): Partner {
  const match = /^([^:]+):(.+)$/.exec(value);
  if (!match) throw new InputError(`--partner expects PARTNER:TABLE[,TABLE…], got "${value}"`);
  return { name: match[1].trim(), tables: match[2].split(",").map((table) => table.trim()).filter(Boolean) };
}

async function partyFlag(value: string, flag: string): Promise<{ name: string; publicKey: Uint8Array }> {
  const match = /^([^:]+):(.+)$/.exec(value);
  if (!match) throw new InputError(`${flag} expects NAME:PUBFILE, got "${value}"`);
  const key = await loadPublicKey(match[2]);
  return { name: match[1].trim(), publicKey: key.publicKey };
}

export function summarize(study: Study): Record<string, unknown> {
  return {
    id: study.id,
    name: study.name,
    digest: study.digest,
    minCellCount: study.minCellCount,
    tables: study.tables.map((table) => ({
      name: table.name,
      columns: table.columns.map((column) => ({
        name: column.name, type: typeName(column.type),
        ...(column.range ? { min: String(column.range.min), max: String(column.range.max) } : {}),
        ...(column.sumAtMost !== undefined ? { sumAtMost: String(column.sumAtMost) } : {}),
        ...(column.values ? { values: column.values } : {}),
      })),
      rowBits: rowBits(table.columns),
    })),
    partners: study.partners,
    computeParties: {
      garbler: { name: study.garbler.name, fingerprint: fingerprint(study.garbler.publicKey) },
      evaluator: { name: study.evaluator.name, fingerprint: fingerprint(study.evaluator.publicKey) },
    },
    investigator: { fingerprint: fingerprint(study.investigator.publicKey) },
    queries: study.queries,
    ...(study.pushdown ? { pushdown: { partners: study.pushdown.partners, tables: study.pushdown.tables.map((table) => ({ ...table, columns: table.columns.map((column) => ({ name: column.name, type: typeName(column.type), nullable: column.nullable === true })) })) } } : {}),
  };
}

function printSummary(study: Study, line: (text?: string) => void, bold: (text: string) => string): void {
  line(`${bold("Study")} ${study.name}`);
  line(`  id      ${study.id}`);
  line(`  digest  ${study.digest} (verified)`);
  line(`  minimum cell count ${study.minCellCount}`);
  line();
  line(bold("Tables"));
  for (const table of study.tables) {
    line(`  ${table.name} (${table.columns.map((column) => [column.name, typeName(column.type), checksText(column)].filter(Boolean).join(" ")).join(", ")})  ${rowBits(table.columns)} bits/row`);
  }
  line();
  line(bold("Data partners"));
  for (const partner of study.partners) {
    const pushdown = study.pushdown?.partners.find((candidate) => candidate.name === partner.name);
    line(`  ${partner.name}: ${partner.tables.join(", ")}${pushdown ? `  (pushes down: uploads ${uploadedTables(study, partner.name).join(", ")}; at most ${pushdown.maxRows} rows per table)` : ""}`);
  }
  line();
  line(bold("Compute parties"));
  line(`  garbler    ${study.garbler.name}  ${fingerprint(study.garbler.publicKey)}`);
  line(`  evaluator  ${study.evaluator.name}  ${fingerprint(study.evaluator.publicKey)}`);
  line(`  investigator  ${fingerprint(study.investigator.publicKey)}`);
  line();
  line(bold("Queries"));
  if (study.queries.length === 0) line("  (none)");
  for (const query of study.queries) line(`  ${query.name}: ${query.sql.replace(/\s+/g, " ")}`);
}

function parsePushdownFlag(flag: string): PushdownPartner {
  const match = /^([^:]+)(?::(.+))?$/.exec(flag);
  if (!match) throw new InputError(`--pushdown expects PARTNER[:MAXROWS], got "${flag}"`);
  return { name: match[1], maxRows: match[2] === undefined ? MAX_PUSHDOWN_ROWS : wholeNumber(match[2], `--pushdown ${match[1]}`) };
}
