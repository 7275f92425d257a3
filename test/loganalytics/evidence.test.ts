import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InMemoryWatermarkStore } from "../../src/collect/loganalytics/watermark.js";
import { parseLogAnalyticsSettings } from "../../src/collect/loganalytics/settings.js";
import {
  collectFromLogAnalytics,
  type LogAnalyticsCollection,
} from "../../src/collect/loganalytics/source.js";
import type { CallerValueRecord } from "../../src/correlate/evidence.js";
import { fixedClock } from "../../src/clock.js";
import { startLogsApiStandIn, type LogsApiStandIn } from "../support/logs-api-server.js";
import { staticCredential } from "../support/static-credential.js";
import { asIngestedRows, generateStorageFixture } from "../support/storage-fixture.js";
import { trustCertificatePolicy } from "../support/test-tls.js";

const WS = "11111111-2222-4333-8444-555555555555";
const START = Date.parse("2026-11-20T06:00:00Z");
const fixture = generateStorageFixture(START);
const requests = fixture.map((f) => f.request);
const AFTER_ALL = Math.max(...fixture.map((f) => f.ingestedAtMs)) + 5 * 60_000;

let standIn: LogsApiStandIn;
let result: LogAnalyticsCollection;

beforeAll(async () => {
  standIn = await startLogsApiStandIn();
  standIn.setRows(WS, asIngestedRows(fixture));
  result = await collectFromLogAnalytics(
    parseLogAnalyticsSettings({
      workspaceIds: [WS],
      endpoint: standIn.endpoint,
      evidenceLookbackMinutes: 600,
    }),
    {
      clock: fixedClock(new Date(AFTER_ALL)),
      watermarks: new InMemoryWatermarkStore(),
      credential: staticCredential(),
      clientHooks: {
        additionalPolicies: [
          { policy: trustCertificatePolicy(standIn.certificate.cert), position: "perCall" },
        ],
      },
      windowPolicy: {
        settleMs: 60_000,
        maxIngestionDelayMs: 7_200_000,
        initialLookbackMs: 12 * 3_600_000,
        maxCatchUpMs: 86_400_000,
      },
    },
  );
});
afterAll(async () => {
  await standIn.close();
});

function record(
  caller: string,
  outcome: string,
  dimension: string,
  value: string,
): CallerValueRecord | undefined {
  return result.evidence.callers.find(
    (r) => r.caller === caller && r.outcome === outcome && r.dimension === dimension && r.value === value,
  );
}

describe("root-cause evidence built server-side", () => {
  test("the query ran once, for the accounts with failures, and every row converted", async () => {
    const evidenceRequests = standIn.requests.filter((r) => r.queryName === "root-cause-evidence");
    expect(evidenceRequests).toHaveLength(1);
    expect(evidenceRequests[0]!.query).toContain(
      'tolower(AccountName) in ("contosofiles", "contosoprod", "partnerdrop")',
    );
    expect(result.rejected).toEqual([]);
    expect(result.workspaces[0]!.evidenceComplete).toBe(true);
  });

  test("a stale key1 caller: its failures per credential, and its own successes are absent", () => {
    const failing = requests.filter(
      (r) => r.callerIp === "10.1.0.4" && r.statusText === "AuthenticationFailed",
    );
    const rec = record(
      "ip:10.1.0.4",
      "403|AuthenticationFailed|AccountKey",
      "credential",
      `key1(${"A1".repeat(32)})`,
    );
    expect(rec).toMatchObject({
      account: "contosoprod",
      count: failing.length,
      firstMs: Math.min(...failing.map((r) => r.timeMs)),
      lastMs: Math.max(...failing.map((r) => r.timeMs)),
    });
    expect(record("ip:10.1.0.4", "ok", "all", "")).toBeUndefined();
  });

  test("successes of other callers of the same account are there (the key2 host)", () => {
    // 404/409/412 got past authentication: they are "ok" outcomes for root causes, like the 200s.
    const host = requests.filter((r) => r.callerIp === "10.1.0.7");
    expect(new Set(host.map((r) => r.statusCode))).toEqual(new Set([200, 404, 409, 412]));
    expect(record("ip:10.1.0.7", "ok", "keySlot", "key2")?.count).toBe(host.length);
    expect(record("ip:10.1.0.7", "ok", "all", "")?.count).toBe(host.length);
  });

  test("an expired SAS: expired counts and how long past se", () => {
    const sas = `sas:${"C3".repeat(32)}`;
    const failing = requests.filter((r) => r.callerIp === "203.0.113.50");
    const se = START + 60 * 60_000;
    const expired = failing.filter((r) => r.timeMs > se);
    const rec = record("ip:203.0.113.50", "403|AuthenticationFailed|SAS", "credential", sas)!;
    expect(rec.count).toBe(failing.length);
    expect(rec.expired).toBe(expired.length);
    expect(rec.maxExpiredByMs).toBe(Math.max(...expired.map((r) => r.timeMs - se)));
    expect(rec.sasExpiryMs).toBe(se);
    expect(rec.notYetValid).toBeUndefined();
  });

  test("a SAS minted ahead of time: every failure not yet valid, by up to five minutes", () => {
    const sas = `sas:${"D4".repeat(32)}`;
    const failing = requests.filter((r) => r.service === "table");
    const rec = record("ip:2001:db8::9", "403|AuthenticationFailed|SAS", "credential", sas)!;
    expect(rec.notYetValid).toBe(failing.length);
    expect(rec.maxStartLeadMs).toBeGreaterThan(4 * 60_000);
    expect(rec.maxStartLeadMs).toBeLessThanOrEqual(5 * 60_000);
  });

  test("OAuth callers are identified by object id, with their IP as a dimension", () => {
    const rec = record(
      "oid:6f1c2a9e-1111-4c8e-9a55-0d9b8e1f2a3b",
      "403|AuthorizationPermissionMismatch|OAuth",
      "callerIp",
      "10.2.0.9",
    );
    expect(rec?.count).toBe(
      requests.filter((r) => r.requesterObjectId === "6f1c2a9e-1111-4c8e-9a55-0d9b8e1f2a3b").length,
    );
  });

  test("activity bins add up to every request of the failing accounts; account resource ids are learnt", () => {
    const total = result.evidence.activity.reduce((n, b) => n + b.ok + b.failed, 0);
    expect(total).toBe(requests.length);
    expect(result.evidence.activity.every((b) => b.binStartMs % (5 * 60_000) === 0)).toBe(true);
    expect(result.evidence.accounts).toContainEqual({
      account: "partnerdrop",
      resourceId:
        "/subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-prod/providers/microsoft.storage/storageaccounts/partnerdrop",
    });
  });
});

describe("evidence equivalence with the root-cause stage's observer", () => {
  test("the same rows give the same records locally (EvidenceObserver) and from Log Analytics", async () => {
    const { EvidenceObserver } = await import("../../src/correlate/evidence.js");
    const observer = new EvidenceObserver();
    // The requests as the Log Analytics rows carry them (_ResourceId is lower case there).
    for (const f of fixture) observer.observe({ ...f.request, resourceId: String(f.row._ResourceId) });
    const local = observer.evidence();
    const sortBy =
      <T>(key: (x: T) => string) =>
      (a: T, b: T) =>
        key(a).localeCompare(key(b));
    const valueKey = (r: CallerValueRecord) =>
      [r.account, r.caller, r.outcome, r.dimension, r.value].join("|");
    expect([...result.evidence.callers].sort(sortBy(valueKey))).toEqual(
      [...local.callers].sort(sortBy(valueKey)),
    );
    const binKey = (b: { account: string; caller: string; binStartMs: number }) =>
      `${b.account}|${b.caller}|${b.binStartMs}`;
    expect([...result.evidence.activity].sort(sortBy(binKey))).toEqual(
      [...local.activity].sort(sortBy(binKey)),
    );
    expect([...result.evidence.accounts].sort(sortBy((a) => a.account))).toEqual(
      [...local.accounts].sort(sortBy((a) => a.account)),
    );
    expect(result.evidence.truncated).toEqual(local.truncated);
  });
});

describe("root causes from Log Analytics evidence", () => {
  test("explanations equal the local explainer's for every incident of the fixture", async () => {
    const { createRootCauseExplainer } = await import("../../src/correlate/explainer.js");
    const { rootCauseExplainerFromEvidence } = await import("../../src/collect/loganalytics/explainer.js");
    const { buildIncidents } = await import("../../src/incidents/build.js");
    const clock = fixedClock(new Date(AFTER_ALL));
    const local = createRootCauseExplainer({ clock });
    for (const f of fixture) local.observer.observe({ ...f.request, resourceId: String(f.row._ResourceId) });
    const remote = rootCauseExplainerFromEvidence(result.evidence, { clock });

    const sub =
      "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts";
    const activity = [
      {
        timeMs: START + 25 * 60_000,
        operationName: "Microsoft.Storage/storageAccounts/regenerateKey/action",
        status: "Succeeded",
        category: "Administrative",
        resourceId: `${sub}/contosoprod`,
        correlationId: "c-1",
        eventDataId: "e-1",
        caller: "secops@contoso.example",
        properties: { requestbody: '{"keyName":"key1"}' },
      },
      {
        timeMs: START + 55 * 60_000,
        operationName: "Microsoft.Storage/storageAccounts/write",
        status: "Succeeded",
        category: "Administrative",
        resourceId: `${sub}/contosofiles`,
        correlationId: "c-2",
        eventDataId: "e-2",
        caller: "platform@contoso.example",
        properties: { requestbody: '{"properties":{"allowSharedKeyAccess":false}}' },
      },
    ];
    // The engine's incidents from the Log Analytics partials.
    const incidents = buildIncidents(result.partials, {
      activity: [],
      window: { fromMs: START - 3_600_000, toMs: AFTER_ALL },
    });
    expect(incidents.length).toBeGreaterThanOrEqual(6);
    let explainedWithChanges = 0;
    for (const incident of incidents) {
      const context = { windowFromMs: START - 3_600_000, windowToMs: AFTER_ALL };
      const fromLogs = remote.explain(incident, activity, context);
      expect(fromLogs).toEqual(local.explain(incident, activity, context));
      if (fromLogs.changes.length > 0) explainedWithChanges++;
      if (incident.errorCode === "AuthenticationFailed" && incident.authType === "AccountKey") {
        expect(fromLogs.changes[0]?.operation).toBe("Microsoft.Storage/storageAccounts/regenerateKey/action");
      }
    }
    expect(explainedWithChanges).toBeGreaterThan(0);
  });
});
