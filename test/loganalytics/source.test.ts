import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { DEFAULT_PARTIAL_CAPS } from "../../src/collect/loganalytics/caps.js";
import { LogAnalyticsQueryError, type RetryDeps } from "../../src/collect/loganalytics/client.js";
import {
  parseLogAnalyticsSettings,
  type LogAnalyticsSettingsInput,
} from "../../src/collect/loganalytics/settings.js";
import {
  collectFromLogAnalytics,
  type LogAnalyticsSourceDeps,
} from "../../src/collect/loganalytics/source.js";
import {
  InMemoryWatermarkStore,
  WatermarkConflictError,
  workspaceWatermarkKey,
} from "../../src/collect/loganalytics/watermark.js";
import { fixedClock } from "../../src/clock.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { activityEventFromLogAnalyticsRow } from "../../src/collect/activity-records.js";
import { storageRequestFromObject } from "../../src/collect/storage-records.js";
import { defaultResourceId, toLogAnalyticsRow } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { ClusterAggregator, mergePartials } from "../../src/cluster/aggregator.js";
import type { ClusterPartial } from "../../src/model/incident.js";
import { startLogsApiStandIn, type LogsApiStandIn } from "../support/logs-api-server.js";
import { comparable, expectSamePartials } from "../support/partial-compare.js";
import { referencePartials } from "../support/reference-partials.js";
import { staticCredential } from "../support/static-credential.js";
import { asIngestedRows, generateStorageFixture } from "../support/storage-fixture.js";
import { trustCertificatePolicy } from "../support/test-tls.js";

const WS1 = "11111111-2222-4333-8444-555555555555";
const WS2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const START = Date.parse("2026-11-20T06:00:00Z");
const fixture = generateStorageFixture(START);
/**
 * What the local engine sees for the same data: the Log Analytics rows read by the file readers' own
 * row mapping (as from an export), then aggregated.
 */
const rowsAsTheFileReadersParseThem = fixture.map((f, i) => {
  const rejections = new RejectionCollector();
  const r = storageRequestFromObject(f.row, { file: "fixture", line: i + 1 }, rejections);
  if (!r) throw new Error(`fixture row ${i + 1} rejected: ${JSON.stringify(rejections.samples)}`);
  return r;
});
const reference = referencePartials(rowsAsTheFileReadersParseThem, DEFAULT_PARTIAL_CAPS);
/** Late enough that every fixture row has been ingested and settled. */
const AFTER_ALL = Math.max(...fixture.map((f) => f.ingestedAtMs)) + 5 * 60_000;

let standIn: LogsApiStandIn;
let sleeps: number[];
const retry: RetryDeps = {
  sleep: async (ms) => {
    sleeps.push(ms);
  },
  random: () => 0.5,
};

function settings(extra: Partial<LogAnalyticsSettingsInput> = {}) {
  return parseLogAnalyticsSettings({
    workspaceIds: [WS1],
    endpoint: standIn.endpoint,
    serverTimeoutSeconds: 45,
    baseBackoffMs: 200,
    maxBackoffMs: 2_000,
    ...extra,
  });
}

function deps(nowMs: number, extra: Partial<LogAnalyticsSourceDeps> = {}): LogAnalyticsSourceDeps {
  return {
    clock: fixedClock(new Date(nowMs)),
    watermarks: new InMemoryWatermarkStore(),
    credential: staticCredential(),
    clientHooks: {
      additionalPolicies: [{ policy: trustCertificatePolicy(standIn.certificate.cert), position: "perCall" }],
    },
    retry,
    windowPolicy: {
      settleMs: 60_000,
      maxIngestionDelayMs: 2 * 3_600_000,
      initialLookbackMs: 12 * 3_600_000,
      maxCatchUpMs: 24 * 3_600_000,
    },
    ...extra,
  };
}

beforeAll(async () => {
  standIn = await startLogsApiStandIn();
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  sleeps = [];
  standIn.requests.length = 0;
  standIn.maxResultRows = 500_000;
  standIn.setRows(WS1, asIngestedRows(fixture));
});

describe("Log Analytics source through the real LogsQueryClient and a local Logs API stand-in", () => {
  test("one run over everything gives the partials the local engine builds from the same rows", async () => {
    const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
    expect(result.rejected).toEqual([]);
    expect(result.partials.length).toBe(reference.length);
    expectSamePartials(result.partials, reference);
    expect(result.rows).toBe(fixture.length);
    expect(result.failures).toBe(
      fixture.filter((f) => f.request.statusCode === 401 || f.request.statusCode === 403).length,
    );
    const clusterRequests = standIn.requests.filter((r) => r.queryName === "failure-clusters");
    expect(clusterRequests).toHaveLength(1);
    expect(clusterRequests[0]!.prefer).toContain("wait=45");
    expect(clusterRequests[0]!.authorization).toBe("Bearer local-test-token");
  });

  test("rows without ServiceType or AccountName get them from the table and the resource id, as the file readers do", async () => {
    const sparse = fixture.map((f) => {
      if (f.request.service !== "queue") return f;
      const { ServiceType: _s, AccountName: _a, Type: _t, ...row } = f.row;
      return { ...f, row };
    });
    standIn.setRows(WS1, asIngestedRows(sparse));
    const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
    expect(result.rejected).toEqual([]);
    expectSamePartials(result.partials, reference);
  });

  test.each([
    ["as az prints them", {}],
    ["with native types and quoted user agents", { nativeTypes: true, quoteUserAgent: true }],
    ["without ServiceType and Type", { omitServiceType: true, omitType: true }],
  ])(
    "rows from the simulator's Log Analytics writer (%s) give the engine's partials",
    async (_name, options) => {
      const written = fixture.map((f) => ({
        ...f,
        row: toLogAnalyticsRow(
          { ...f.request, resourceId: defaultResourceId(f.request.account, f.request.service) },
          options,
        ),
      }));
      const parsed = written.map((f, i) =>
        storageRequestFromObject(f.row, { file: "written", line: i + 1 }, new RejectionCollector())!,
      );
      standIn.setRows(WS1, asIngestedRows(written));
      const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
      expect(result.rejected).toEqual([]);
      expectSamePartials(result.partials, referencePartials(parsed, DEFAULT_PARTIAL_CAPS));
    },
  );

  test("the engine's ClusterAggregator and the Log Analytics path agree on every simulated story", async () => {
    const sim = generateAll();
    const rows = sim.requests.map((r, i) => ({
      table: String(toLogAnalyticsRow(r).Type),
      ingestedAt: new Date(r.timeMs + 180_000 + ((i * 7919) % 1_020_000)).toISOString(),
      row: toLogAnalyticsRow(r),
    }));
    standIn.setRows(WS1, rows);
    const aggregator = new ClusterAggregator();
    rows.forEach((f, i) =>
      aggregator.observe(
        storageRequestFromObject(f.row, { file: "sim", line: i + 1 }, new RejectionCollector())!,
      ),
    );
    const now = Math.max(...rows.map((r) => Date.parse(r.ingestedAt))) + 5 * 60_000;
    const result = await collectFromLogAnalytics(settings(), deps(now));
    expect(result.rejected).toEqual([]);
    expect(result.rows).toBe(aggregator.rows);
    expect(result.failures).toBe(aggregator.failures);
    const local = aggregator.partials();
    expect(local.length).toBeGreaterThan(15);
    // Sample lists are capped sets: compared as "drawn from the cluster's values", elsewhere; here the rest.
    const exact = (p: ClusterPartial) => ({
      ...comparable(p),
      callers: p.callers,
      remedyEvidence: p.remedyEvidence,
      sampleUriCount: undefined,
      sampleObjectKeyCount: undefined,
    });
    expect(result.partials.map(exact)).toEqual(local.map(exact));
    // The remedy evidence the stories carry reaches the Log Analytics partials in full.
    const evidence = result.partials.map((p) => p.remedyEvidence!);
    expect(evidence.every((e) => e.resourceId !== undefined)).toBe(true);
    expect(evidence.some((e) => Object.keys(e.containers).length > 0)).toBe(true);
    expect(evidence.some((e) => e.principals.some((p) => p.appId && p.tenantId))).toBe(true);
  });

  /** OAuth failures as Log Analytics rows, one per spec, a minute apart, for the remedy-evidence tests. */
  function oauthFailureRows(
    specs: ReadonlyArray<{ objectKey?: string; objectId?: string; appId?: string; details?: unknown }>,
  ) {
    const t0 = START + 3_600_000;
    return specs.map((spec, i) => {
      const row: Record<string, unknown> = {
        TimeGenerated: new Date(t0 + i * 1_000).toISOString(),
        AccountName: "remedyacct",
        ServiceType: "blob",
        OperationName: "GetBlob",
        StatusCode: "403",
        StatusText: "AuthorizationPermissionMismatch",
        AuthenticationType: "OAuth",
        CallerIpAddress: "10.1.2.3:50000",
        Uri: `https://remedyacct.blob.core.windows.net${spec.objectKey?.replace(/^\/remedyacct/, "") ?? "/"}`,
        Type: "StorageBlobLogs",
        _ResourceId: `${defaultResourceId("remedyacct", "blob")}`,
      };
      if (spec.objectKey !== undefined) row.ObjectKey = spec.objectKey;
      if (spec.objectId !== undefined) row.RequesterObjectId = spec.objectId;
      if (spec.appId !== undefined) row.RequesterAppId = spec.appId;
      if (spec.objectId !== undefined) row.RequesterTenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
      if (spec.details !== undefined) row.AuthorizationDetails = spec.details;
      return { table: "StorageBlobLogs", ingestedAt: new Date(t0 + 10 * 60_000).toISOString(), row };
    });
  }

  async function bothPaths(rows: ReturnType<typeof oauthFailureRows>) {
    standIn.setRows(WS1, rows);
    const aggregator = new ClusterAggregator();
    rows.forEach((f, i) =>
      aggregator.observe(
        storageRequestFromObject(f.row, { file: "rows", line: i + 1 }, new RejectionCollector())!,
      ),
    );
    const result = await collectFromLogAnalytics(
      settings(),
      deps(Date.parse(rows[0]!.ingestedAt) + 3_600_000),
    );
    expect(result.rejected).toEqual([]);
    expect(result.partials).toHaveLength(1);
    return { remote: result.partials[0]!.remedyEvidence!, local: aggregator.partials()[0]!.remedyEvidence! };
  }

  test("remedy evidence: every AuthorizationDetails form gives the local engine's principals and decisions", async () => {
    const user = "5A3C0F4E-1B2D-4C3E-8F90-A1B2C3D4E5F6";
    const app = "0b6e3b41-7c1d-4a55-9d0e-2f1a3b4c5d6e";
    const denied = (id: string, type: string, caps = false) =>
      caps
        ? {
            Action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            Result: "Denied",
            Reason: "NoApplicablePolicy",
            Principals: [{ Id: id, Type: type }],
          }
        : {
            action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            result: "Denied",
            reason: "NoApplicablePolicy",
            principals: [{ id, type }],
          };
    const rows = oauthFailureRows([
      {
        objectKey: "/remedyacct/reports/q1.csv",
        objectId: ` ${user} `,
        details: [denied(user.toLowerCase(), "User")],
      },
      {
        objectKey: "/remedyacct/reports/q2.csv",
        objectId: user.toLowerCase(),
        details: denied(user, "User", true),
      },
      { objectKey: "//remedyacct//reports/q3.csv", objectId: user, appId: "  " },
      {
        objectKey: "/remedyacct/ingest/a.json",
        objectId: app,
        appId: "7d0f7a0e-1111-4222-8333-944455556666",
        details: JSON.stringify([
          denied(app, "ServicePrincipal"),
          { action: "x", reason: "no result: ignored" },
        ]),
      },
      {
        objectKey: "/remedyacct/ingest/b.json",
        objectId: app,
        details: [
          {
            ...denied(app, "ServicePrincipal"),
            result: "Granted",
            roleAssignmentId: "ra-1",
            roleDefinitionId: "rd-1",
          },
          { ...denied(app, "ServicePrincipal"), reason: "Policy", denyAssignmentId: "da-1" },
        ],
      },
      { objectKey: "/remedyacct" },
      {},
    ]);
    const { remote, local } = await bothPaths(rows);
    expect(remote).toEqual(local);
    expect(remote).toMatchObject({
      resourceId: defaultResourceId("remedyacct", "blob").replace(/\/blobServices\/default$/i, ""),
      containers: { ingest: 2, reports: 3 },
      otherContainers: 2,
    });
    expect(remote.principals.map((p) => [p.objectId, p.type, p.count])).toEqual([
      [user.toLowerCase(), "User", 3],
      [app, "ServicePrincipal", 2],
    ]);
    expect(remote.authorization.map((a) => a.count)).toEqual([3, 1, 1]);
  });

  test("remedy evidence past the caps: the busiest containers, principals and decisions are kept", async () => {
    // 25 of each, the n-th seen 26-n times, busiest first: the local accumulator keeps the first 20 seen,
    // the query the 20 busiest, and here those are the same.
    const specs = [];
    for (let n = 0; n < 25; n++)
      for (let k = 0; k < 26 - n; k++)
        specs.push({
          objectKey: `/remedyacct/c${String(n).padStart(2, "0")}/blob${k}`,
          objectId: `00000000-0000-4000-8000-0000000000${String(n).padStart(2, "0")}`,
          details: [{ action: `action-${n}`, result: "Denied" }],
        });
    const { remote, local } = await bothPaths(oauthFailureRows(specs));
    expect(remote).toEqual(local);
    expect(Object.keys(remote.containers)).toHaveLength(20);
    expect(remote.containers.c19).toBe(7);
    expect(remote.otherContainers).toBe(6 + 5 + 4 + 3 + 2);
    expect(remote.principals).toHaveLength(20);
    expect(remote.authorization.map((a) => a.action)).toEqual(
      Array.from({ length: 20 }, (_, n) => `action-${n}`),
    );
  });

  test("five-minute runs with 3–20 minute ingestion delays neither lose nor double-count a row", async () => {
    const watermarks = new InMemoryWatermarkStore();
    const runs = [];
    let rows = 0;
    for (let now = START; now <= AFTER_ALL + 5 * 60_000; now += 5 * 60_000) {
      const result = await collectFromLogAnalytics(settings(), deps(now, { watermarks }));
      await result.commit();
      runs.push(result.partials);
      rows += result.rows;
    }
    expect(rows).toBe(fixture.length);
    expect(runs.length).toBeGreaterThan(50);
    // Rows arrive late, so many clusters are seen across several runs; merged they equal the whole.
    expect(runs.filter((p) => p.length > 0).length).toBeGreaterThan(10);
    expectSamePartials(mergePartials(runs.flat()), reference);
    const failures = fixture.filter(
      (f) => f.request.statusCode === 401 || f.request.statusCode === 403,
    ).length;
    expect(runs.flat().reduce((n, p) => n + p.count, 0)).toBe(failures);
  });

  test("a run after a committed run reads only what was ingested since: nothing is counted twice", async () => {
    const watermarks = new InMemoryWatermarkStore();
    const first = await collectFromLogAnalytics(settings(), deps(AFTER_ALL, { watermarks }));
    await first.commit();
    const again = await collectFromLogAnalytics(settings(), deps(AFTER_ALL + 10 * 60_000, { watermarks }));
    expect(again.partials).toEqual([]);
    expect(again.workspaces[0]!.window.ingestedAfterMs).toBe(first.workspaces[0]!.window.ingestedUntilMs);
  });

  test("two workspaces are queried and their partials merged", async () => {
    const even = fixture.filter((_, i) => i % 2 === 0);
    const odd = fixture.filter((_, i) => i % 2 === 1);
    standIn.setRows(WS1, asIngestedRows(even));
    standIn.setRows(WS2, asIngestedRows(odd));
    const result = await collectFromLogAnalytics(settings({ workspaceIds: [WS1, WS2] }), deps(AFTER_ALL));
    expect(new Set(standIn.requests.map((r) => r.workspaceId))).toEqual(new Set([WS1, WS2]));
    expectSamePartials(result.partials, reference);
  });

  test("a truncated result (PartialError) splits the window in halves and the merge equals the whole", async () => {
    // 12 clusters in all, at most 7 active at once: the whole window is truncated, smaller ones are not.
    expect(reference.length).toBe(12);
    standIn.maxResultRows = 8;
    const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
    const run = result.workspaces[0]!;
    expect(run.splits).toBeGreaterThan(0);
    // Each split replaces one query by two.
    expect(standIn.requests.filter((r) => r.queryName === "failure-clusters").length).toBe(
      2 * run.splits + 1,
    );
    expectSamePartials(result.partials, reference);
    // The remedy evidence of the split halves merges back into the local engine's for the whole.
    const aggregator = new ClusterAggregator();
    rowsAsTheFileReadersParseThem.forEach((r) => aggregator.observe(r));
    const evidenceByKey = (parts: readonly ClusterPartial[]) =>
      Object.fromEntries(parts.map((p) => [comparable(p).key, p.remedyEvidence]));
    expect(evidenceByKey(result.partials)).toEqual(evidenceByKey(aggregator.partials()));
    const evidence = result.partials.map((p) => p.remedyEvidence!);
    expect(evidence.some((e) => e.principals.length > 0 && Object.keys(e.containers).length > 0)).toBe(true);
  });

  test("truncation that splitting cannot cure fails loudly instead of returning partial numbers", async () => {
    standIn.maxResultRows = 0;
    const someFailures = fixture.filter((f) => f.request.statusCode === 403).slice(0, 5);
    standIn.setRows(WS1, asIngestedRows(someFailures));
    await expect(collectFromLogAnalytics(settings({ maxSplitDepth: 2 }), deps(AFTER_ALL))).rejects.toThrow(
      /still incomplete after splitting the window 2 times/,
    );
  });

  test("a 504 (query timeout) splits the window too", async () => {
    standIn.enqueueFaults(WS1, { status: 504 });
    const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
    expect(result.workspaces[0]!.splits).toBe(1);
    expect(standIn.requests.filter((r) => r.status === 504)).toHaveLength(1);
    expectSamePartials(result.partials, reference);
  });

  test("429 waits as long as Retry-After says, then succeeds", async () => {
    standIn.enqueueFaults(WS1, { status: 429, retryAfterSeconds: 3 }, { status: 429, retryAfterSeconds: 1 });
    const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(3_000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(1_000);
    expect(sleeps[1]).toBeLessThan(3_000);
    expectSamePartials(result.partials, reference);
  });

  test("5xx is retried with jittered exponential backoff, bounded by maxAttempts", async () => {
    standIn.enqueueFaults(WS1, { status: 503 }, { status: 500 });
    const ok = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
    expect(sleeps).toEqual([150, 300]);
    expectSamePartials(ok.partials, reference);

    sleeps = [];
    standIn.enqueueFaults(WS1, { status: 503 }, { status: 503 }, { status: 503 });
    const error = await collectFromLogAnalytics(settings({ maxAttempts: 3 }), deps(AFTER_ALL)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LogAnalyticsQueryError);
    expect((error as LogAnalyticsQueryError).statusCode).toBe(503);
    expect((error as Error).message).toContain("after 3 attempts");
    expect(sleeps).toHaveLength(2);
  });

  test("a real Retry-After wait happens when no sleep is injected", async () => {
    standIn.enqueueFaults(WS1, { status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const { retry: _ignored, ...withoutRetry } = deps(AFTER_ALL);
    await collectFromLogAnalytics(settings(), withoutRetry);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  test("204 (empty workspace) is no rows, and the watermark still advances", async () => {
    standIn.enqueueFaults(WS1, { status: 204 });
    const watermarks = new InMemoryWatermarkStore();
    const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL, { watermarks }));
    expect(result.partials).toEqual([]);
    await result.commit();
    expect((await watermarks.get(workspaceWatermarkKey(WS1)))?.valueMs).toBe(AFTER_ALL - 60_000);
  });

  test("400 is not retried and names the workspace and query", async () => {
    standIn.enqueueFaults(WS1, {
      status: 400,
      code: "BadArgumentError",
      message: "Query could not be parsed at 'x'",
    });
    const error = await collectFromLogAnalytics(settings(), deps(AFTER_ALL)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogAnalyticsQueryError);
    expect((error as Error).message).toContain(WS1);
    expect((error as Error).message).toContain("failure-clusters");
    expect((error as Error).message).toContain("BadArgumentError");
    expect(standIn.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test("overlapping runs: only one advances the watermark", async () => {
    const watermarks = new InMemoryWatermarkStore();
    const a = await collectFromLogAnalytics(settings(), deps(AFTER_ALL, { watermarks }));
    const b = await collectFromLogAnalytics(settings(), deps(AFTER_ALL + 60_000, { watermarks }));
    await a.commit();
    await expect(b.commit()).rejects.toBeInstanceOf(WatermarkConflictError);
    expect((await watermarks.get(workspaceWatermarkKey(WS1)))?.valueMs).toBe(AFTER_ALL - 60_000);
  });

  test("a sovereign cloud's token scope is requested (the SDK ignores audience)", async () => {
    const credential = staticCredential();
    await collectFromLogAnalytics(settings({ cloud: "china" }), deps(AFTER_ALL, { credential }));
    expect(credential.scopesRequested.flat()).toContain("https://api.loganalytics.azure.cn/.default");
    expect(credential.scopesRequested.flat()).not.toContain("https://api.loganalytics.io/.default");
  });

  test("AzureActivity changes around the failures come back as ActivityEvents; reads and other providers do not", async () => {
    const sub =
      "/subscriptions/0000-1111/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/contosoprod";
    const at = (min: number) => new Date(START + min * 60_000).toISOString();
    const activity = [
      {
        TimeGenerated: at(25),
        OperationNameValue: "Microsoft.Storage/storageAccounts/regenerateKey/action",
        ActivityStatusValue: "Succeeded",
        CategoryValue: "Administrative",
        _ResourceId: sub,
        CorrelationId: "c-1",
        EventDataId: "e-1",
        Caller: "secops@contoso.example",
        Properties_d: { requestbody: '{"keyName":"key1"}' },
      },
      {
        TimeGenerated: at(25),
        OperationNameValue: "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
        ActivityStatusValue: "Started",
        CategoryValue: "Administrative",
        ResourceId: sub,
        CorrelationId: "c-1",
        EventDataId: "e-0",
      },
      {
        TimeGenerated: at(26),
        OperationNameValue: "Microsoft.Storage/storageAccounts/read",
        ActivityStatusValue: "Succeeded",
        CategoryValue: "Administrative",
        _ResourceId: sub,
        EventDataId: "e-2",
      },
      {
        TimeGenerated: at(27),
        OperationNameValue: "Microsoft.Compute/virtualMachines/write",
        ActivityStatusValue: "Succeeded",
        CategoryValue: "Administrative",
        _ResourceId: "/subscriptions/x/vm",
        EventDataId: "e-3",
      },
      {
        TimeGenerated: at(28),
        OperationNameValue: "Microsoft.Storage/storageAccounts/write",
        ActivityStatusValue: "Succeeded",
        CategoryValue: "ServiceHealth",
        _ResourceId: sub,
        EventDataId: "e-4",
      },
    ];
    standIn.setRows(WS1, [
      ...asIngestedRows(fixture),
      ...activity.map((row) => ({ table: "AzureActivity", ingestedAt: at(40), row })),
    ]);
    const result = await collectFromLogAnalytics(settings(), deps(AFTER_ALL));
    expect(result.activity.map((e) => e.eventDataId)).toEqual(["e-0", "e-1"]);
    const regenerate = result.activity[1]!;
    expect(regenerate).toMatchObject({
      operationName: "Microsoft.Storage/storageAccounts/regenerateKey/action",
      status: "Succeeded",
      resourceId: sub,
      caller: "secops@contoso.example",
      correlationId: "c-1",
      properties: { requestbody: '{"keyName":"key1"}' },
    });
    expect(regenerate.timeMs).toBe(START + 25 * 60_000);
    // The same events an AzureActivity export of these rows gives the file readers.
    const exported = activity
      .filter((row) => row.EventDataId === "e-0" || row.EventDataId === "e-1")
      .sort((a, b) => a.EventDataId.localeCompare(b.EventDataId))
      .map((row, i) =>
        activityEventFromLogAnalyticsRow(row, { file: "export", line: i + 1 }, new RejectionCollector()),
      );
    expect(result.activity).toEqual(exported);
  });
});

describe("settings", () => {
  test("an endpoint without /v1 and a non-GUID workspace are rejected with what to fix", () => {
    expect(() =>
      parseLogAnalyticsSettings({ workspaceIds: ["prod-ws"], endpoint: "https://api.loganalytics.azure.cn" }),
    ).toThrow(
      /workspaceIds\.0: a workspace id is the workspace's GUID[\s\S]*endpoint: the Logs API endpoint must end with \/v1/,
    );
  });

  test("defaults are the public cloud and a bounded server timeout", () => {
    const s = parseLogAnalyticsSettings({ workspaceIds: [WS1] });
    expect(s).toMatchObject({ cloud: "public", serverTimeoutSeconds: 180, maxAttempts: 4 });
    expect(() => parseLogAnalyticsSettings({ workspaceIds: [WS1], serverTimeoutSeconds: 3600 })).toThrow(
      /serverTimeoutSeconds/,
    );
  });
});
