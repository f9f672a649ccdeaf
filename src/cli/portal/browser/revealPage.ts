/** The investigator's reveal page: the two sealed result shares and the key are opened and combined in this page only. */
import { InputError } from "../../../share/errors.js";
import { parseSecretKey } from "../../../share/keys.js";
import { resultToCsv } from "../../../share/resultCsv.js";
import { checkInvestigatorKey, openResultFile, revealResult, type RevealedResult } from "../../../share/resultFile.js";
import type { Study } from "../../../share/study.js";
import { formatValue } from "../../../share/values.js";
import { describeError, element, fileChunks, offerDownload, readStudyFile, servedStudy } from "./dom.js";

let study: Study | undefined;
const errorText = element("reveal-error");

function chosen(id: string, what: string): File {
  const file = element<HTMLInputElement>(id).files?.[0];
  if (!file) throw new InputError(`choose ${what}`);
  return file;
}

function showTable(result: RevealedResult): void {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const column of result.columns) head.append(Object.assign(document.createElement("th"), { scope: "col", textContent: column.name }));
  const body = table.createTBody();
  for (const cells of result.rows) {
    const row = body.insertRow();
    for (const cell of cells) {
      const td = row.insertCell();
      if (typeof cell === "object" && "suppressed" in cell) { td.className = "suppressed"; td.textContent = "suppressed"; td.title = "a count from 1 to the minimum cell count − 1, suppressed inside MPC"; } else if (typeof cell === "object") td.textContent = "NULL";
      else td.textContent = formatValue(cell);
    }
  }
  element("result-table").replaceChildren(table);
}

async function reveal(): Promise<void> {
  errorText.textContent = "";
  element("result-section").hidden = true;
  if (!study) throw new InputError("choose the study.json first");
  const garblerFile = chosen("garbler-result", "the garbler's result share");
  const evaluatorFile = chosen("evaluator-result", "the evaluator's result share");
  const keyFile = chosen("investigator-key", "your secret key file");
  const key = parseSecretKey(await keyFile.text(), keyFile.name);
  checkInvestigatorKey(study, key.publicKey, keyFile.name);
  const garbler = await openResultFile(fileChunks(garblerFile), key.secretKey, study, garblerFile.name);
  const evaluator = await openResultFile(fileChunks(evaluatorFile), key.secretKey, study, evaluatorFile.name);
  const result = revealResult(garbler, evaluator, { garbler: garblerFile.name, evaluator: evaluatorFile.name });
  showTable(result);
  element("result-title").textContent = `Result of ${result.query}`;
  element("result-summary").textContent = `${result.rows.length} rows, ${result.suppressedCells} suppressed cells (marked here, written empty in the CSV); run ${result.run}.`;
  offerDownload(element<HTMLAnchorElement>("result-download"), new Blob([resultToCsv(result)], { type: "text/csv" }), `${result.query}.csv`);
  element("result-section").hidden = false;
}

element<HTMLInputElement>("study-file").addEventListener("change", async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    study = (await readStudyFile(file)).study;
    element("study-source").textContent = `Study "${study.name}" (${study.id}), from ${file.name}.`;
  } catch (error) { errorText.textContent = describeError(error); }
});
element<HTMLButtonElement>("reveal").addEventListener("click", () => { reveal().catch((error) => { errorText.textContent = describeError(error); }); });
void servedStudy().then((served) => {
  if (served) { study = served.study; element("study-source").textContent = `Study "${study.name}" (${study.id}), served by this portal.`; }
  else element("study-source").textContent = "This portal serves no study: choose the study.json.";
}).catch((error) => { errorText.textContent = describeError(error); });
