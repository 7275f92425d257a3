import { describe, expect, it } from "vitest";
import {
  handleGetIncident,
  handleListIncidents,
  MAX_PAGE_SIZE,
  MAX_TIMELINE_BUCKETS,
  toTimeline,
  type IncidentListResponse,
} from "../../src/dashboard/api.js";
import { safeJsonStringify, type DashboardResponse } from "../../src/dashboard/http.js";
import type { IncidentReader, IncidentRecord } from "../../src/state/contracts.js";
import { FixtureIncidentReader, makeRecord, manyRecords } from "../support/incident-fixtures.js";

function bodyOf(res: DashboardResponse): string {
  return typeof res.body === "string" ? res.body : Buffer.from(res.body).toString("utf8");
}
function json<T = unknown>(res: DashboardResponse): T {
  return JSON.parse(bodyOf(res)) as T;
}
const q = (s: string) => new URLSearchParams(s);

const records = [
  makeRecord({ account: "alpha", decision: "rbac", start: "2026-11-22T10:00:00Z", perMinute: [3, 5, 0, 2] }),
  makeRecord({
    account: "beta",
    decision: "sas",
    start: "2026-11-22T12:00:00Z",
    perMinute: [1, 1],
    status: "resolved",
  }),
  makeRecord({
    account: "gamma",
    decision: "authentication",
    start: "2026-11-22T09:00:00Z",
    perMinute: [40, 60, 20],
  }),
];

describe("GET /api/incidents", () => {
  it("lists incidents as summary rows with the verdict, wrong fix and per-minute series", async () => {
    const reader = new FixtureIncidentReader(records);
    const res = await handleListIncidents(reader, q(""));
    expect(res.status).toBe(200);
    const body = json<IncidentListResponse>(res);
    expect(body.total).toBe(3);
    expect(body.offset).toBe(0);
    expect(body.limit).toBe(100);
    expect(body.items.map((i) => i.account)).toEqual(["gamma", "alpha", "beta"]);
    const alpha = body.items.find((i) => i.account === "alpha")!;
    expect(alpha).toMatchObject({
      id: records[0]!.incident.id,
      decision: "rbac",
      status: "open",
      count: 10,
      wrongFix: "Do not switch the caller to account keys to get around a missing role.",
      timeline: { start: "2026-11-22T10:00:00.000Z", bucketMinutes: 1, counts: [3, 5, 0, 2] },
    });
  });

  it("compacts long timelines into coarser buckets without losing a failure", () => {
    const perMinute: Array<[string, number]> = [
      ["2026-11-20T00:07:00.000Z", 4],
      ["2026-11-20T00:09:00.000Z", 1],
      ["2026-11-22T23:59:00.000Z", 2],
    ];
    const timeline = toTimeline({ perMinute });
    expect(timeline.bucketMinutes).toBe(5);
    expect(timeline.start).toBe("2026-11-20T00:05:00.000Z");
    expect(timeline.counts.length).toBeLessThanOrEqual(MAX_TIMELINE_BUCKETS);
    expect(timeline.counts[0]).toBe(5);
    expect(timeline.counts.at(-1)).toBe(2);
    expect(timeline.counts.reduce((a, b) => a + b, 0)).toBe(7);
    expect(toTimeline({ perMinute: [] })).toEqual({
      start: "1970-01-01T00:00:00.000Z",
      bucketMinutes: 1,
      counts: [],
    });
  });

  it("passes every filter and the page to the reader, normalising times to ISO UTC", async () => {
    const reader = new FixtureIncidentReader(records);
    const res = await handleListIncidents(
      reader,
      q(
        "from=2026-11-22T11:00:00%2B01:00&to=2026-11-22T13:00:00Z&account=beta&decision=sas&errorCode=AuthenticationFailed&status=resolved&offset=0&limit=5&code=functionkey",
      ),
    );
    expect(res.status).toBe(200);
    expect(reader.listCalls[0]).toEqual({
      from: "2026-11-22T10:00:00.000Z",
      to: "2026-11-22T13:00:00.000Z",
      account: "beta",
      decision: "sas",
      errorCode: "AuthenticationFailed",
      status: "resolved",
      offset: 0,
      limit: 5,
    });
    expect(json<IncidentListResponse>(res).items.map((i) => i.account)).toEqual(["beta"]);
  });

  it("pages with offset and limit", async () => {
    const reader = new FixtureIncidentReader(manyRecords(25));
    const first = json<IncidentListResponse>(await handleListIncidents(reader, q("limit=10")));
    const third = json<IncidentListResponse>(await handleListIncidents(reader, q("offset=20&limit=10")));
    expect(first.total).toBe(25);
    expect(first.items).toHaveLength(10);
    expect(third.items).toHaveLength(5);
    expect(new Set([...first.items, ...third.items].map((i) => i.id)).size).toBe(15);
  });

  it.each([
    ["from=yesterday", "from", "ISO 8601"],
    ["to=2026-13-01T00:00:00Z", "to", "ISO 8601"],
    ["from=2026-11-22T12:00:00Z&to=2026-11-22T11:00:00Z", "from", "after to"],
    ["decision=firewall", "decision", "authentication, rbac, sas, network, policy"],
    ["status=closed", "status", "open, resolved"],
    ["limit=0", "limit", "at least 1"],
    [`limit=${MAX_PAGE_SIZE + 1}`, "limit", `at most ${MAX_PAGE_SIZE}`],
    ["offset=-1", "offset", "whole number"],
    ["offset=1.5", "offset", "whole number"],
    ["account=", "account", "must not be empty"],
    ["account=a&account=b", "account", "given 2 times"],
    ["sort=count", "sort", "unknown parameter"],
  ])("rejects %s with 400 naming %s", async (query, parameter, hint) => {
    const reader = new FixtureIncidentReader(records);
    const res = await handleListIncidents(reader, q(query));
    expect(res.status).toBe(400);
    const body = json<{
      error: string;
      message: string;
      issues: Array<{ parameter: string; problem: string }>;
    }>(res);
    expect(body.error).toBe("bad-request");
    const issue = body.issues.find((i) => i.parameter === parameter);
    expect(issue, JSON.stringify(body.issues)).toBeDefined();
    expect(issue!.problem).toContain(hint);
    expect(body.message).toContain(hint);
    expect(reader.listCalls).toHaveLength(0);
  });

  it("answers 500 without the store's error text when the store fails", async () => {
    const failing: IncidentReader = {
      list: async () => {
        throw new Error("connection string AccountKey=c2VjcmV0 rejected");
      },
      get: async () => undefined,
    };
    const reported: unknown[] = [];
    const res = await handleListIncidents(failing, q(""), (_m, e) => reported.push(e));
    expect(res.status).toBe(500);
    expect(bodyOf(res)).not.toContain("c2VjcmV0");
    expect(reported).toHaveLength(1);
  });
});

describe("GET /api/incidents/{id}", () => {
  const detailed = makeRecord({
    account: "delta",
    decision: "authentication",
    start: "2026-11-22T10:00:00Z",
    perMinute: [1, 2, 3],
    changes: [{ summary: "key1 regenerated" }, { summary: "firewall rule added", score: 0.2 }],
    skewEvidence: ["host-7 signs with x-ms-date 22 minutes behind"],
    sampleUris: ["https://delta.blob.core.windows.net/c/b?sv=2025-01-05&se=2026-11-22&sig=AbCdEf%2B123"],
    notifications: [
      {
        at: "2026-11-22T10:05:00Z",
        reason: "first-detection",
        detail: "first seen",
        channel: "teams",
        outcome: "failed",
        attempts: 3,
        lastError:
          "POST https://prod-1.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?api-version=1&sig=TopSecret answered 500",
      },
    ],
  });

  it("returns the full record: clusters, callers, histogram, ranked causes, skew, guidance, notifications", async () => {
    const reader = new FixtureIncidentReader([detailed]);
    const res = await handleGetIncident(reader, detailed.incident.id);
    expect(res.status).toBe(200);
    const body = json<IncidentRecord>(res);
    expect(body.incident.id).toBe(detailed.incident.id);
    expect(body.incident.clusters.length).toBeGreaterThan(0);
    expect(body.incident.callers.length).toBeGreaterThan(0);
    expect(body.incident.perMinute).toEqual(detailed.incident.perMinute);
    expect(body.incident.changes.map((c) => c.summary)).toEqual(["key1 regenerated", "firewall rule added"]);
    expect(body.incident.clockSkew).toEqual({
      suspected: true,
      evidence: ["host-7 signs with x-ms-date 22 minutes behind"],
    });
    expect(body.incident.guidance.avoid[0]).toContain("Do not rotate");
    expect(body.notifications[0]!.reason).toBe("first-detection");
  });

  it("redacts SAS signatures and webhook signatures in every string", async () => {
    const res = await handleGetIncident(new FixtureIncidentReader([detailed]), detailed.incident.id);
    const text = bodyOf(res);
    expect(text).not.toContain("AbCdEf");
    expect(text).not.toContain("TopSecret");
    const body = json<IncidentRecord>(res);
    expect(body.incident.sampleUris[0]).toContain("sig=REDACTED");
    expect(body.notifications[0]!.lastError).toContain("sig=REDACTED");
  });

  it("keeps log-derived object keys such as __proto__ as plain data", async () => {
    const record = makeRecord({
      account: "proto",
      decision: "rbac",
      start: "2026-11-22T10:00:00Z",
      perMinute: [2],
    });
    record.incident.operationVersions = JSON.parse('{"__proto__": 2, "2025-01-05": 1}') as Record<
      string,
      number
    >;
    const body = json<IncidentRecord>(
      await handleGetIncident(new FixtureIncidentReader([record]), record.incident.id),
    );
    expect(Object.entries(body.incident.operationVersions)).toEqual([
      ["__proto__", 2],
      ["2025-01-05", 1],
    ]);
  });

  it("answers 404 for an unknown id and 400 for an id that cannot be one", async () => {
    const reader = new FixtureIncidentReader([detailed]);
    expect((await handleGetIncident(reader, "inc-000000000000")).status).toBe(404);
    expect((await handleGetIncident(reader, "x".repeat(201))).status).toBe(400);
    expect((await handleGetIncident(reader, "inc-\u0000")).status).toBe(400);
    expect((await handleGetIncident(reader, "  ")).status).toBe(400);
  });
});

describe("JSON output safety", () => {
  const payloads = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    "</script><svg onload=alert(1)>",
    "a&b<!--c-->",
    "line\u2028sep\u2029para",
  ];

  it("escapes < > & U+2028 U+2029 so the JSON cannot be read as HTML, and round-trips exactly", () => {
    const text = safeJsonStringify({ payloads });
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(text).toContain("\\u003cscript\\u003e");
    expect(JSON.parse(text)).toEqual({ payloads });
  });

  it("sends nosniff, a JSON content type and no raw markup even when every log field carries a payload", async () => {
    const hostile = makeRecord({
      account: payloads[0]!,
      decision: "sas",
      start: "2026-11-22T10:00:00Z",
      perMinute: [1],
      operations: [payloads[1]!],
      callers: [{ userAgent: payloads[2]!, requesterUpn: payloads[3]! }],
      sampleUris: [`https://x.blob.core.windows.net/${payloads[1]}`],
      sampleObjectKeys: [payloads[4]!],
      changes: [{ summary: payloads[0]!, caller: payloads[1]! }],
    });
    const reader = new FixtureIncidentReader([hostile]);
    for (const res of [
      await handleListIncidents(reader, q("")),
      await handleGetIncident(reader, hostile.incident.id),
    ]) {
      expect(res.headers["Content-Type"]).toBe("application/json; charset=utf-8");
      expect(res.headers["X-Content-Type-Options"]).toBe("nosniff");
      expect(bodyOf(res)).not.toMatch(/[<>\u2028\u2029]/);
    }
    const detail = json<IncidentRecord>(await handleGetIncident(reader, hostile.incident.id));
    expect(detail.incident.account).toBe(payloads[0]);
    expect(detail.incident.callers[0]!.userAgent).toBe(payloads[2]);
  });
});
