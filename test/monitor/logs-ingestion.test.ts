import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MonitorSettings } from "../../src/config/settings.js";
import { INCIDENT_ROW_COLUMNS, buildIncidentRow } from "../../src/monitor/incident-row.js";
import { createIngestionClient, monitorSender, uploadRows } from "../../src/monitor/logs-ingestion.js";
import type { NotificationView } from "../../src/notify/view.js";
import { MemoryTriageStore } from "../../src/state/memory.js";
import {
  MAX_CALL_BYTES,
  startLogsIngestionStandIn,
  type LogsIngestionStandIn,
} from "../support/logs-ingestion-server.js";
import { staticCredential } from "../support/static-credential.js";
import { trustCertificatePolicy } from "../support/test-tls.js";
import { TimelineSource } from "../timer/fixture-source.js";
import { fixtureIncident, minutes } from "../timer/fixtures.js";
import { harness } from "../timer/harness.js";

/**
 * Incidents into Azure Monitor with the real @azure/monitor-ingestion client (its gzip policy, 1 MB
 * chunking, bearer-token policy) against a local stand-in for the Logs Ingestion API over https.
 */
const RULE_ID = "dcr-0123456789abcdef0123456789abcdef";
const STREAM = "Custom-StorageAuthTriage";

let api: LogsIngestionStandIn;
let settings: MonitorSettings;
const credential = staticCredential();
let hooks: Parameters<typeof monitorSender>[1];

beforeAll(async () => {
  api = await startLogsIngestionStandIn({ ruleId: RULE_ID, stream: STREAM });
  settings = { endpoint: api.endpoint, ruleId: RULE_ID, stream: STREAM };
  hooks = {
    credential,
    additionalPolicies: [{ policy: trustCertificatePolicy(api.certificate.cert), position: "perCall" }],
  };
});

afterAll(async () => {
  await api?.close();
});

afterEach(() => {
  api.requests.length = 0;
  api.accepted.clear();
});

function view(detail = "first detection: 12 failures in the last 30m"): NotificationView {
  const incident = fixtureIncident({ perMinute: minutes("2026-11-22T10:00:00Z", [6, 6]) });
  return {
    notificationId: `${incident.id}-1`,
    reason: "first-detection",
    detail,
    decidedAt: "2026-11-22T10:05:00.000Z",
    status: "open",
    openedAt: "2026-11-22T10:05:00.000Z",
    incident,
    covers: [],
    link: `https://app.example/api/dashboard/#/incidents/${incident.id}`,
  };
}

const accepted = () => api.accepted.get(`${RULE_ID}/${STREAM}`) ?? [];
const opts = { timeoutMs: 10_000, idempotencyKey: "k" };

describe("Logs Ingestion channel", () => {
  it("writes one gzip-encoded row per notification with a bearer token for the Azure Monitor audience", async () => {
    const row = buildIncidentRow(view());
    const result = await monitorSender(settings, hooks)(row, opts);
    expect(result).toEqual({ ok: true, status: 204 });
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({
      contentEncoding: "gzip",
      apiVersion: "2023-01-01",
      authorization: "Bearer local-test-token",
      status: 204,
    });
    expect(api.requests[0]!.wireBytes).toBeLessThan(api.requests[0]!.bodyBytes);
    expect(credential.scopesRequested.at(-1)).toEqual(["https://monitor.azure.com/.default"]);
    expect(accepted()).toEqual([JSON.parse(JSON.stringify(row))]);
    // The row has exactly the table's columns (ResolvedAt only once resolved).
    expect(Object.keys(accepted()[0]!).sort()).toEqual(
      INCIDENT_ROW_COLUMNS.filter((c) => c !== "ResolvedAt").sort(),
    );
  });

  it("splits a large upload into calls under the 1 MB limit, losing and repeating nothing", async () => {
    const client = await createIngestionClient(settings, hooks);
    const rows = Array.from({ length: 3000 }, (_, k) => ({
      ...buildIncidentRow(view(`row ${k} ${"x".repeat(600)}`)),
      NotificationId: `n-${k}`,
    }));
    const total = Buffer.byteLength(JSON.stringify(rows));
    expect(total).toBeGreaterThan(2 * MAX_CALL_BYTES);
    const result = await uploadRows(client, settings, rows, { timeoutMs: 30_000 });
    expect(result.ok).toBe(true);
    expect(api.requests.length).toBeGreaterThanOrEqual(3);
    for (const r of api.requests) {
      expect(r.status).toBe(204);
      expect(r.bodyBytes).toBeLessThanOrEqual(MAX_CALL_BYTES);
    }
    expect(accepted().map((r) => r.NotificationId)).toEqual(rows.map((r) => r.NotificationId));
  });

  it("reports a call over 1 MB (413) as permanent, and keeps any notification's row far below it", async () => {
    const client = await createIngestionClient(settings, hooks);
    // One row the client cannot split, of incompressible text, so the call itself exceeds the limit.
    const noise = Array.from({ length: 1_400_000 }, (_, k) =>
      String.fromCharCode(33 + ((k * 7919) % 90)),
    ).join("");
    const result = await uploadRows(
      client,
      settings,
      [{ TimeGenerated: "2026-11-22T10:05:00Z", Detail: noise }],
      {
        timeoutMs: 30_000,
      },
    );
    expect(result).toMatchObject({ ok: false, retryable: false, status: 413 });
    // Attacker-controlled fields are capped by the row builder: a huge user agent or account name cannot
    // make a row that the API refuses.
    const big = view("x".repeat(2_000_000));
    big.incident = { ...big.incident, account: "a".repeat(500_000), errorCode: "b".repeat(500_000) };
    expect(Buffer.byteLength(JSON.stringify(buildIncidentRow(big)))).toBeLessThan(MAX_CALL_BYTES / 4);
  });

  it("classifies 429 with Retry-After and 5xx as retryable, without the SDK retrying on its own", async () => {
    const send = monitorSender(settings, hooks);
    api.enqueueFaults({ status: 429, retryAfterSeconds: 7 });
    expect(await send(buildIncidentRow(view()), opts)).toMatchObject({
      ok: false,
      retryable: true,
      status: 429,
      retryAfterMs: 7000,
    });
    api.enqueueFaults({ status: 503 });
    expect(await send(buildIncidentRow(view()), opts)).toMatchObject({
      ok: false,
      retryable: true,
      status: 503,
    });
    // One call per attempt: retries belong to the outbox, which honours Retry-After and its own budget.
    expect(api.requests.map((r) => r.status)).toEqual([429, 503]);
    expect(accepted()).toEqual([]);
  });

  it("loses nothing: rows the API refused stay pending in the outbox and are written once on a later run", async () => {
    const store = new MemoryTriageStore();
    const source = new TimelineSource([{ perMinute: minutes("2026-11-22T10:00:00Z", [6, 6]) }]);
    const h = await harness(store, source);
    const env = {
      TRIAGE_MONITOR_ENDPOINT: api.endpoint,
      TRIAGE_MONITOR_RULE_ID: RULE_ID,
      TRIAGE_MONITOR_STREAM: STREAM,
    };
    try {
      // Every attempt of the first run fails: throttled (Retry-After honoured), then server errors.
      api.enqueueFaults({ status: 429, retryAfterSeconds: 2 }, { status: 503 }, { status: 500 });
      const policy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, maxRetryAfterMs: 30_000 };
      const first = await h.run("2026-11-22T10:05:00Z", { monitorHooks: hooks, retryPolicy: policy }, env);
      expect(first.incidents.opened).toBe(1);
      expect(api.requests.map((r) => r.status)).toEqual([429, 503, 500]);
      expect(accepted()).toEqual([]);
      const pending = (await store.listOutbox({ outcome: "pending" })).map((e) => e.entry.channel);
      expect(pending).toEqual(["monitor"]);
      expect(first.notifications.pending).toBe(1);
      // The throttled attempt waited at least the Retry-After before the next one.
      expect(Math.max(...h.sleeps)).toBeGreaterThanOrEqual(2000);
      // The API recovers: the next run writes the pending row, exactly once.
      const second = await h.run("2026-11-22T10:06:00Z", { monitorHooks: hooks, retryPolicy: policy }, env);
      expect(second.notifications.pending).toBe(0);
      const rows = accepted();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        NotificationId: `${rows[0]!.IncidentId as string}-1`,
        Reason: "first-detection",
        Status: "open",
        Verdict: "authentication",
        Failures: 12,
      });
      const monitorEntries = (await store.listOutbox({})).filter((e) => e.entry.channel === "monitor");
      expect(monitorEntries.map((e) => e.entry.outcome)).toEqual(["sent"]);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});
