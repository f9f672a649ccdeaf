/** `catalyst circuit run`: runs any Bristol Fashion circuit in plaintext, garbled in two workers, or as a cost count. */
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { bristolBitsToHex, bristolProgram, hexToBristolBits, parseBristol } from "../circuit/bristol.js";
import { runCounting, runPlaintext } from "../circuit/twoParty.js";
import { runBristolInWorkers } from "../circuit/workerRun.js";
import { InputError, UsageError } from "../share/errors.js";
import { action, collect } from "./command.js";

interface RunOptions {
  input: string[];
  backend: string;
}

const BACKENDS = ["plaintext", "garbled", "count"];

export function registerCircuit(program: Command): void {
  const circuit = program.command("circuit").description("boolean circuits in the Bristol Fashion format");
  circuit
    .command("run")
    .description("run a Bristol Fashion circuit; inputs and outputs are hex, big-endian, wire 0 the least significant bit")
    .argument("<file>", "the circuit file (Bristol Fashion)")
    .option("--input <hex>", "one input value in hex, in the circuit's input order (repeat per input)", collect, [])
    .option("--backend <name>", "plaintext, garbled (garbler and evaluator in two worker threads) or count", "plaintext")
    .action(action<RunOptions>(async (options, reporter, args) => {
      const [file] = args;
      if (!BACKENDS.includes(options.backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(", ")}, not "${options.backend}"`);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (error) {
        throw new InputError(`cannot read the circuit: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file });
      }
      const parsed = parseBristol(text, file);

      if (options.backend === "count") {
        const counts = await runCounting(bristolProgram(parsed), parsed.inputBits);
        reporter.line(`AND ${counts.and}`);
        reporter.line(`XOR ${counts.xor}`);
        reporter.line(`INV ${counts.not}`);
        reporter.line(`AND depth ${parsed.andDepth}`);
        reporter.line(`garbled table bytes ${counts.tableBytes}`);
        reporter.result({ backend: "count", and: counts.and, xor: counts.xor, inv: counts.not, andDepth: parsed.andDepth, tableBytes: counts.tableBytes });
        return;
      }

      if (options.input.length !== parsed.inputBits.length) {
        throw new UsageError(`the circuit takes ${parsed.inputBits.length} inputs (${parsed.inputBits.join(", ")} bits), got ${options.input.length} --input`);
      }
      const inputs = options.input.map((hex, i) => {
        try {
          return hexToBristolBits(hex, parsed.inputBits[i]);
        } catch (error) {
          throw new InputError(`input ${i + 1}: ${(error as Error).message}`);
        }
      });
      let outputs: Uint8Array[];
      let garbledFigures = {};
      if (options.backend === "plaintext") {
        outputs = await runPlaintext(bristolProgram(parsed), inputs);
      } else {
        const progress = reporter.progress(`garbling ${parsed.andCount} AND gates`);
        try {
          const run = await runBristolInWorkers(file, inputs);
          outputs = run.outputs;
          garbledFigures = { andGates: run.andGates, streamBytes: run.streamBytes };
          progress.succeed(`garbled and evaluated ${run.andGates} AND gates in two workers (${run.streamBytes} bytes of tables)`);
        } finally {
          progress.stop();
        }
      }
      const hex = outputs.map(bristolBitsToHex);
      for (const value of hex) reporter.line(value);
      reporter.result({ backend: options.backend, outputs: hex, ...garbledFigures });
    }));
}
