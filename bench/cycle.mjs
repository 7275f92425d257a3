// One local timer cycle over 50 000 log rows, through the exact code path of the Azure timer
// (runTimerInvocation: settings → file source + engine → lifecycle → memory state → Teams card posted to a
// local receiver). Each repetition runs in a fresh Node process, so module loading is included in "total".
// Usage: npm run build && node bench/cycle.mjs [--rows N] [--runs N] [--json]
// Budget: median cycle under 2 s (issue 5). Exits 1 when over budget.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runtime = join(root, "dist", "src", "timer", "runtime.js");
const BUDGET_MS = 2000;
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "50000" },
    runs: { type: "string", default: "5" },
    json: { type: "boolean" },
  },
});
const rows = Number(values.rows);
if (!existsSync(runtime)) {
  console.error(`bench/cycle: ${runtime} is missing; run 'npm run build' first`);
  process.exit(2);
}

// Deterministic generated data: Log Analytics NDJSON rows over 30 minutes, ~15% auth failures spread over
// five challenges on two accounts, the rest successes and other statuses.
const END = Date.parse("2026-11-20T10:30:00Z");
const dataDir = join(root, "bench", "data", "timer-cycle");
const logs = join(dataDir, `storage-${rows}.ndjson`);
if (!existsSync(logs)) {
  mkdirSync(dataDir, { recursive: true });
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const failures = [
    ["contosodata", 403, "AuthenticationFailed", "AccountKey"],
    ["contosodata", 403, "AuthorizationPermissionMismatch", "OAuth"],
    ["contosodata", 403, "AuthenticationFailed", "SAS"],
    ["fabrikamlogs", 403, "AuthorizationFailure", "OAuth"],
    ["fabrikamlogs", 403, "KeyBasedAuthenticationNotPermitted", "AccountKey"],
  ];
  const ops = ["PutBlob", "GetBlob", "ListBlobs", "DeleteBlob", "GetBlobProperties"];
  const lines = [];
  for (let i = 0; i < rows; i++) {
    const t = new Date(END - 30 * 60_000 + Math.floor((i / rows) * 30 * 60_000)).toISOString();
    const op = ops[Math.floor(rnd() * ops.length)];
    const ip = `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 50)}`;
    let status = 200,
      text = "Success",
      account = rnd() < 0.5 ? "contosodata" : "fabrikamlogs",
      auth = "OAuth";
    const r = rnd();
    if (r < 0.15) [account, status, text, auth] = failures[Math.floor(rnd() * failures.length)];
    else if (r < 0.2) [status, text] = [404, "BlobNotFound"];
    lines.push(
      JSON.stringify({
        TimeGenerated: t,
        AccountName: account,
        OperationName: op,
        StatusCode: status,
        StatusText: text,
        AuthenticationType: auth,
        AuthenticationHash: auth === "AccountKey" ? "key1(0A1B2C3D)" : "",
        CallerIpAddress: `${ip}:${40000 + (i % 2000)}`,
        UserAgentHeader: "azsdk-js-storage-blob/12.26.0 (NODE-VERSION v22.11.0; Linux)",
        OperationVersion: "2025-01-05",
        Uri: `https://${account}.blob.core.windows.net/data/file-${i % 500}.json`,
        ObjectKey: `/${account}/data/file-${i % 500}.json`,
        Type: "StorageBlobLogs",
        _ResourceId: `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default`,
      }),
    );
  }
  writeFileSync(logs, lines.join("\n") + "\n");
}

const child = `
import { createServer } from "node:http";
const t0 = performance.now();
const { runTimerInvocation } = await import(${JSON.stringify(pathToFileURL(runtime).href)});
const { fixedClock } = await import(${JSON.stringify(pathToFileURL(join(root, "dist", "src", "clock.js")).href)});
let posts = 0;
const srv = createServer((req, res) => { req.resume(); req.on("end", () => { posts++; res.writeHead(202).end(); }); });
await new Promise((r) => srv.listen(0, "127.0.0.1", r));
const url = "http://127.0.0.1:" + srv.address().port + "/workflows/bench/triggers/manual/paths/invoke";
const c0 = performance.now();
const report = await runTimerInvocation({
  env: { TRIAGE_LOGS: ${JSON.stringify(logs)}, TRIAGE_TEAMS_WEBHOOK_URL: url, TRIAGE_STATE: "memory", TRIAGE_LOOKBACK: "35m" },
  clock: fixedClock(new Date(${END + 60_000})),
  isPastDue: false,
  log: () => {},
  overrides: { minSpacingMs: 0 },
});
const cycleMs = performance.now() - c0;
srv.close();
process.stdout.write(JSON.stringify({ cycleMs, totalMs: performance.now() - t0, rows: report.rowsScanned, failures: report.failures,
  incidents: report.incidents.observed, sent: report.notifications.sent, posts }) + "\\n");
`;

const results = [];
for (let i = 0; i < Number(values.runs); i++) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", child], {
    cwd: root,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  results.push(JSON.parse(r.stdout.trim().split("\n").pop()));
}
const median = (k) => {
  const v = results.map((x) => x[k]).sort((a, b) => a - b);
  return Math.round(v[Math.floor(v.length / 2)]);
};
const last = results[results.length - 1];
const result = {
  bench: "timer cycle over local files",
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  runs: results.length,
  rows: last.rows,
  failures: last.failures,
  incidents: last.incidents,
  notificationsSent: last.sent,
  medianCycleMs: median("cycleMs"),
  medianTotalMs: median("totalMs"),
  budgetMs: BUDGET_MS,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `${result.bench}: ${result.rows} rows (${result.failures} auth failures, ${result.incidents} incidents, ${result.notificationsSent} cards posted)`,
  );
  console.log(
    `  cycle median ${result.medianCycleMs} ms; with module loading ${result.medianTotalMs} ms; ${result.runs} fresh processes`,
  );
  console.log(`  ${result.node} on ${result.cores} × ${result.cpu}; budget ${BUDGET_MS} ms`);
}
process.exit(result.medianCycleMs <= BUDGET_MS ? 0 : 1);
