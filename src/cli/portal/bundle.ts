/**
 * Bundles the portal's page scripts from the library's own modules, for the browser. The seam between Node
 * and the browser is the bundler's: CSV parsing and writing map to those packages' browser builds, and a
 * Node built-in reached from a page is a build error, never a silent stub.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../packageRoot.js";

/** The page scripts, by the name the pages load them as. */
export const PORTAL_SCRIPTS = ["studyPage", "partnerPage", "revealPage", "shareWorker"] as const;

/** Runs from dist/ as .js and under the tests' TypeScript loader as .ts; the entries sit beside this file. */
const here = fileURLToPath(import.meta.url);
const extension = here.endsWith(".ts") ? ".ts" : ".js";

export async function bundlePortalScripts(): Promise<Map<string, string>> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: Object.fromEntries(PORTAL_SCRIPTS.map((name) => [name, join(dirname(here), "browser", name + extension)])),
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: ["chrome100", "firefox100", "safari15"],
    outdir: "/assets",
    minify: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
    // Aliased packages resolve from the working directory: the package's own, wherever the command runs.
    absWorkingDir: packageRoot(),
    alias: { "csv-parse": "csv-parse/browser/esm", "csv-stringify/sync": "csv-stringify/browser/esm/sync" },
  });
  return new Map(result.outputFiles.map((file) => [file.path.split("/").pop()!, file.text]));
}
