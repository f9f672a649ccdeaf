/** Finds a worker thread's compiled script: beside the calling module in dist/, or, from TypeScript sources (tests), in the build. */
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** `name` (a .js file) in the calling module's folder, or in the same folder under dist/ when running from sources. */
export function workerScript(callerUrl: string, name: string): string {
  const here = dirname(fileURLToPath(callerUrl));
  const beside = join(here, name);
  if (existsSync(beside)) return beside;
  let root = here;
  while (!existsSync(join(root, "package.json"))) {
    const parent = dirname(root);
    if (parent === root) break;
    root = parent;
  }
  const built = join(root, "dist", relative(root, here), name);
  if (existsSync(built)) return built;
  throw new Error(`the worker script ${name} is not compiled: run \`npx tsc -p .\` first`);
}
