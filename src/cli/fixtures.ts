/** `catalyst fixtures phame`: synthetic CSVs shaped like the PHAME pilot's, for demos, tests and benchmarks. */
import type { Command } from "commander";
import { InputError } from "../share/errors.js";
import { writePhameFixtures } from "../share/synthetic/writePhame.js";
import { action, wholeNumber } from "./command.js";

interface PhameOptions {
  sites: string;
  patients: string;
  seed: string;
  out: string;
}

export function registerFixtures(program: Command): void {
  const fixtures = program.command("fixtures").description("generate synthetic data sets");
  fixtures
    .command("phame")
    .description("synthetic PHAME sites: row-level sites write demographic and diagnosis, every third site writes the aggregate rollup")
    .option("--sites <n>", "number of data partner sites", "6")
    .option("--patients <n>", "patients per site (or comma-separated, one per site)", "1000")
    .option("--seed <n>", "seed for reproducible data", "1")
    .requiredOption("--out <dir>", "output folder (one sub-folder per site)")
    .action(action<PhameOptions>(async (options, reporter) => {
      const sites = wholeNumber(options.sites, "--sites");
      const patientList = options.patients.split(",").map((value) => wholeNumber(value.trim(), "--patients"));
      if (patientList.length !== 1 && patientList.length !== sites) throw new InputError(`--patients lists ${patientList.length} counts for ${sites} sites`);
      const progress = reporter.progress("generating synthetic PHAME data");
      const written = await writePhameFixtures({ sites, patients: patientList.length === 1 ? patientList[0] : patientList, seed: wholeNumber(options.seed, "--seed"), out: options.out });
      progress.stop();
      reporter.result({ out: options.out, sites: written });
      for (const site of written) {
        const tables = Object.entries(site.tables).map(([table, { rows }]) => `${table} ${rows}`).join(", ");
        reporter.line(`${site.name} (${site.kind}): ${tables}`);
      }
      reporter.line(`wrote ${options.out}/tables.sql and ${options.out}/sites.json`);
    }));
}
