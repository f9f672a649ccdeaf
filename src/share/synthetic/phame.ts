/** Synthetic PHAME pilot data: the pilot's four tables and codes, for any number of sites and patients. */
import { SeededRandom } from "./seededRandom.js";

export const STRATA = ["age_cat", "gender", "race", "ethnicity", "zip", "payer_primary", "payer_secondary"] as const;
export const DIAGNOSES = ["diabetes", "hypertension", "cervical_cancer", "breast_cancer", "lung_cancer", "colorectal_cancer"] as const;

/** Chicago-area zip codes: the city's 606xx and a few near suburbs. */
export const CHICAGO_ZIPS = [
  ...Array.from({ length: 61 }, (_, i) => String(60601 + i)).filter((zip) => !["60635", "60648", "60650", "60658"].includes(zip)),
  "60201", "60202", "60301", "60302", "60402", "60406", "60453", "60455", "60456", "60457", "60459", "60463", "60478", "60501", "60525", "60546", "60612", "60706", "60707", "60712", "60714", "60803", "60804", "60805", "60827",
].filter((zip, index, all) => all.indexOf(zip) === index);

/** Code weights, loosely shaped like an adult urban patient population. */
const AGE_WEIGHTS = [14, 17, 16, 16, 15, 12, 10]; // 0: 18–30 … 6: over 80
const GENDER_CODES = ["F", "M", "N", "0"];
const GENDER_WEIGHTS = [52, 46, 1, 1];
const RACE_WEIGHTS = [6, 3, 5, 30, 1, 38, 6, 3, 4, 4];
const ETHNICITY_WEIGHTS = [62, 24, 4, 3, 3, 2, 2];
const PAYER_WEIGHTS = [8, 30, 22, 25, 6, 5, 4];
const SECONDARY_PAYER_WEIGHTS = [55, 10, 10, 12, 5, 4, 4];
/** The values each stratum takes: the pilot's codes, and the Chicago zips above. */
const digits = (count: number) => Array.from({ length: count }, (_, digit) => String(digit));
const STRATUM_VALUES: Record<(typeof STRATA)[number], readonly string[]> = {
  age_cat: digits(AGE_WEIGHTS.length), gender: GENDER_CODES, race: digits(RACE_WEIGHTS.length), ethnicity: digits(ETHNICITY_WEIGHTS.length),
  zip: CHICAGO_ZIPS, payer_primary: digits(PAYER_WEIGHTS.length), payer_secondary: digits(SECONDARY_PAYER_WEIGHTS.length),
};
/** The strata columns as TABLES.sql declares them: each CHECK lists its codes, so the circuit moves an index. */
const STRATA_COLUMNS = STRATA.map((name) => `${name} CHAR(${name === "zip" ? 5 : 1}) CHECK (${name} IN (${[...STRATUM_VALUES[name]].sort().map((value) => `'${value}'`).join(", ")}))`).join(",\n  ");

export const PHAME_TABLES_SQL = `-- The PHAME pilot's input tables (see fixtures/phame/README.md).
-- Each stratum lists its codes: \`catalyst share\` refuses any other value, and the circuit carries a code's
-- index (3 bits for age_cat, 7 for zip) instead of its characters.
CREATE TABLE phame_cohort_counts (description VARCHAR(42), count INT64, site_id INT32);
CREATE TABLE phame_demographic (patid INT32,
  ${STRATA_COLUMNS});
CREATE TABLE phame_diagnosis (patid INT32, dx_diabetes BOOL, dx_hypertension BOOL, dx_cervical_cancer BOOL, dx_breast_cancer BOOL, dx_lung_cancer BOOL, dx_colorectal_cancer BOOL);
-- An aggregate-only site's counts are never negative and add up to at most its patients, 4 million at most:
-- public bounds that \`catalyst share\` checks and that keep the sums in MPC narrow.
CREATE TABLE phame_diagnosis_rollup (
  ${STRATA_COLUMNS},
  patient_cnt INT32 CHECK (patient_cnt >= 0) CHECK (SUM(patient_cnt) <= 4000000),
  diabetes_cnt INT32 CHECK (diabetes_cnt >= 0) CHECK (SUM(diabetes_cnt) <= 4000000),
  hypertension_cnt INT32 CHECK (hypertension_cnt >= 0) CHECK (SUM(hypertension_cnt) <= 4000000),
  cervical_cancer_cnt INT32 CHECK (cervical_cancer_cnt >= 0) CHECK (SUM(cervical_cancer_cnt) <= 4000000),
  breast_cancer_cnt INT32 CHECK (breast_cancer_cnt >= 0) CHECK (SUM(breast_cancer_cnt) <= 4000000),
  lung_cancer_cnt INT32 CHECK (lung_cancer_cnt >= 0) CHECK (SUM(lung_cancer_cnt) <= 4000000),
  colorectal_cancer_cnt INT32 CHECK (colorectal_cancer_cnt >= 0) CHECK (SUM(colorectal_cancer_cnt) <= 4000000));
`;

/** Chance of each diagnosis; about one patient in seven has at least one, as in the pilot. */
const DIAGNOSIS_RATES = [0.065, 0.075, 0.002, 0.008, 0.003, 0.004];

export const COHORT_DESCRIPTIONS = [
  "Total Unique Patients at Site",
  "Total Unique Patients before Randomization",
  "Total Unique Patients after Randomization",
  ...["18-30", "31-40", "41-50", "51-60", "61-70"].flatMap((range) => [`Female - Age between ${range}`, `Male - Age between ${range}`]),
  "Female - Age > 70",
  "Male - Age > 70",
];

export interface Patient {
  patid: number;
  strata: string[];
  diagnoses: boolean[];
}

export interface SiteSpec {
  name: string;
  index: number;
  /** Row-level sites send patients; aggregate-only sites send the pre-joined rollup. */
  kind: "row-level" | "aggregate-only";
  patients: number;
}

/** Every third site is aggregate-only, as two of the pilot's six were. */
export function phameSites(sites: number, patientsPerSite: number | number[]): SiteSpec[] {
  return Array.from({ length: sites }, (_, i) => ({
    name: `site${i + 1}`,
    index: i + 1,
    kind: (i + 1) % 3 === 0 ? "aggregate-only" : "row-level",
    patients: Array.isArray(patientsPerSite) ? patientsPerSite[i] : patientsPerSite,
  }));
}

/** The tables a site contributes, in the order it writes them. */
export function siteTables(site: SiteSpec): string[] {
  return site.kind === "row-level"
    ? ["phame_cohort_counts", "phame_demographic", "phame_diagnosis"]
    : ["phame_cohort_counts", "phame_diagnosis_rollup"];
}

/** Generates a site's patients one at a time, reproducibly from (seed, site). */
export function* generatePatients(site: SiteSpec, seed: number): Generator<Patient> {
  const random = new SeededRandom(((seed >>> 0) * 1000003 + site.index * 7919) >>> 0);
  // Patient ids are unique within a site and say nothing about the order of rows.
  const firstId = 100000 + random.below(900000);
  for (let i = 0; i < site.patients; i++) {
    const age = random.weighted(AGE_WEIGHTS);
    const gender = GENDER_CODES[random.weighted(GENDER_WEIGHTS)];
    const strata = [
      String(age),
      gender,
      String(random.weighted(RACE_WEIGHTS)),
      String(random.weighted(ETHNICITY_WEIGHTS)),
      CHICAGO_ZIPS[random.below(CHICAGO_ZIPS.length)],
      String(random.weighted(PAYER_WEIGHTS)),
      String(random.weighted(SECONDARY_PAYER_WEIGHTS)),
    ];
    const ageFactor = 0.4 + age * 0.25;
    const diagnoses = DIAGNOSIS_RATES.map((rate, index) => {
      if (index === 2 && gender !== "F") return false; // cervical cancer
      return random.next() < Math.min(0.9, rate * ageFactor);
    });
    yield { patid: firstId + i, strata, diagnoses };
  }
}

export type CsvRow = Array<string | number | bigint | boolean>;

export const PHAME_HEADERS: Record<string, string[]> = {
  phame_cohort_counts: ["description", "count", "site_id"],
  phame_demographic: ["patid", ...STRATA],
  phame_diagnosis: ["patid", ...DIAGNOSES.map((name) => `dx_${name}`)],
  phame_diagnosis_rollup: [...STRATA, "patient_cnt", ...DIAGNOSES.map((name) => `${name}_cnt`)],
};

/** Accumulates what a site writes beyond its row-level tables: cohort counts and, if asked, the rollup. */
export class SiteSummary {
  private readonly rollup = new Map<string, bigint[]>();
  private readonly ageGender = new Map<string, number>();
  private patients = 0;

  add(patient: Patient): void {
    this.patients++;
    const key = patient.strata.join("\u0000");
    let counts = this.rollup.get(key);
    if (!counts) { counts = new Array(1 + DIAGNOSES.length).fill(0n); this.rollup.set(key, counts); }
    counts[0]++;
    patient.diagnoses.forEach((has, index) => { if (has) counts![index + 1]++; });
    const ageBand = Math.min(5, Number(patient.strata[0]));
    const gender = patient.strata[1];
    if (gender === "F" || gender === "M") this.ageGender.set(`${gender}${ageBand}`, (this.ageGender.get(`${gender}${ageBand}`) ?? 0) + 1);
  }

  cohortRows(site: SiteSpec): CsvRow[] {
    const population = Math.round(this.patients * 3.7);
    const counts = [population, Math.round(this.patients * 1.9), this.patients];
    for (let band = 0; band < 6; band++) counts.push(this.ageGender.get(`F${band}`) ?? 0, this.ageGender.get(`M${band}`) ?? 0);
    return COHORT_DESCRIPTIONS.map((description, index) => [description, BigInt(counts[index]), site.index]);
  }

  /** One row per stratum present at the site, sorted by stratum. */
  rollupRows(): CsvRow[] {
    return [...this.rollup.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, counts]) => [...key.split("\u0000"), ...counts]);
  }
}
