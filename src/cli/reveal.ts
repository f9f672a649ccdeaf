/** `catalyst reveal`: open both sealed result shares, XOR them and write the released rows as CSV. */
import { createReadStream } from "node:fs";
import type { Command } from "commander";
import { writeFileAtomically } from "../share/atomicFile.js";
import type { SecretKey } from "../share/keys.js";
import { resultToCsv } from "../share/resultCsv.js";
import { checkInvestigatorKey, openResultFile, revealResult, type RevealedResult } from "../share/resultFile.js";
import type { Study } from "../share/study.js";
import { fileDigest } from "../transport/fileDigests.js";
import { audited } from "./auditLog.js";
import { action } from "./command.js";
import { loadSecretKey, loadStudy, requireFile } from "./files.js";

interface RevealOptions {
  study: string;
  key: string;
  garbler: string;
  evaluator: string;
  out: string;
}

/** Opens both result shares with the investigator's key, combines them and writes the CSV atomically. */
export async function revealFiles(study: Study, key: SecretKey, files: { garbler: string; evaluator: string; out: string; key?: string }): Promise<RevealedResult> {
  checkInvestigatorKey(study, key.publicKey, files.key);
  await requireFile(files.garbler, "the garbler's result share");
  await requireFile(files.evaluator, "the evaluator's result share");
  const garbler = await openResultFile(createReadStream(files.garbler), key.secretKey, study, files.garbler);
  const evaluator = await openResultFile(createReadStream(files.evaluator), key.secretKey, study, files.evaluator);
  const result = revealResult(garbler, evaluator, { garbler: files.garbler, evaluator: files.evaluator });
  await writeFileAtomically(files.out, resultToCsv(result));
  return result;
}

export function registerReveal(program: Command): void {
  program
    .command("reveal")
    .description("combine the garbler's and the evaluator's result shares into the released result")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--key <file>", "the investigator's secret key")
    .requiredOption("--garbler <file>", "the garbler's QUERY.PARTY.result")
    .requiredOption("--evaluator <file>", "the evaluator's QUERY.PARTY.result")
    .requiredOption("--out <file>", "the result CSV to write")
    .action(action<RevealOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      const key = await loadSecretKey(options.key);
      const result = await audited(options, reporter, { action: "reveal", study, actingAs: "investigator" }, async () => {
        const revealed = await revealFiles(study, key, options);
        const [garbler, evaluator, out] = await Promise.all([fileDigest(options.garbler), fileDigest(options.evaluator), fileDigest(options.out)]);
        return { result: revealed, details: { query: revealed.query, run: revealed.run, inputs: [{ file: options.garbler, digest: garbler }, { file: options.evaluator, digest: evaluator }], out: { file: options.out, digest: out }, rows: revealed.rows.length, suppressedCells: revealed.suppressedCells } };
      });
      reporter.result({ study: study.id, query: result.query, run: result.run, out: options.out, rows: result.rows.length, suppressedCells: result.suppressedCells, columns: result.columns.map((column) => column.name) });
      reporter.line(`wrote ${options.out}: query ${result.query}, ${result.rows.length} rows, ${result.suppressedCells} suppressed cells (written empty)`);
    }));
}
