/** Keeps bearer capabilities (SAS tokens, presigned signatures, account keys) out of every message and log line. */

/**
 * A URL safe for messages and logs: the query (where SAS tokens and presigned signatures live) and any
 * user:password part are replaced.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, "$1…@").replace(/\?[^#\s]*/, "?…");
}

/** Removes every URL's query and known secret shapes from a message before it is shown. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(https?:\/\/[^\s"'<>]*)/gi, (url) => redactUrl(url))
    .replace(/\b(AccountKey|SharedAccessSignature|sig|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=[^;&\s"']+/gi, "$1=…");
}
