#!/usr/bin/env node
// Copies the dashboard page (HTML, CSS, JS, icon) and uPlot's browser build next to the compiled
// dashboard module (dist/src/dashboard/assets/), so the deploy package serves them without src/ or a
// node_modules lookup (uplot is a dev dependency), and bundles the diagnose page's engine there
// (scripts/bundle-diagnose-engine.mjs). tsc copies only .ts output; this runs after it in
// `npm run build` and in scripts/package.mjs.
//   node scripts/copy-dashboard-assets.mjs [--dist DIR] [--quiet]
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleDiagnoseEngine } from "./bundle-diagnose-engine.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// `--dist DIR`: the compiled output to complete (default dist/); the package script compiles elsewhere.
const distFlag = process.argv.indexOf("--dist");
const dist =
  distFlag >= 0 && process.argv[distFlag + 1] ? resolve(process.argv[distFlag + 1]) : join(root, "dist");
const from = join(root, "src", "dashboard", "assets");
const to = join(dist, "src", "dashboard", "assets");
const vendor = join(to, "vendor", "uplot");
mkdirSync(vendor, { recursive: true });

let copied = 0;
for (const name of readdirSync(from)) {
  if (!/\.(html|css|js|svg)$/.test(name)) continue;
  copyFileSync(join(from, name), join(to, name));
  copied++;
}

const uplotDir = dirname(createRequire(import.meta.url).resolve("uplot/package.json"));
for (const [source, target] of [
  [join(uplotDir, "dist", "uPlot.iife.min.js"), "uPlot.iife.min.js"],
  [join(uplotDir, "dist", "uPlot.min.css"), "uPlot.min.css"],
  [join(uplotDir, "LICENSE"), "LICENSE"],
]) {
  copyFileSync(source, join(vendor, target));
  copied++;
}
const quiet = process.argv.includes("--quiet");
if (!quiet) process.stderr.write(`dashboard assets: ${copied} files copied to ${to}\n`);

// The request doctor and signature diff, bundled for the "Diagnose a request" page.
await bundleDiagnoseEngine(dist, { quiet });
