/** Named error types shared by every layer; the CLI turns them into one-line reasons and exit codes. */

/** Where in a user's file a problem was found (1-based line and column). */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
}

/** Exit statuses are a contract with scripts: see the README's "Exit codes". */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  invalidInput: 3,
  integrity: 4,
  incomplete: 5,
  mismatch: 6,
} as const;

export class CatalystError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly location: SourceLocation;
  /** Extra machine-readable context for --json output (e.g. a full inbox report). */
  details?: Record<string, unknown>;

  constructor(code: string, message: string, exitCode: number = ExitCode.failure, location: SourceLocation = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.location = location;
  }

  /** `file:line:column: message`, leaving out the parts that are unknown. */
  describe(): string {
    const { file, line, column } = this.location;
    const where = [file, line, line !== undefined ? column : undefined].filter((part) => part !== undefined).join(":");
    return where ? `${where}: ${this.message}` : this.message;
  }
}

/** The user gave something malformed: a CSV row, a schema, a study definition, a flag value. */
export class InputError extends CatalystError {
  constructor(message: string, location: SourceLocation = {}, code = "invalid-input") {
    super(code, message, ExitCode.invalidInput, location);
  }
}

/** A file was tampered with, truncated, or belongs to another study, party or key. */
export class IntegrityError extends CatalystError {
  constructor(message: string, location: SourceLocation = {}, code = "integrity") {
    super(code, message, ExitCode.integrity, location);
  }
}

/** A flag combination or invocation that cannot work. */
export class UsageError extends CatalystError {
  constructor(message: string, code = "usage") {
    super(code, message, ExitCode.usage);
  }
}
