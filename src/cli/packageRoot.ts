/** Finds the installed package's root (for its bundled fixtures), whether running from src/ or dist/. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, "package.json")) || !existsSync(join(folder, "fixtures"))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error("cannot find the catalyst package root (package.json next to fixtures/)");
    folder = parent;
  }
  return folder;
}
