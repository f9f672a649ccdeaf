/** How a command talks to its user: human lines (colour and spinners only on a TTY) or one JSON document. */
import chalk, { Chalk, type ChalkInstance } from "chalk";
import ora, { type Ora } from "ora";
import { CatalystError, ExitCode } from "../share/errors.js";
import { redactSecrets } from "../transport/redact.js";

export interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  /** Where the audit trail is appended (see auditLog.ts). */
  auditLog?: string;
}

export interface Progress {
  update(text: string): void;
  succeed(text: string): void;
  stop(): void;
}

export class Reporter {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly style: ChalkInstance;
  private readonly interactive: boolean;

  constructor(options: GlobalOptions, private readonly out: NodeJS.WriteStream = process.stdout, private readonly err: NodeJS.WriteStream = process.stderr) {
    this.json = Boolean(options.json);
    this.quiet = Boolean(options.quiet);
    const colourAllowed = options.color !== false && !("NO_COLOR" in process.env) && Boolean(err.isTTY);
    this.style = colourAllowed ? chalk : new Chalk({ level: 0 });
    // A pseudo-terminal of zero columns (`script` without a size, some CI runners) sends ora into an endless
    // redraw: a spinner needs a terminal it can measure.
    this.interactive = Boolean(err.isTTY) && (err.columns ?? 0) > 0 && !this.json && !this.quiet && !process.env.CI;
  }

  /** A line of human output on stdout; silent in --json or --quiet mode. */
  line(text = ""): void {
    if (!this.json && !this.quiet) this.out.write(text + "\n");
  }

  /** A human note on stderr, kept out of stdout so pipelines stay clean. */
  note(text: string): void {
    if (!this.json && !this.quiet) this.err.write(text + "\n");
  }

  warn(text: string): void {
    if (!this.json) this.err.write(this.style.yellow("warning: ") + text + "\n");
  }

  /** The single machine-readable result of a command in --json mode. */
  result(document: object, ok = true): void {
    if (this.json) this.out.write(JSON.stringify({ ok, ...document }, jsonValue, 2) + "\n");
  }

  /** A spinner on a TTY; plain no-ops elsewhere, so logs never fill with control codes. */
  progress(text: string): Progress {
    if (!this.interactive) return { update() {}, succeed: (done) => this.note(done), stop() {} };
    const spinner: Ora = ora({ text, stream: this.err }).start();
    let renderedAt = 0;
    return {
      update: (next) => {
        spinner.text = next;
        // ora redraws on its own timer only; a short transfer would finish before its line ever showed.
        const now = performance.now();
        if (now - renderedAt >= 50) { renderedAt = now; spinner.render(); }
      },
      succeed: (done) => { spinner.succeed(done); },
      stop: () => { if (spinner.isSpinning) spinner.stop(); },
    };
  }

  /** Prints a failure: one line on stderr, plus a JSON document on stdout in --json mode. */
  failure(error: unknown): number {
    const known = error instanceof CatalystError ? error : undefined;
    // SDK errors may quote a signed URL or a connection string: nothing secret reaches the terminal.
    const message = redactSecrets(known ? known.describe() : error instanceof Error ? error.message : String(error));
    const exitCode = known ? known.exitCode : ExitCode.failure;
    this.err.write(this.style.red("catalyst: ") + message.split("\n")[0] + "\n");
    if (!known && process.env.CATALYST_DEBUG && error instanceof Error) this.err.write(String(error.stack) + "\n");
    if (this.json) {
      const detail = known ? { code: known.code, ...known.location } : { code: "failure" };
      this.out.write(JSON.stringify({ ok: false, error: { message, exitCode, ...detail }, ...(known?.details ?? {}) }, jsonValue, 2) + "\n");
    }
    return exitCode;
  }
}

/** JSON has no BigInt; INT64 values are printed as decimal strings. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
