/** Small helpers the portal's pages share: element lookup, error text, downloads and the study the portal serves. */
import { CatalystError } from "../../../share/errors.js";
import { parseStudy, type Study } from "../../../share/study.js";

export function element<Type extends HTMLElement = HTMLElement>(id: string): Type {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as Type;
}

/** The CLI's one-line reason (`file:line:column: message`), for any error. */
export function describeError(error: unknown): string {
  if (error instanceof CatalystError) return error.describe();
  if (error && typeof error === "object" && "described" in error) return String((error as { described: unknown }).described);
  return error instanceof Error ? error.message : String(error);
}

/** Offers `body` as a download named `name` through a link the page keeps, so the URL is the page's own blob. */
export function offerDownload(link: HTMLAnchorElement, body: Blob, name: string): void {
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(body);
  link.download = name;
}

/** The study the portal serves, if its operator gave one; else undefined and the page asks for the file. */
export async function servedStudy(): Promise<{ study: Study; text: string } | undefined> {
  const response = await fetch("/api/study");
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`the portal answered ${response.status} for its study`);
  const text = await response.text();
  return { study: parseStudy(text, "study.json"), text };
}

export async function readStudyFile(file: File): Promise<{ study: Study; text: string }> {
  const text = await file.text();
  return { study: parseStudy(text, file.name), text };
}

/** A File's bytes as an async iterable of chunks, read with a plain reader so older browsers work too. */
export async function* fileChunks(file: Blob, onBytes?: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onBytes?.(value.length);
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
