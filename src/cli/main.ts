/** The `catalyst` program: global options and one sub-command per file in this folder. */
import { Command, CommanderError } from "commander";
import { ExitCode } from "../share/errors.js";
import { Reporter } from "./output.js";
import { registerCompute } from "./compute.js";
import { registerDemo } from "./demo.js";
import { registerFixtures } from "./fixtures.js";
import { registerGrant } from "./grant.js";
import { registerInbox } from "./inbox.js";
import { registerKeys } from "./keys.js";
import { registerPlan } from "./plan.js";
import { registerPortal } from "./portal.js";
import { registerReveal } from "./reveal.js";
import { registerShare } from "./share.js";
import { registerStudy } from "./study.js";
import { registerUpload } from "./upload.js";
import { registerVerify } from "./verify.js";
import { registerCircuit } from "./circuit.js";

/** Each command file exports one `register…(program)`; add new commands to this list. */
const commands: Array<(program: Command) => void> = [registerKeys, registerStudy, registerShare, registerGrant, registerUpload, registerInbox, registerReveal, registerCompute, registerPlan, registerVerify, registerFixtures, registerDemo, registerCircuit, registerPortal];

export function buildProgram(): Command {
  const program = new Command("catalyst")
    .description("Secure multiparty queries over hospital records that never leave their site in the clear.")
    .version("0.1.0")
    .option("--json", "machine-readable output: one JSON document on stdout")
    .option("--no-color", "never use colour (NO_COLOR is respected too)")
    .option("-q, --quiet", "print nothing but errors")
    .option("--audit-log <file>", "append the audit trail here (default: $CATALYST_AUDIT_LOG or ~/.catalyst/audit.jsonl)")
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Commands report failure through process.exitCode; read it and restore it so main() can be called repeatedly.
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything commander rejects is a usage error.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return ExitCode.ok;
      return ExitCode.usage;
    }
    return new Reporter({ json: argv.includes("--json") }).failure(error);
  } finally {
    process.exitCode = previous;
  }
}
