// Where a bundle's dashboard files go: the dashboard module finds its page files at ./assets/ beside
// itself (import.meta.url), so they go next to whichever output file rolldown put
// src/dashboard/assets.ts in. Used by the CLI bundle (scripts/bundle-cli.mjs) and the Functions package
// (scripts/package.mjs).
import { cpSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const assetsModule = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "dashboard", "assets.ts");

/** Copies the built assets folder `from` beside the chunk of rolldown's `output` (written to `outDir`) that holds the dashboard module. */
export function placeDashboardAssets(output, outDir, from) {
  const holder = output.find((item) => item.type === "chunk" && item.moduleIds.includes(assetsModule));
  if (!holder) throw new Error("no bundle output holds src/dashboard/assets.ts");
  cpSync(from, join(outDir, dirname(holder.fileName), "assets"), { recursive: true });
}
