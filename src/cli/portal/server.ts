/**
 * The portal's web server: it serves the pages, their scripts (bundled from the library's own modules at
 * start-up) and, when its operator gives them, the study and the grant files. It has no route that accepts
 * data: CSVs, shares and keys never reach it.
 */
import { readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CatalystError, InputError } from "../../share/errors.js";
import { parseStudy, type Study } from "../../share/study.js";
import { parseGrant, type Grant } from "../../transport/grant.js";
import { bundlePortalScripts } from "./bundle.js";
import { PORTAL_PAGES, PORTAL_STYLE } from "./pages.js";

export interface PortalOptions {
  /** study.json text and its path, served to the pages. */
  study?: { text: string; file: string };
  /** A folder of grant files (`PARTNER.PARTY.grant.json`), served to the partner they name. */
  grantsDir?: string;
  host: string;
  port: number;
}

export interface RunningPortal {
  url: string;
  study?: Study;
  grants: number;
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
function connectSources(grants: LoadedGrant[]): string {
  const origins = new Set<string>();
  for (const { grant } of grants) for (const upload of grant.uploads) origins.add(new URL(upload.url).origin);
  return ["'self'", ...origins].join(" ");
}

export async function startPortal(options: PortalOptions): Promise<RunningPortal> {
  const study = options.study ? parseStudy(options.study.text, options.study.file) : undefined;
  const grants = options.grantsDir ? await loadGrants(options.grantsDir) : [];
  const scripts = await bundlePortalScripts();
  const policy = [
    "default-src 'none'", "script-src 'self'", "worker-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
    `connect-src ${connectSources(grants)}`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join("; ");

  const send = (response: ServerResponse, status: number, type: string, body: string | Uint8Array) => {
    response.writeHead(status, {
      "content-type": type, "content-security-policy": policy, "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer", "cache-control": "no-store", "cross-origin-opener-policy": "same-origin",
    });
    response.end(body);
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
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
    const grantMatch = /^\/api\/grants\/([^/]+)$/.exec(path);
    if (grantMatch) {
      const partner = decodeURIComponent(grantMatch[1]);
      const mine = grants.filter(({ grant }) => grant.partner === partner).map(({ text, file }) => ({ file: file.split(/[\\/]/).pop(), text }));
      return send(response, 200, "application/json; charset=utf-8", JSON.stringify(mine));
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
  return {
    url: `http://${host}:${address.port}/`,
    study,
    grants: grants.length,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
