// Cold start of the function app: how long loading its entry module takes in a fresh Node process (what
// the Functions worker does when it indexes the app), and proof that no heavy SDK is loaded by it.
// Usage: npm run build && node bench/coldstart.mjs [--runs N] [--json] [--bundle]
// --bundle: measure the deployable package instead (scripts/package.mjs staged to a temporary folder):
// both entry files imported as the worker does, from the rolldown bundle with no node_modules.
// Budget: median under 300 ms (issue 5). Exits 1 when over budget or when a heavy SDK is loaded eagerly.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "dist", "functions", "timer.js");
const BUDGET_MS = 300;
const HEAVY = [
  "@azure/data-tables",
  "@azure/identity",
  "@azure/monitor-query-logs",
  "@azure/monitor-opentelemetry-exporter",
  "@azure/monitor-ingestion",
  "@opentelemetry/sdk-metrics",
  "@azure/storage-blob",
];

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "15" },
    json: { type: "boolean" },
    bundle: { type: "boolean" },
  },
});
let stage;
let entries = [entry];
let cwd = root;
if (values.bundle) {
  stage = mkdtempSync(join(tmpdir(), "coldstart-bundle-"));
  const built = spawnSync(
    process.execPath,
    [join(root, "scripts", "package.mjs"), "--stage", join(stage, "app"), "--out", join(stage, "app.zip")],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
  if (built.status !== 0) process.exit(1);
  cwd = join(stage, "app");
  entries = ["timer.js", "dashboard.js"].map((f) => join(cwd, "dist", "functions", f));
}
if (!values.bundle && !existsSync(entry)) {
  console.error(`bench/coldstart: ${entry} is missing; run 'npm run build' first`);
  process.exit(2);
}

// The child records every module URL it resolves (sync resolve hook) and times the entry import only,
// not Node's own start-up.
const child = `
import * as mod from "node:module";
const loaded = new Set();
// Synchronous resolve hooks (Node >= 22.15) see both import and require.
if (typeof mod.registerHooks !== "function") throw new Error("run with Node 22.15 or later (npx node bench/coldstart.mjs)");
mod.registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); loaded.add(r.url); return r; } });
const t0 = performance.now();
for (const url of ${JSON.stringify(entries.map((e) => pathToFileURL(e).href))}) await import(url);
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, modules: [...loaded] }) + "\\n");
`;

const samples = [];
let modules = [];
for (let i = 0; i < Number(values.runs); i++) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", child], {
    cwd,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  const line = r.stdout.trim().split("\n").pop();
  const parsed = JSON.parse(line);
  samples.push(parsed.ms);
  modules = parsed.modules;
}
samples.sort((a, b) => a - b);
const pct = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
const heavyLoaded = HEAVY.filter((h) => modules.some((m) => m.includes(`/node_modules/${h}/`)));
const result = {
  bench: values.bundle
    ? "app cold start (import the bundled dist/functions/timer.js and dashboard.js of the package)"
    : "timer cold start (import dist/functions/timer.js)",
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  runs: samples.length,
  medianMs: Math.round(pct(50)),
  p90Ms: Math.round(pct(90)),
  minMs: Math.round(samples[0]),
  modulesLoaded: modules.length,
  heavySdksLoaded: heavyLoaded,
  budgetMs: BUDGET_MS,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `${result.bench}: median ${result.medianMs} ms, p90 ${result.p90Ms} ms, min ${result.minMs} ms over ${result.runs} fresh processes`,
  );
  console.log(
    `  ${result.modulesLoaded} modules resolved; heavy SDKs loaded at start: ${heavyLoaded.length ? heavyLoaded.join(", ") : "none"}`,
  );
  console.log(`  ${result.node} on ${result.cores} × ${result.cpu}; budget ${BUDGET_MS} ms`);
}
if (stage) rmSync(stage, { recursive: true, force: true });
process.exit(result.medianMs <= BUDGET_MS && heavyLoaded.length === 0 ? 0 : 1);
