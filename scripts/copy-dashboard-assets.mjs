#!/usr/bin/env node
// Copies the dashboard page (HTML, CSS, JS, icon) and uPlot's browser build next to the compiled
// dashboard module (dist/src/dashboard/assets/), so the deploy package serves them without src/ or a
// node_modules lookup. tsc copies only .ts output; this runs after it in `npm run build`.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "src", "dashboard", "assets");
const to = join(root, "dist", "src", "dashboard", "assets");
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
process.stderr.write(`dashboard assets: ${copied} files copied to ${to}\n`);
