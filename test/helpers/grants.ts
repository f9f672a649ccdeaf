/** What bucket tests do by hand: raw HTTP against a pre-signed URL, and reading a grant file. */
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";

export function http(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: { ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) } }, (response) => {
      let text = "";
      response.on("data", (chunk) => { text += chunk; });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

export async function grantFile(folder: string, partner: string, party: string): Promise<{ path: string; json: any }> {
  const path = join(folder, `${partner}.${party}.grant.json`);
  return { path, json: JSON.parse(await readFile(path, "utf8")) };
}
