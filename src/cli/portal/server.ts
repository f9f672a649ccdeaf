/**
 * The portal's web server: it serves the pages, their scripts (bundled from the library's own modules at
 * start-up) and, when its operator gives them, the study and the grant files. It has no route that accepts
 * data: CSVs, shares and keys never reach it.
 */
import { readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { bytesToHex } from "@noble/hashes/utils.js";
import { CatalystError, InputError } from "../../share/errors.js";
import { randomBytes } from "../../share/random.js";
import { parseStudy, type Study } from "../../share/study.js";
import { parseGrant, type Grant } from "../../transport/grant.js";
import { bundlePortalScripts } from "./bundle.js";
import { PORTAL_PAGES, PORTAL_STYLE } from "./pages.js";

export interface PortalOptions {
  /** study.json text and its path, served to the pages. */
  study?: { text: string; file: string };
  /** A folder of grant files (`PARTNER.PARTY.grant.json`), served to the partner they name. */
  grantsDir?: string;
  /** More origins the pages may PUT to, for grant files partners bring themselves. */
  storeOrigins?: string[];
  host: string;
  port: number;
}

export interface RunningPortal {
  url: string;
  study?: Study;
  grants: number;
  /**
   * Each partner's own link to the data-partner page. Grant URLs are bearer credentials, so the portal
   * serves a partner's grants only to whoever holds its link's secret token: send each partner its own.
   */
  partnerLinks: Record<string, string>;
  close(): Promise<void>;
}

interface LoadedGrant {
  grant: Grant;
  text: string;
  file: string;
}

async function loadGrants(dir: string): Promise<LoadedGrant[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read the grants folder: ${error.code === "ENOENT" ? "no such folder" : error.message}`, { file: dir }, "unreadable");
  });
  const grants: LoadedGrant[] = [];
  for (const name of names.filter((entry) => entry.endsWith(".grant.json")).sort()) {
    const file = join(dir, name);
    const text = await readFile(file, "utf8");
    grants.push({ grant: parseGrant(text, file), text, file });
  }
  return grants;
}

/** The origins the pages may connect to: the portal itself and the stores the grants lead to. */
function connectSources(grants: LoadedGrant[], more: string[]): string {
  const origins = new Set<string>();
  for (const origin of more) {
    let parsed: URL;
    try { parsed = new URL(origin); } catch { throw new InputError(`--store-origin expects an origin such as https://ACCOUNT.blob.core.windows.net, got "${origin}"`); }
    if (!/^https?:$/.test(parsed.protocol)) throw new InputError(`--store-origin must be an http(s) origin, got "${origin}"`);
    origins.add(parsed.origin);
  }
  for (const { grant } of grants) for (const upload of grant.uploads) origins.add(new URL(upload.url).origin);
  return ["'self'", ...origins].join(" ");
}

export async function startPortal(options: PortalOptions): Promise<RunningPortal> {
  const study = options.study ? parseStudy(options.study.text, options.study.file) : undefined;
  const grants = options.grantsDir ? await loadGrants(options.grantsDir) : [];
  const scripts = await bundlePortalScripts();
  const policy = [
    "default-src 'none'", "script-src 'self'", "worker-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
    `connect-src ${connectSources(grants, options.storeOrigins ?? [])}`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join("; ");

  const send = (response: ServerResponse, status: number, type: string, body: string | Uint8Array) => {
    response.writeHead(status, {
      "content-type": type, "content-security-policy": policy, "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer", "cache-control": "no-store", "cross-origin-opener-policy": "same-origin",
    });
    response.end(body);
  };

  // One secret token per partner with grants: its link is the only way to them.
  const tokens = new Map<string, string>();
  for (const partner of new Set(grants.map(({ grant }) => grant.partner))) tokens.set(bytesToHex(randomBytes(16)), partner);
  let allowedHosts: Set<string> | undefined;

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    // A page elsewhere that rebinds its own name to this address must not read the portal (DNS rebinding).
    if (allowedHosts && !allowedHosts.has((request.headers.host ?? "").toLowerCase())) return send(response, 421, "text/plain; charset=utf-8", "this portal answers only to its own address\n");
    const path = new URL(request.url ?? "/", "http://portal").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") return send(response, 405, "text/plain; charset=utf-8", "the portal accepts no data: everything is done in the page\n");
    const html = PORTAL_PAGES[path];
    if (html) return send(response, 200, "text/html; charset=utf-8", html);
    if (path === "/portal.css") return send(response, 200, "text/css; charset=utf-8", PORTAL_STYLE);
    const script = path.startsWith("/assets/") ? scripts.get(path.slice("/assets/".length)) : undefined;
    if (script) return send(response, 200, "text/javascript; charset=utf-8", script);
    if (path === "/api/study") {
      return study ? send(response, 200, "application/json; charset=utf-8", options.study!.text) : send(response, 404, "application/json; charset=utf-8", JSON.stringify({ error: "this portal serves no study" }));
    }
    const grantMatch = /^\/api\/grants\/([0-9a-f]{32})$/.exec(path);
    const partner = grantMatch ? tokens.get(grantMatch[1]) : undefined;
    if (partner) {
      const mine = grants.filter(({ grant }) => grant.partner === partner).map(({ text, file }) => ({ file: file.split(/[\\/]/).pop(), text }));
      return send(response, 200, "application/json; charset=utf-8", JSON.stringify({ partner, grants: mine }));
    }
    send(response, 404, "text/plain; charset=utf-8", "not found\n");
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE"
      ? new CatalystError("port-in-use", `${options.host}:${options.port} is already in use; choose another port with --port (0 picks a free one)`)
      : error));
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  // Bound to one address, the portal answers only to that name (and localhost's); on all addresses, to any.
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  if (!wildcard) {
    allowedHosts = new Set([`${host}:${address.port}`, `${options.host.toLowerCase()}:${address.port}`]);
    if (/^(127\.|\[?::1\]?$)/.test(address.address)) for (const name of ["localhost", "127.0.0.1", "[::1]"]) allowedHosts.add(`${name}:${address.port}`);
  }
  return {
    url,
    study,
    grants: grants.length,
    partnerLinks: Object.fromEntries([...tokens].map(([token, partner]) => [partner, `${url}partner.html#grant=${token}`])),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
