/** The investigator's study page: the same inputs as `catalyst study init`, checked as typed, and the same study.json. */
import { InputError } from "../../../share/errors.js";
import { parsePublicKey } from "../../../share/keys.js";
import { MAX_PUSHDOWN_ROWS, serializeStudy } from "../../../share/study.js";
import { parseTablesSql } from "../../../share/tablesSql.js";
import { defineStudy } from "../../../operators/studyDefinition.js";
import { describeError, element } from "./dom.js";

const TABLES_FILE = "TABLES.sql";
let tableNames: string[] = [];

function checkTables(): void {
  const error = element("tables-error");
  try {
    const text = element<HTMLTextAreaElement>("tables-sql").value;
    tableNames = text.trim() ? parseTablesSql(text, TABLES_FILE).map((table) => table.name) : [];
    error.textContent = "";
  } catch (problem) {
    error.textContent = describeError(problem);
  }
  for (const partner of element("partners").querySelectorAll<HTMLElement>(".partner")) renderChecks(partner);
}

function renderChecks(partner: HTMLElement): void {
  const box = partner.querySelector<HTMLElement>(".checks")!;
  const ticked = new Set([...box.querySelectorAll<HTMLInputElement>("input:checked")].map((input) => input.value));
  const index = partner.dataset.index!;
  box.replaceChildren(...tableNames.map((table) => {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { type: "checkbox", value: table, checked: ticked.has(table), name: `partner-${index}-tables` });
    label.append(input, ` ${table}`);
    return label;
  }));
}

let partnerCount = 0;
function addPartner(): void {
  const index = ++partnerCount;
  const partner = Object.assign(document.createElement("div"), { className: "partner" });
  partner.dataset.index = String(index);
  partner.innerHTML = `<label for="partner-${index}-name">Partner ${index}'s name</label><input id="partner-${index}-name" class="partner-name" type="text"><div class="checks" role="group" aria-label="Tables partner ${index} sends"></div>
<label class="inline"><input type="checkbox" id="partner-${index}-pushdown" class="partner-pushdown"> pushes site-local work down (uploads partial aggregates)</label>
<label for="partner-${index}-max-rows">Public bound on partner ${index}'s rows per table, if it pushes down (default ${MAX_PUSHDOWN_ROWS})</label><input id="partner-${index}-max-rows" class="partner-max-rows" type="number" min="1">`;
  element("partners").append(partner);
  renderChecks(partner);
}

let queryCount = 0;
function addQuery(): void {
  const index = ++queryCount;
  const query = Object.assign(document.createElement("div"), { className: "query" });
  query.innerHTML = `<label for="query-${index}-name">Query ${index}'s name</label><input id="query-${index}-name" class="query-name" type="text">
<label for="query-${index}-sql">Query ${index}'s SQL</label><textarea id="query-${index}-sql" class="query-sql" rows="5" aria-describedby="query-${index}-error"></textarea>
<p id="query-${index}-error" class="error query-error" role="alert" aria-live="polite"></p>`;
  element("queries").append(query);
}

function value(id: string): string {
  return element<HTMLInputElement | HTMLTextAreaElement>(id).value;
}

function publicKeyOf(id: string, what: string) {
  const text = value(id);
  if (!text.trim()) throw new InputError(`paste the ${what}'s public key`);
  return parsePublicKey(text, `the ${what}'s public key`).publicKey;
}

/** Builds the study exactly as `catalyst study init` would from the same inputs; errors show where they are. */
function buildStudy() {
  const minCellCount = value("min-cell-count").trim();
  if (!/^\d+$/.test(minCellCount)) throw new InputError(`the minimum cell count must be a whole number, got "${minCellCount}"`);
  const queries = [...element("queries").querySelectorAll<HTMLElement>(".query")].map((query) => {
    const name = query.querySelector<HTMLInputElement>(".query-name")!.value.trim();
    return { name, sql: query.querySelector<HTMLTextAreaElement>(".query-sql")!.value.trim(), file: `${name || "query"}.sql`, error: query.querySelector<HTMLElement>(".query-error")! };
  }).filter((query) => query.name || query.sql);
  const partnerRows = [...element("partners").querySelectorAll<HTMLElement>(".partner")].map((partner) => ({
    name: partner.querySelector<HTMLInputElement>(".partner-name")!.value.trim(),
    tables: [...partner.querySelectorAll<HTMLInputElement>(".checks input:checked")].map((input) => input.value),
    pushdown: partner.querySelector<HTMLInputElement>(".partner-pushdown")!.checked,
    maxRows: partner.querySelector<HTMLInputElement>(".partner-max-rows")!.value.trim(),
  })).filter((partner) => partner.name || partner.tables.length > 0);
  const partners = partnerRows.map(({ name, tables }) => ({ name, tables }));
  const pushdown = partnerRows.filter((partner) => partner.pushdown).map((partner) => {
    if (partner.maxRows && !/^\d+$/.test(partner.maxRows)) throw new InputError(`the row bound of ${partner.name} must be a whole number, got "${partner.maxRows}"`);
    return { name: partner.name, maxRows: partner.maxRows ? Number(partner.maxRows) : MAX_PUSHDOWN_ROWS };
  });
  for (const query of queries) query.error.textContent = "";
  try {
    return defineStudy({
      id: value("study-id").trim() || undefined,
      name: value("study-name").trim(),
      minCellCount: Number(minCellCount),
      tablesSql: { text: value("tables-sql"), file: TABLES_FILE },
      partners,
      garbler: { name: value("garbler-name").trim(), publicKey: publicKeyOf("garbler-key", "garbler") },
      evaluator: { name: value("evaluator-name").trim(), publicKey: publicKeyOf("evaluator-key", "evaluator") },
      investigator: { publicKey: publicKeyOf("investigator-key", "investigator") },
      queries: queries.map(({ name, sql, file }) => ({ name, sql, file })),
      pushdown,
    });
  } catch (error) {
    // A query's error is shown beside that query, pointing at its token.
    const file = error instanceof InputError ? error.location.file : undefined;
    const query = queries.find((candidate) => candidate.file === file);
    if (query) query.error.textContent = describeError(error);
    throw error;
  }
}

element<HTMLTextAreaElement>("tables-sql").addEventListener("input", checkTables);
element("add-partner").addEventListener("click", addPartner);
element("add-query").addEventListener("click", addQuery);
element<HTMLFormElement>("study-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const errorText = element("study-error");
  const statusText = element("study-status");
  errorText.textContent = "";
  statusText.textContent = "";
  try {
    const study = buildStudy();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([serializeStudy(study)], { type: "application/json" }));
    link.download = "study.json";
    document.body.append(link);
    link.click();
    link.remove();
    statusText.textContent = `study.json for "${study.name}" (${study.id}), digest ${study.digest}.`;
  } catch (error) {
    errorText.textContent = describeError(error);
  }
});
addPartner();
addQuery();
