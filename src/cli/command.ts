/** The glue every command file uses: global options, one reporter, errors turned into exit codes. */
import type { Command } from "commander";
import { Reporter, type GlobalOptions } from "./output.js";
import { InputError } from "../share/errors.js";

/**
 * Wraps a command's action so that it receives its options merged with the global ones and a reporter,
 * and so that any thrown error becomes a one-line reason and a non-zero exit status.
 */
export function action<Options extends object>(
  body: (options: Options & GlobalOptions, reporter: Reporter, args: string[]) => Promise<void> | void,
): (...commanderArgs: unknown[]) => Promise<void> {
  return async (...commanderArgs: unknown[]) => {
    const command = commanderArgs[commanderArgs.length - 1] as Command;
    const options = command.optsWithGlobals() as Options & GlobalOptions;
    const reporter = new Reporter(options);
    const positional = command.args;
    try {
      await body(options, reporter, positional);
    } catch (error) {
      process.exitCode = reporter.failure(error);
    }
  };
}

/** Collects a repeatable flag into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole-number flag (underscores allowed as digit separators). */
export function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value.replace(/_/g, ""))) throw new InputError(`${flag} must be a whole number, got "${value}"`);
  return Number(value.replace(/_/g, ""));
}
