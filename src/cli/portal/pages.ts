/** The portal's HTML and stylesheet: plain, framework-free pages that each load one script built from src/. */

const STYLE = `
:root { font-family: system-ui, sans-serif; line-height: 1.4; color: #1a1a1a; background: #fff; }
body { max-width: 60rem; margin: 0 auto; padding: 1rem; }
header nav a { margin-right: 1rem; }
fieldset { border: 1px solid #999; margin: 1rem 0; padding: 0.5rem 1rem 1rem; }
label { display: block; margin-top: 0.5rem; font-weight: 600; }
input[type=text], input[type=number], textarea, select { width: 100%; box-sizing: border-box; font: inherit; padding: 0.3rem; }
textarea { font-family: ui-monospace, monospace; min-height: 6rem; }
input[type=file] { max-width: 100%; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
p, li { overflow-wrap: anywhere; }
button { font: inherit; padding: 0.4rem 0.9rem; margin-top: 0.5rem; }
.error { color: #a00000; white-space: pre-wrap; font-family: ui-monospace, monospace; }
.ok { color: #05640a; }
.checks label, label.inline { display: inline-block; font-weight: normal; margin-right: 1rem; }
table { border-collapse: collapse; width: 100%; overflow-x: auto; display: block; }
th, td { border: 1px solid #bbb; padding: 0.2rem 0.5rem; text-align: left; }
td.suppressed { background: #eee; font-style: italic; }
progress { width: 100%; }
.row { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; }
.row > * { flex: 1 1 14rem; }
@media (max-width: 30rem) { body { padding: 0.5rem; } }
`;

function page(title: string, script: string | undefined, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Catalyst Portal</title>
<link rel="stylesheet" href="/portal.css">
${script ? `<script type="module" src="/assets/${script}"></script>` : ""}
</head>
<body>
<header><nav aria-label="Portal pages"><a href="/">Portal</a><a href="/study.html">Study</a><a href="/partner.html">Data partner</a><a href="/reveal.html">Reveal</a></nav></header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

const INDEX = page("Catalyst Portal", undefined, `
<p>Everything on these pages runs in your browser. The portal serves the pages and, when its operator gives
them, the study and the upload grants. It never receives your CSV, your shares in the clear, or any key.</p>
<ul>
<li><a href="/study.html">Define a study</a> (investigator): tables, data partners, compute parties, queries; download study.json.</li>
<li><a href="/partner.html">Share and upload your tables</a> (data partner): your CSVs are checked, split into two secret shares and sealed in this page, then uploaded through the compute sites' grants.</li>
<li><a href="/reveal.html">Reveal a result</a> (investigator): combine the two sealed result shares with your key, in this page.</li>
</ul>`);

const STUDY = page("Define a study", "studyPage.js", `
<form id="study-form" novalidate>
<fieldset><legend>Study</legend>
<label for="study-name">Study name</label><input id="study-name" type="text" required>
<label for="study-id">Study id (optional; by default derived from the study's content)</label><input id="study-id" type="text">
<label for="min-cell-count">Minimum cell count</label><input id="min-cell-count" type="number" min="0" value="11">
</fieldset>
<fieldset><legend>Input tables</legend>
<label for="tables-sql">Tables, as in TABLES.sql (<code>CREATE TABLE name (column TYPE, …);</code>)</label>
<textarea id="tables-sql" rows="8" aria-describedby="tables-error"></textarea>
<p id="tables-error" class="error" role="alert" aria-live="polite"></p>
</fieldset>
<fieldset><legend>Data partners</legend>
<div id="partners"></div>
<button type="button" id="add-partner">Add a data partner</button>
</fieldset>
<fieldset><legend>Compute parties and investigator</legend>
<div class="row">
<div><label for="garbler-name">Garbler's name</label><input id="garbler-name" type="text">
<label for="garbler-key">Garbler's public key (the line in its .pub file)</label><textarea id="garbler-key" rows="2"></textarea></div>
<div><label for="evaluator-name">Evaluator's name</label><input id="evaluator-name" type="text">
<label for="evaluator-key">Evaluator's public key</label><textarea id="evaluator-key" rows="2"></textarea></div>
</div>
<label for="investigator-key">Investigator's public key</label><textarea id="investigator-key" rows="2"></textarea>
</fieldset>
<fieldset><legend>Queries</legend>
<div id="queries"></div>
<button type="button" id="add-query">Add a query</button>
</fieldset>
<button type="submit" id="download-study">Download study.json</button>
<p id="study-error" class="error" role="alert" aria-live="polite"></p>
<p id="study-status" class="ok" aria-live="polite"></p>
</form>`);

const PARTNER = page("Share and upload your tables", "partnerPage.js", `
<fieldset><legend>Study</legend>
<p id="study-source"></p>
<label for="study-file">study.json (if the portal does not serve one)</label><input id="study-file" type="file" accept=".json,application/json">
<label for="partner-name">Your partner name</label><select id="partner-name"></select>
</fieldset>
<fieldset><legend>Your tables</legend>
<div id="table-inputs"><p>Choose the study first.</p></div>
</fieldset>
<fieldset><legend>Upload grants</legend>
<p id="grant-source"></p>
<label for="grant-files">The two grant files the compute sites sent you (if the portal does not serve them)</label><input id="grant-files" type="file" accept=".json" multiple>
</fieldset>
<button type="button" id="share-upload">Share, seal and upload</button>
<label for="share-progress">Progress</label><progress id="share-progress" max="1" value="0"></progress>
<p id="share-status" aria-live="polite"></p>
<p id="share-error" class="error" role="alert" aria-live="polite"></p>
<section id="receipt-section" hidden><h2>Receipt</h2><pre id="receipt"></pre><a id="receipt-download" download="receipt.json" href="#">Download the receipt (JSON)</a></section>`);

const REVEAL = page("Reveal a result", "revealPage.js", `
<fieldset><legend>Inputs (they stay in this page)</legend>
<p id="study-source"></p>
<label for="study-file">study.json (if the portal does not serve one)</label><input id="study-file" type="file" accept=".json,application/json">
<label for="garbler-result">The garbler's result share (QUERY.PARTY.result)</label><input id="garbler-result" type="file">
<label for="evaluator-result">The evaluator's result share</label><input id="evaluator-result" type="file">
<label for="investigator-key">Your secret key (.key)</label><input id="investigator-key" type="file">
</fieldset>
<button type="button" id="reveal">Reveal</button>
<p id="reveal-error" class="error" role="alert" aria-live="polite"></p>
<section id="result-section" hidden><h2 id="result-title">Result</h2><p id="result-summary"></p><div id="result-table"></div>
<a id="result-download" download="result.csv" href="#">Download the result (CSV)</a></section>`);

export const PORTAL_PAGES: Record<string, string> = {
  "/": INDEX,
  "/index.html": INDEX,
  "/study.html": STUDY,
  "/partner.html": PARTNER,
  "/reveal.html": REVEAL,
};

export const PORTAL_STYLE = STYLE;
