import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * A new channel cannot forget the redaction boundary: every source file that hands data to something
 * outside the process (HTTP, Table storage, Application Insights, the Functions log) must call
 * `sanitizeOutbound` (src/redact.ts) itself, or be listed below with the sink it relies on.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const OUTBOUND = [
  /\bfetch\(/,
  /\.(trackRequest|trackException|trackMetric|trackTrace|trackEvent)\(/,
  // OpenTelemetry to Application Insights, and the Logs Ingestion API.
  /\.(startSpan|recordException|setAttribute|setAttributes)\(/,
  /\bclient\.upload\(/,
  /\.(createEntity|updateEntity|upsertEntity|submitTransaction)\(/,
  /\bcontext\.(log|warn|error|info)\(/,
  /\bres\.end\(/,
];
/** Files whose outbound data was sanitized by the sink named. */
const RELIES_ON: Record<string, string> = {
  // Both send DashboardResponse bodies, which jsonResponse (src/dashboard/http.ts) sanitizes, or static
  // assets; their own log lines call sanitizeOutbound.
  "src/dashboard/server.ts": "src/dashboard/http.ts",
  "src/dashboard/azure-functions.ts": "src/dashboard/http.ts",
};

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

describe("redaction boundary guard", () => {
  const files = [...sources(join(ROOT, "src")), ...sources(join(ROOT, "functions"))].map((f) => ({
    path: relative(ROOT, f),
    text: readFileSync(f, "utf8"),
  }));
  const sinks = files.filter((f) => OUTBOUND.some((re) => re.test(f.text)));

  it("finds the sinks it guards (the scan works)", () => {
    expect(sinks.map((s) => s.path)).toEqual(
      expect.arrayContaining([
        "src/monitor/logs-ingestion.ts",
        "src/notify/http.ts",
        "src/state/table.ts",
        "src/telemetry/telemetry.ts",
      ]),
    );
  });

  it("every file that writes outside the process calls sanitizeOutbound, or names the sink that does", () => {
    const unguarded = sinks
      .filter((s) => !/\bsanitizeOutbound\(/.test(s.text))
      .filter((s) => {
        const via = RELIES_ON[s.path];
        return !via || !/\bsanitizeOutbound\(/.test(files.find((f) => f.path === via)?.text ?? "");
      })
      .map((s) => s.path);
    expect(unguarded).toEqual([]);
  });

  it("the dashboard's JSON, the reports and explain sanitize in their one serializer", () => {
    for (const path of [
      "src/dashboard/http.ts",
      "src/report/json.ts",
      "src/report/text.ts",
      "src/report/markdown.ts",
      "src/doctor/render.ts",
      "src/notify/teams-card.ts",
      "src/notify/webhook-payload.ts",
      "src/state/memory.ts",
      "src/timer/runtime.ts",
    ]) {
      expect(files.find((f) => f.path === path)?.text, path).toMatch(/\bsanitizeOutbound\(/);
    }
  });
});
