import { describe, expect, test } from "vitest";
import { DEFAULT_PARTIAL_CAPS, OTHER_VERSIONS } from "../../src/collect/loganalytics/caps.js";
import { backoffMs, retryAfterMs } from "../../src/collect/loganalytics/client.js";
import { mergePartials, mergeSasWindows, mergeVersions } from "../../src/cluster/aggregator.js";
import { clusterPartialsFromTable, kustoTimeMs } from "../../src/collect/loganalytics/results.js";
import { parseLogAnalyticsSettings } from "../../src/collect/loganalytics/settings.js";
import { planIngestionWindow, splitWindow } from "../../src/collect/loganalytics/window.js";
import type { ClusterPartial } from "../../src/model/incident.js";

const H = 3_600_000;
const NOW = Date.parse("2026-11-22T12:00:00Z");

describe("window planning", () => {
  test("first run reads the initial lookback; later runs start at the watermark", () => {
    const first = planIngestionWindow(NOW, undefined);
    expect(first.window).toEqual({
      ingestedAfterMs: NOW - 60_000 - H,
      ingestedUntilMs: NOW - 60_000,
      generatedAfterMs: NOW - 60_000 - 3 * H,
    });
    const next = planIngestionWindow(NOW + 300_000, first.window.ingestedUntilMs);
    expect(next.window.ingestedAfterMs).toBe(first.window.ingestedUntilMs);
    expect(next.skippedMs).toBe(0);
    expect(next.hasRows).toBe(true);
  });

  test("a watermark older than the catch-up limit is reported as skipped backlog", () => {
    const plan = planIngestionWindow(NOW, NOW - 30 * H);
    expect(plan.window.ingestedAfterMs).toBe(NOW - 60_000 - 24 * H);
    expect(plan.skippedMs).toBe(30 * H - 24 * H - 60_000);
  });

  test("a watermark at the settled edge means nothing to read", () => {
    expect(planIngestionWindow(NOW, NOW - 60_000).hasRows).toBe(false);
    expect(planIngestionWindow(NOW, NOW).window.ingestedUntilMs).toBe(NOW);
  });

  test("halves tile the span exactly and keep the TimeGenerated bound", () => {
    const w = { ingestedAfterMs: 1_000, ingestedUntilMs: 2_001, generatedAfterMs: 0 };
    const [a, b] = splitWindow(w)!;
    expect(a.ingestedAfterMs).toBe(1_000);
    expect(a.ingestedUntilMs).toBe(b.ingestedAfterMs);
    expect(b.ingestedUntilMs).toBe(2_001);
    expect(a.generatedAfterMs).toBe(0);
    expect(splitWindow({ ingestedAfterMs: 5, ingestedUntilMs: 6, generatedAfterMs: 0 })).toBeUndefined();
  });
});

describe("retry timing", () => {
  const settings = parseLogAnalyticsSettings({
    workspaceIds: ["11111111-2222-4333-8444-555555555555"],
    baseBackoffMs: 1_000,
    maxBackoffMs: 8_000,
  });

  test("Retry-After as seconds, as an HTTP date, and retry-after-ms", () => {
    expect(retryAfterMs(undefined, "7")).toBe(7_000);
    expect(retryAfterMs(undefined, new Date(NOW + 12_000).toUTCString(), NOW)).toBe(12_000);
    expect(retryAfterMs("250", "7")).toBe(250);
    expect(retryAfterMs(undefined, "soon")).toBeUndefined();
  });

  test("exponential with jitter, capped; a server-given delay is a floor", () => {
    expect(backoffMs(1, undefined, settings, () => 0)).toBe(500);
    expect(backoffMs(1, undefined, settings, () => 1)).toBe(1_000);
    expect(backoffMs(3, undefined, settings, () => 1)).toBe(4_000);
    expect(backoffMs(10, undefined, settings, () => 1)).toBe(8_000);
    expect(backoffMs(1, 20_000, settings, () => 0)).toBe(20_000);
    expect(backoffMs(1, 3_000, settings, () => 1)).toBe(3_100);
  });
});

function partial(over: Partial<ClusterPartial>): ClusterPartial {
  return {
    key: {
      account: "Acct",
      service: "blob",
      operation: "GetBlob",
      statusCode: 403,
      errorCode: "AuthenticationFailed",
      authType: "SAS",
    },
    count: 1,
    firstSeenMs: 0,
    lastSeenMs: 0,
    perMinute: new Map([[0, 1]]),
    callers: [],
    sampleUris: [],
    sampleObjectKeys: [],
    sasWindows: [],
    operationVersions: {},
    ...over,
  };
}

describe("merging partials", () => {
  test("counts, bins and times add up; the account is case-insensitive; callers merge by identity", () => {
    const a = partial({
      count: 3,
      firstSeenMs: 60_000,
      lastSeenMs: 120_000,
      perMinute: new Map([
        [60_000, 2],
        [120_000, 1],
      ]),
      callers: [
        {
          ip: "10.0.0.1",
          count: 3,
          firstSeen: "2026-01-01T00:01:00.000Z",
          lastSeen: "2026-01-01T00:02:00.000Z",
        },
      ],
    });
    const b = partial({
      key: { ...a.key, account: "acct" },
      count: 2,
      firstSeenMs: 0,
      lastSeenMs: 60_000,
      perMinute: new Map([
        [0, 1],
        [60_000, 1],
      ]),
      callers: [
        {
          ip: "10.0.0.1",
          requesterUpn: "a@x",
          count: 1,
          firstSeen: "2026-01-01T00:00:00.000Z",
          lastSeen: "2026-01-01T00:00:30.000Z",
        },
        {
          ip: "10.0.0.2",
          count: 1,
          firstSeen: "2026-01-01T00:01:00.000Z",
          lastSeen: "2026-01-01T00:01:00.000Z",
        },
      ],
    });
    const [m] = mergePartials([a, b]);
    expect(m).toMatchObject({ count: 5, firstSeenMs: 0, lastSeenMs: 120_000 });
    expect([...m!.perMinute]).toEqual([
      [0, 1],
      [60_000, 3],
      [120_000, 1],
    ]);
    expect(m!.callers).toEqual([
      {
        ip: "10.0.0.1",
        count: 4,
        firstSeen: "2026-01-01T00:00:00.000Z",
        lastSeen: "2026-01-01T00:02:00.000Z",
        requesterUpn: "a@x",
      },
      {
        ip: "10.0.0.2",
        count: 1,
        firstSeen: "2026-01-01T00:01:00.000Z",
        lastSeen: "2026-01-01T00:01:00.000Z",
      },
    ]);
  });

  test("versions beyond the cap are summed under (other); SAS windows beyond it in one entry without st/se", () => {
    expect(
      mergeVersions(
        [
          { a: 5, b: 1 },
          { c: 3, [OTHER_VERSIONS]: 2 },
        ],
        2,
      ),
    ).toEqual({ a: 5, c: 3, [OTHER_VERSIONS]: 3 });
    const w = (st: string, count: number) => ({ st, count, expired: count, notYetValid: 0 });
    expect(
      mergeSasWindows(
        [
          [w("1", 5), w("2", 1)],
          [w("3", 2), w("2", 1)],
        ],
        2,
      ),
    ).toEqual([w("1", 5), w("2", 2), { count: 2, expired: 2, notYetValid: 0 }]);
  });
});

describe("result rows", () => {
  const columns = [
    "AccountName",
    "ServiceType",
    "OperationName",
    "StatusCode",
    "StatusText",
    "AuthenticationType",
    "FailureCount",
    "FirstSeen",
    "LastSeen",
    "PerMinute",
    "Callers",
    "SampleUris",
    "SampleObjectKeys",
    "SasWindows",
    "OperationVersions",
  ].map((name) => ({ name }));
  const good = [
    "acct",
    "blob",
    "GetBlob",
    "403",
    "AuthenticationFailed",
    "SAS",
    2,
    new Date("2026-01-01T00:00:00Z"),
    new Date("2026-01-01T00:00:30Z"),
    { "2026-01-01T00:00:00Z": 2 },
    null,
    ["https://acct.blob.core.windows.net/c/b?sv=1&sig=abc123"],
    [],
    null,
    { "2025-01-05": 2 },
  ];

  test("a per-minute bag longer than the series cap arrives widened, as the local engine counts it", () => {
    const start = Date.parse("2026-01-01T00:00:00Z");
    const bag: Record<string, number> = {};
    for (let m = 0; m < 3 * 1440; m++) bag[new Date(start + m * 60_000).toISOString()] = 1;
    const row: unknown[] = [...good];
    row[6] = 3 * 1440;
    row[9] = bag;
    const { items } = clusterPartialsFromTable(
      { columnDescriptors: columns, rows: [row] },
      { workspaceId: "ws", query: "failure-clusters" },
      DEFAULT_PARTIAL_CAPS,
    );
    expect(items[0]!.bucketMinutes).toBe(5);
    expect(items[0]!.perMinute.size).toBe((3 * 1440) / 5);
    expect([...items[0]!.perMinute.values()].every((n) => n === 5)).toBe(true);
  });

  test("a bad row is rejected with workspace, query, row and field; the good ones still count", () => {
    const bad = [...good];
    bad[1] = "dfs";
    const worse = [...good];
    worse[6] = -1;
    const { items, rejected } = clusterPartialsFromTable(
      { columnDescriptors: columns, rows: [good, bad, worse] },
      { workspaceId: "ws", query: "failure-clusters" },
      DEFAULT_PARTIAL_CAPS,
    );
    expect(items).toHaveLength(1);
    expect(items[0]!.sampleUris).toEqual(["https://acct.blob.core.windows.net/c/b?sv=1&sig=REDACTED"]);
    expect(rejected).toEqual([
      {
        file: "workspace ws (failure-clusters)",
        line: 2,
        field: "ServiceType",
        reason: "ServiceType must be one of blob, queue, table, file",
      },
      { file: "workspace ws (failure-clusters)", line: 3, field: "FailureCount", reason: "not a count: -1" },
    ]);
  });

  test("the remedy evidence columns become remedyEvidence, capped and ordered by the one merge", () => {
    const evidenceColumns = [
      ...columns,
      ...["ResourceId", "Containers", "OtherContainers", "Principals", "Authorization"].map((name) => ({
        name,
      })),
    ];
    const principal = (n: number) => ({ objectId: `oid-${String(n).padStart(2, "0")}`, appId: "", count: n });
    const withEvidence = [
      ...good,
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
      { reports: 1 },
      1,
      // More than the cap, in no order: the merge keeps the busiest, busiest first.
      Array.from({ length: 25 }, (_, i) => principal(((i * 7) % 25) + 1)),
      [{ action: "read", result: "Denied", reason: "", count: 2 }],
    ];
    const badPrincipal = [...withEvidence];
    badPrincipal[18] = [{ objectId: "oid", count: "many" }] as unknown as (typeof badPrincipal)[number];
    const { items, rejected } = clusterPartialsFromTable(
      { columnDescriptors: evidenceColumns, rows: [withEvidence, badPrincipal] },
      { workspaceId: "ws", query: "failure-clusters" },
      DEFAULT_PARTIAL_CAPS,
    );
    expect(items).toHaveLength(1);
    const evidence = items[0]!.remedyEvidence!;
    expect(evidence).toMatchObject({
      resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
      containers: { reports: 1 },
      otherContainers: 1,
      authorization: [{ action: "read", result: "Denied", count: 2 }],
    });
    expect(evidence.authorization[0]).not.toHaveProperty("reason");
    expect(evidence.principals.map((p) => p.count)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    expect(evidence.principals[0]).toEqual({ objectId: "oid-25", count: 25 });
    expect(rejected).toEqual([
      {
        file: "workspace ws (failure-clusters)",
        line: 2,
        field: "Principals.0.count",
        reason: "not a count: many",
      },
    ]);
  });

  test("Kusto datetimes with 7 fractional digits are truncated to milliseconds", () => {
    expect(kustoTimeMs("2026-01-01T00:00:00.1239999Z")).toBe(Date.parse("2026-01-01T00:00:00.123Z"));
    expect(kustoTimeMs("2026-01-01T00:00:00Z")).toBe(Date.parse("2026-01-01T00:00:00Z"));
    expect(Number.isNaN(kustoTimeMs("yesterday"))).toBe(true);
  });
});
