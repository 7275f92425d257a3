#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts) and its scan thread (src/engine/scan-worker.ts) with rolldown into
// dist/cli/: auth-triage.js (the installed bin), scan-worker.js and the chunks they share, all in one
// folder, since a module finds the scan thread's script beside itself. Why: `auth-triage analyze` loaded
// some 175 modules (80 of ours, 95 of zod), and resolving and linking them cost every run some 65 ms and
// every scan thread's start some 70 ms (BENCHMARKS.md, fifteenth round). zod is bundled; every
// other package stays in node_modules, loaded only by the commands that use it (the Azure SDKs, Azurite).
// The dashboard's files go beside the chunk that serves them (scripts/place-dashboard-assets.mjs).
// `npm run build` runs it after tsc and scripts/copy-dashboard-assets.mjs.
//   node scripts/bundle-cli.mjs [--quiet]
import { chmodSync, existsSync, readFileSync, rmSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";
import { placeDashboardAssets } from "./place-dashboard-assets.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Bundled into the CLI: pure modules loaded on every run. */
const BUNDLED_PACKAGES = new Set(["zod"]);

function packageOf(id) {
  const parts = id.split("/");
  return id.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Writes <dist>/cli/ and returns the bin's path. */
export async function bundleCli(dist = join(root, "dist"), { quiet = false } = {}) {
  const outDir = join(dist, "cli");
  rmSync(outDir, { recursive: true, force: true });
  const { output } = await build({
    input: {
      "auth-triage": join(root, "src", "cli", "main.ts"),
      "scan-worker": join(root, "src", "engine", "scan-worker.ts"),
      "skim-ahead-worker": join(root, "src", "collect", "skim", "skim-ahead-worker.ts"),
    },
    platform: "node",
    tsconfig: join(root, "tsconfig.json"),
    logLevel: "warn",
    external: (id) =>
      id.startsWith("node:") ||
      isBuiltin(id) ||
      (!id.startsWith(".") && !id.startsWith("/") && !BUNDLED_PACKAGES.has(packageOf(id))),
    onLog(level, log, handler) {
      if (log.code === "UNRESOLVED_IMPORT") throw new Error(`bundle-cli: ${log.message}`);
      handler(level, log);
    },
    output: {
      dir: outDir,
      format: "esm",
      entryFileNames: "[name].js",
      // Beside the entries: analyze-parallel finds the scan thread at ./scan-worker.js from its own chunk.
      chunkFileNames: "[name]-[hash].js",
      sourcemap: false,
    },
  });
  const bin = join(outDir, "auth-triage.js");
  const shebang = readFileSync(join(root, "src", "cli", "main.ts"), "utf8").split("\n")[0];
  if (readFileSync(bin, "utf8").split("\n")[0] !== shebang)
    throw new Error(`bundle-cli: ${bin} does not start with main.ts's line ${shebang}`);
  chmodSync(bin, 0o755);
  const built = join(dist, "src", "dashboard", "assets");
  if (!existsSync(built))
    throw new Error(`bundle-cli: ${built} is missing: run scripts/copy-dashboard-assets.mjs first`);
  placeDashboardAssets(output, outDir, built);
  if (!quiet) process.stderr.write(`cli: ${bin} (${output.length} files)\n`);
  return bin;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli(undefined, { quiet: process.argv.includes("--quiet") });
}
