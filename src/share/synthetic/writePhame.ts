/** Writes a synthetic PHAME study's CSVs: one folder per site, plus tables.sql and a sites.json manifest. */
import { join, relative } from "node:path";
import { stringify } from "csv-stringify/sync";
import { AtomicFile, writeFileAtomically } from "../atomicFile.js";
import { InputError } from "../errors.js";
import { generatePatients, PHAME_HEADERS, PHAME_TABLES_SQL, phameSites, SiteSummary, siteTables, type CsvRow, type SiteSpec } from "./phame.js";

export interface PhameFixtureOptions {
  sites: number;
  /** Patients per site, or one count per site. */
  patients: number | number[];
  seed: number;
  out: string;
}

export interface WrittenSite extends SiteSpec {
  /** Each table's CSV, relative to the output folder, and its row count. */
  tables: Record<string, { file: string; rows: number }>;
}

const BATCH_ROWS = 4096;

/** CSV output with batching and backpressure, so millions of rows stream through little memory. */
class CsvWriter {
  private pending: CsvRow[] = [];
  rows = 0;

  private constructor(private readonly file: AtomicFile) {}

  static async create(path: string, header: string[]): Promise<CsvWriter> {
    const writer = new CsvWriter(await AtomicFile.create(path));
    await writer.file.write(new TextEncoder().encode(stringify([header])));
    return writer;
  }

  async add(row: CsvRow): Promise<void> {
    this.pending.push(row);
    this.rows++;
    if (this.pending.length >= BATCH_ROWS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = stringify(this.pending, { cast: { bigint: (value) => value.toString(), boolean: (value) => (value ? "true" : "false") } });
    this.pending = [];
    await this.file.write(new TextEncoder().encode(text));
  }

  async close(): Promise<void> {
    await this.flush();
    await this.file.commit();
  }

  async abort(): Promise<void> {
    await this.file.abort();
  }
}

export async function writePhameFixtures(options: PhameFixtureOptions): Promise<WrittenSite[]> {
  if (!Number.isInteger(options.sites) || options.sites < 1 || options.sites > 1000) throw new InputError(`--sites must be a whole number from 1 to 1000, got ${options.sites}`);
  const counts = Array.isArray(options.patients) ? options.patients : [options.patients];
  if (counts.some((count) => !Number.isInteger(count) || count < 0 || count > 50_000_000)) throw new InputError("--patients must be a whole number from 0 to 50,000,000");
  if (!Number.isInteger(options.seed)) throw new InputError(`--seed must be a whole number, got ${options.seed}`);

  const written: WrittenSite[] = [];
  for (const site of phameSites(options.sites, options.patients)) {
    const folder = join(options.out, site.name);
    const tables: WrittenSite["tables"] = {};
    const summary = new SiteSummary();
    if (site.kind === "row-level") {
      const demographic = await CsvWriter.create(join(folder, "phame_demographic.csv"), PHAME_HEADERS.phame_demographic);
      const diagnosis = await CsvWriter.create(join(folder, "phame_diagnosis.csv"), PHAME_HEADERS.phame_diagnosis);
      try {
        for (const patient of generatePatients(site, options.seed)) {
          summary.add(patient);
          await demographic.add([patient.patid, ...patient.strata]);
          // As in the pilot, only patients with at least one diagnosis of interest get a diagnosis row.
          if (patient.diagnoses.some(Boolean)) await diagnosis.add([patient.patid, ...patient.diagnoses]);
        }
        await demographic.close();
        await diagnosis.close();
      } catch (error) {
        await Promise.all([demographic.abort(), diagnosis.abort()]);
        throw error;
      }
      tables.phame_demographic = { file: join(folder, "phame_demographic.csv"), rows: demographic.rows };
      tables.phame_diagnosis = { file: join(folder, "phame_diagnosis.csv"), rows: diagnosis.rows };
    } else {
      for (const patient of generatePatients(site, options.seed)) summary.add(patient);
      tables.phame_diagnosis_rollup = await writeRows(join(folder, "phame_diagnosis_rollup.csv"), PHAME_HEADERS.phame_diagnosis_rollup, summary.rollupRows());
    }
    tables.phame_cohort_counts = await writeRows(join(folder, "phame_cohort_counts.csv"), PHAME_HEADERS.phame_cohort_counts, summary.cohortRows(site));
    // The manifest names files relative to the output folder, so the folder can be moved or committed.
    const ordered = Object.fromEntries(siteTables(site).map((table) => [table, { ...tables[table], file: relative(options.out, tables[table].file) }]));
    written.push({ ...site, tables: ordered });
  }
  await writeFileAtomically(join(options.out, "tables.sql"), PHAME_TABLES_SQL);
  await writeFileAtomically(join(options.out, "sites.json"), JSON.stringify({ seed: options.seed, sites: written }, null, 2) + "\n");
  return written;
}

async function writeRows(path: string, header: string[], rows: CsvRow[]): Promise<{ file: string; rows: number }> {
  const writer = await CsvWriter.create(path, header);
  try {
    for (const row of rows) await writer.add(row);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return { file: path, rows: writer.rows };
}
