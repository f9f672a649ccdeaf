/** The data partner's page: choose the study and your name, drop a CSV per table, share and seal in a worker, upload. */
import { IntegrityError, InputError } from "../../../share/errors.js";
import { partialsInputs } from "../../../operators/tableShares.js";
import { findPartner, partyOf, pushdownOf, ROLES, uploadedTables, type Role, type Study } from "../../../share/study.js";
import { putBlobToPresignedUrl } from "../../../transport/fetchUpload.js";
import { checkGrant, grantPlace, parseGrant, type Grant } from "../../../transport/grant.js";
import { redactUrl } from "../../../transport/redact.js";
import { describeError, element, offerDownload, readStudyFile, servedStudy } from "./dom.js";
import type { ShareRequest, SharedTable, ShareWorkerMessage } from "./shareWorker.js";

/** A shared table and the CSV it came from (for a partial table, the CSVs it was computed from). */
type Shared = SharedTable & { csv: string };

let current: { study: Study; text: string } | undefined;
/** The grants the portal serves to the holder of this page's link (`#grant=TOKEN`), for one partner. */
let servedGrants: { partner: string; grants: Array<{ file: string; text: string }> } | undefined;

const progress = element<HTMLProgressElement>("share-progress");
const status = element("share-status");
const errorText = element("share-error");

function showError(message: string): void {
  errorText.textContent = message;
  status.textContent = "";
}

function setStudy(loaded: { study: Study; text: string }, source: string): void {
  current = loaded;
  element("study-source").textContent = `Study "${loaded.study.name}" (${loaded.study.id}), ${source}.`;
  const select = element<HTMLSelectElement>("partner-name");
  select.replaceChildren(new Option("(choose your partner name)", ""), ...loaded.study.partners.map((partner) => new Option(partner.name, partner.name)));
  // A partner's own link names it.
  if (servedGrants && loaded.study.partners.some((partner) => partner.name === servedGrants!.partner)) select.value = servedGrants.partner;
  void choosePartner();
}

async function choosePartner(): Promise<void> {
  const container = element("table-inputs");
  const partner = element<HTMLSelectElement>("partner-name").value;
  errorText.textContent = "";
  if (!current || !partner) { container.replaceChildren(Object.assign(document.createElement("p"), { textContent: "Choose the study and your partner name first." })); return; }
  const pushdown = pushdownOf(current.study, partner);
  // A pushdown partner gives the tables its partial aggregates read; only those partials leave the page.
  const tables = pushdown ? partialsInputs(current.study, partner) : uploadedTables(current.study, partner);
  const inputs = tables.map((table) => {
    const wrapper = document.createElement("div");
    const label = Object.assign(document.createElement("label"), { htmlFor: `csv-${table}`, textContent: `${table}.csv` });
    const input = Object.assign(document.createElement("input"), { type: "file", id: `csv-${table}`, accept: ".csv,text/csv" });
    input.dataset.table = table;
    wrapper.append(label, input);
    return wrapper;
  });
  if (pushdown) {
    const note = Object.assign(document.createElement("p"), { textContent: `${partner} pushes site-local work down in this study: the page computes each query's GROUP BY over your rows and shares only the partial aggregates (${uploadedTables(current.study, partner).join(", ")}). Their row counts, the number of your local groups, become public unless you pad them.` });
    const padLabel = Object.assign(document.createElement("label"), { htmlFor: "pad-to", textContent: "Pad each partial table to this many rows (optional public bound)" });
    const pad = Object.assign(document.createElement("input"), { type: "number", id: "pad-to", min: "0" });
    container.replaceChildren(note, ...inputs, padLabel, pad);
  } else container.replaceChildren(...inputs);
  const mine = servedGrants?.partner === partner ? servedGrants.grants : [];
  element("grant-source").textContent = mine.length > 0 ? `The portal holds ${mine.length} grant file(s) for ${partner} (from your link).` : "Choose the two grant files the compute sites sent you below (or open the link the portal's operator sent you).";
}

/** The grants behind this page's link, if it has one: the token is the only way to a partner's grants. */
async function linkedGrants(): Promise<void> {
  const token = /(?:^#|&)grant=([0-9a-f]{32})(?:&|$)/.exec(location.hash)?.[1];
  if (!token) return;
  const response = await fetch(`/api/grants/${token}`);
  if (!response.ok) throw new InputError("this page's link leads to no grants: ask the portal's operator for your current link");
  servedGrants = await response.json();
}

/** One grant per compute party, each checked against the study, your name and its party. */
async function grantsFor(study: Study, partner: string): Promise<Record<Role, { grant: Grant; file: string }>> {
  const dropped = await Promise.all([...(element<HTMLInputElement>("grant-files").files ?? [])].map(async (file) => ({ file: file.name, text: await file.text() })));
  const texts = dropped.length > 0 ? dropped : servedGrants?.partner === partner ? servedGrants.grants : [];
  const found: Partial<Record<Role, { grant: Grant; file: string }>> = {};
  for (const { file, text } of texts) {
    const grant = parseGrant(text, file);
    checkGrant(grant, study, { partner, role: grant.role, now: new Date() }, file);
    found[grant.role] = { grant, file };
  }
  for (const role of ROLES) {
    if (!found[role]) throw new InputError(`no grant for the ${role} ${partyOf(study, role).name}: give the grant file its delegate sent you`, {}, "grant-missing");
  }
  // One store holding both shares could reconstruct the data, as `catalyst upload` refuses too.
  if (grantPlace(found.garbler!.grant, found.garbler!.file) === grantPlace(found.evaluator!.grant, found.evaluator!.file)) {
    throw new InputError("the two grants lead to the same store: one store holding both shares could reconstruct the data", {}, "same-store");
  }
  return found as Record<Role, { grant: Grant; file: string }>;
}

function shareInWorker(request: ShareRequest, csv: string, onProgress: (bytes: number) => void): Promise<Shared[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker("/assets/shareWorker.js", { type: "module" });
    worker.onmessage = (event: MessageEvent<ShareWorkerMessage>) => {
      const message = event.data;
      if (message.type === "progress") return onProgress(message.bytes);
      worker.terminate();
      if (message.type === "error") return reject(Object.assign(new Error(message.described), { described: message.described, code: message.code }));
      resolve(message.tables.map((table) => ({ ...table, csv })));
    };
    worker.onerror = (event) => { worker.terminate(); reject(new Error(`the share worker failed: ${event.message}`)); };
    worker.postMessage(request);
  });
}

async function shareAndUpload(): Promise<void> {
  errorText.textContent = "";
  element("receipt-section").hidden = true;
  if (!current) return showError("Choose the study first.");
  const { study, text } = current;
  const partner = element<HTMLSelectElement>("partner-name").value;
  findPartner(study, partner);
  const inputs = [...element("table-inputs").querySelectorAll<HTMLInputElement>("input[type=file]")];
  const missing = inputs.filter((input) => !input.files?.length).map((input) => input.dataset.table);
  if (missing.length > 0) return showError(`Give a CSV for ${missing.join(", ")}: every table is shared, or none.`);
  const grants = await grantsFor(study, partner);

  // All or nothing: every table is validated and sealed before any byte is uploaded.
  const files = inputs.map((input) => ({ table: input.dataset.table!, file: input.files![0] }));
  const totalBytes = files.reduce((sum, entry) => sum + entry.file.size, 0) || 1;
  let doneBytes = 0;
  const shared: Shared[] = [];
  const started = performance.now();
  const onProgress = (bytes: number) => { progress.value = (0.8 * (doneBytes + bytes)) / totalBytes; };
  if (pushdownOf(study, partner)) {
    status.textContent = `Checking your CSVs, computing the partial aggregates, sharing and sealing them…`;
    const padText = element<HTMLInputElement>("pad-to").value.trim();
    if (padText && !/^\d+$/.test(padText)) throw new InputError(`the padding bound must be a whole number, got "${padText}"`);
    const request: ShareRequest = { kind: "partials", studyText: text, partner, files: Object.fromEntries(files.map(({ table, file }) => [table, file])), ...(padText ? { padTo: Number(padText) } : {}) };
    shared.push(...await shareInWorker(request, files.map(({ file }) => file.name).join(", "), onProgress));
  } else {
    for (const { table, file } of files) {
      status.textContent = `Checking, sharing and sealing ${file.name} (${table})…`;
      shared.push(...await shareInWorker({ kind: "table", studyText: text, partner, table, file }, file.name, onProgress));
      doneBytes += file.size;
    }
  }
  const shareSeconds = (performance.now() - started) / 1000;
  const uploads = shared.flatMap((entry) => ROLES.map((role) => ({ entry, role })));
  const uploaded: Array<{ table: string; role: Role; party: string; name: string; store: string; url: string; bytes: number; digest: string; outcome: string }> = [];
  for (const [index, { entry, role }] of uploads.entries()) {
    const { grant, file } = grants[role];
    const target = grant.uploads.find((upload) => upload.table === entry.table);
    if (!target) throw new IntegrityError(`the grant has no URL for ${entry.table}`, { file }, "grant-incomplete");
    status.textContent = `Uploading ${target.name} to ${grant.party}…`;
    const body = entry.shares[role];
    const answer = await putBlobToPresignedUrl(target.url, target.headers, body, entry.md5Base64[role]);
    // The page keeps no receipts between visits, so a taken name may hold an earlier run's share, whose
    // randomness does not match this run's other share: it is never taken for this upload's.
    if (answer.outcome === "exists") {
      const maybe = answer.afterLostAnswer ? " (perhaps this upload's, after a lost answer: it cannot be read back to check)" : "";
      throw new IntegrityError(`${target.name} → ${grant.party}: the store already holds a file under this name${maybe}, and grants are write-once; ask the compute site's delegate to remove ${entry.table}'s shares at both compute sites and issue new grants, then upload again`, {}, "exists");
    }
    uploaded.push({ table: entry.table, role, party: grant.party, name: target.name, store: grant.store, url: redactUrl(target.url), bytes: body.size, digest: entry.digests[role], outcome: "uploaded" });
    progress.value = 0.8 + (0.2 * (index + 1)) / uploads.length;
  }
  const receipt = {
    study: { id: study.id, name: study.name, digest: study.digest },
    partner,
    sharedAt: new Date().toISOString(),
    shareSeconds: Math.round(shareSeconds * 1000) / 1000,
    tables: shared.map((entry) => ({
      table: entry.table, csv: entry.csv, rows: entry.rows, ...(entry.groups !== undefined ? { groups: entry.groups } : {}), ...(entry.paddedTo !== undefined ? { paddedTo: entry.paddedTo } : {}),
      ...(entry.sortedBy ? { sortedBy: entry.sortedBy } : {}),
      shares: uploaded.filter((upload) => upload.table === entry.table).map(({ table: _table, ...rest }) => rest),
    })),
  };
  const json = JSON.stringify(receipt, null, 2) + "\n";
  element("receipt").textContent = json;
  offerDownload(element<HTMLAnchorElement>("receipt-download"), new Blob([json], { type: "application/json" }), `${partner}.receipt.json`);
  element("receipt-section").hidden = false;
  status.textContent = `Done: ${shared.map((entry) => `${entry.table} ${entry.rows} rows`).join(", ")} shared and uploaded to ${grants.garbler.grant.party} and ${grants.evaluator.grant.party}.`;
  progress.value = 1;
}

element<HTMLSelectElement>("partner-name").addEventListener("change", () => void choosePartner());
element<HTMLInputElement>("study-file").addEventListener("change", async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try { setStudy(await readStudyFile(file), `from ${file.name}`); } catch (error) { showError(describeError(error)); }
});
element<HTMLButtonElement>("share-upload").addEventListener("click", async () => {
  const button = element<HTMLButtonElement>("share-upload");
  button.disabled = true;
  try { await shareAndUpload(); } catch (error) { progress.value = 0; showError(describeError(error)); } finally { button.disabled = false; }
});
void linkedGrants().then(servedStudy).then((served) => {
  if (served) setStudy(served, "served by this portal");
  else element("study-source").textContent = "This portal serves no study: choose your study.json.";
}).catch((error) => showError(describeError(error)));
