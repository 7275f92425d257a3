#!/usr/bin/env node
// `npm run build`: compiles src/ and functions/ to dist/ (tsc), adds the dashboard assets
// (scripts/copy-dashboard-assets.mjs) and bundles the CLI, the installed bin, into dist/cli/
// (scripts/bundle-cli.mjs). Skips all three when nothing they read changed since the last build,
// so `npm run cli -- --help` starts at once on a built checkout; tsc itself runs incrementally
// (dist/.tsbuildinfo, removed with dist/) when something did change.
//   node scripts/build.mjs [--quiet]   --quiet: print nothing but errors (npm run --silent cli)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const stampFile = join(dist, ".build-stamp");
const quiet = process.argv.includes("--quiet");

// Everything the build reads: sources, the compiler settings, the asset scripts and the dependency
// versions (uPlot is copied from node_modules, rolldown bundles the diagnose engine and the CLI).
const INPUT_DIRS = ["src", "functions"];
const INPUT_FILES = [
  "tsconfig.json",
  "package.json",
  "package-lock.json",
  "scripts/build.mjs",
  "scripts/copy-dashboard-assets.mjs",
  "scripts/bundle-diagnose-engine.mjs",
  "scripts/bundle-cli.mjs",
  "scripts/place-dashboard-assets.mjs",
];
// Outputs that must exist for a build to count as done (a partly deleted dist/ is rebuilt).
const OUTPUTS = ["dist/src/cli/main.js", "dist/src/dashboard/assets/index.html", "dist/cli/auth-triage.js"];

function* walk(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else if (entry.isFile()) yield p;
  }
}

/** Path, size and modification time of every input: any edit, addition or removal changes it. */
function fingerprint() {
  const hash = createHash("sha256");
  const files = [
    ...INPUT_DIRS.flatMap((d) => [...walk(join(root, d))]),
    ...INPUT_FILES.map((f) => join(root, f)),
  ];
  for (const f of files.sort()) {
    const s = existsSync(f) ? statSync(f) : undefined;
    hash.update(`${relative(root, f)}\0${s?.size ?? -1}\0${s?.mtimeMs ?? -1}\n`);
  }
  return hash.digest("hex");
}

const print = fingerprint();
const upToDate =
  existsSync(stampFile) &&
  readFileSync(stampFile, "utf8").trim() === print &&
  OUTPUTS.every((o) => existsSync(join(root, o)));
if (upToDate) {
  if (!quiet) process.stderr.write("build: dist/ is up to date\n");
  process.exit(0);
}

const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run([
  join(root, "node_modules", "typescript", "bin", "tsc"),
  "-p",
  "tsconfig.json",
  "--incremental",
  "--tsBuildInfoFile",
  join(dist, ".tsbuildinfo"),
]);
run([join(root, "scripts", "copy-dashboard-assets.mjs"), ...(quiet ? ["--quiet"] : [])]);
run([join(root, "scripts", "bundle-cli.mjs"), ...(quiet ? ["--quiet"] : [])]);
mkdirSync(dist, { recursive: true });
writeFileSync(stampFile, print + "\n");
