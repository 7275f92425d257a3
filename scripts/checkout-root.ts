import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout a script runs from: the nearest directory above the calling module with a package.json
 * (the same from scripts/ under vitest and from dist/scripts/ once built).
 */
export function checkoutRoot(moduleUrl: string): string {
  let dir = resolve(fileURLToPath(moduleUrl), "..");
  while (!existsSync(join(dir, "package.json"))) {
    const up = resolve(dir, "..");
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    dir = up;
  }
  return dir;
}
