import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { ClusterAggregator } from "../../src/cluster/aggregator.js";
import { classifyChallenge } from "../../src/classify/classify.js";
import { ERROR_CODES } from "../../src/codes/error-codes.js";
import { analyze, resultFromPartials } from "../../src/engine/analyze.js";
import type { RecordObserver, RootCauseContext, RootCauseExplainer } from "../../src/engine/contracts.js";
import { buildIncidents, DECISION_WEIGHT, severityOf } from "../../src/incidents/build.js";
import { incidentIdOf, type Incident } from "../../src/model/incident.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { Rng } from "../sim/rng.js";
import { generateAll, generateScenario } from "../sim/scenarios.js";

const clock = fixedClock("2026-11-20T12:00:00Z");
const noRejections = () => ({ count: 0, samples: [], reject() {} });

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = new Rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("classification", () => {
  it("takes every verdict from the code table, by auth type", () => {
    for (const entry of ERROR_CODES) {
      for (const rule of entry.rules) {
        const authTypes = rule.authTypes === "*" ? ["AccountKey", "OAuth"] : rule.authTypes;
        for (const authType of authTypes) {
          const first = entry.rules.find(
            (r) => r.authTypes === "*" || r.authTypes.includes(authType as never),
          );
          const c = classifyChallenge({ errorCode: entry.code, authType, statusCode: entry.httpStatus[0]! });
          expect(c.decision).toBe(first!.decision);
          expect(c.knownCode).toBe(true);
          expect(c.meaning).toBe(entry.meaning);
        }
      }
    }
    expect(
      classifyChallenge({ errorCode: "AuthorizationPermissionMismatch", authType: "SAS", statusCode: 403 })
        .decision,
    ).toBe("sas");
    expect(
      classifyChallenge({ errorCode: "AuthorizationPermissionMismatch", authType: "OAuth", statusCode: 403 })
        .decision,
    ).toBe("rbac");
    const unknown = classifyChallenge({ errorCode: "SomethingNew", authType: "OAuth", statusCode: 403 });
    expect(unknown.knownCode).toBe(false);
    expect(unknown.guidance.summary).toMatch(/does not know/);
  });
});

describe("incidents", () => {
  it("ids and order are the same whatever the row order (stable across runs)", async () => {
    const data = generateAll({ seed: 2 });
    const runs = await Promise.all(
      [0, 1, 2].map((k) =>
        analyze({
          requests: k === 0 ? data.requests : shuffled(data.requests, k),
          activity: data.activity,
          clock,
          rejections: noRejections(),
        }),
      ),
    );
    const summary = (r: (typeof runs)[number]) =>
      r.incidents.map((i) => [i.id, i.severity, i.count, i.callers.map((c) => c.count), i.perMinute]);
    expect(summary(runs[1]!)).toEqual(summary(runs[0]!));
    expect(summary(runs[2]!)).toEqual(summary(runs[0]!));
    for (const i of runs[0]!.incidents) {
      expect(i.id).toBe(incidentIdOf(i));
      expect(i.id).toMatch(/^inc-[0-9a-f]{12}$/);
    }
  });

  it("orders most severe first by the documented formula", async () => {
    const data = generateAll({ seed: 4 });
    const result = await analyze({
      requests: data.requests,
      activity: [],
      clock,
      rejections: noRejections(),
    });
    const windowToMs = Date.parse(result.window.to);
    for (const i of result.incidents) {
      expect(i.severity).toBe(severityOf(i, Date.parse(i.lastSeen), windowToMs));
    }
    const severities = result.incidents.map((i) => i.severity);
    expect(severities).toEqual([...severities].sort((a, b) => b - a));
    // Shared Key disabled (policy, account-wide, several services) outranks a single SAS partner.
    const pos = (code: string, auth: string) =>
      result.incidents.findIndex((i) => i.errorCode === code && i.authType === auth);
    expect(pos("KeyBasedAuthenticationNotPermitted", "AccountKey")).toBe(0);
    expect(pos("KeyBasedAuthenticationNotPermitted", "AccountKey")).toBeLessThan(
      pos("AuthenticationFailed", "SAS"),
    );
  });

  it("severity: decision weight, volume, breadth and whether it is still going on", () => {
    const base = {
      count: 100,
      operations: ["GetBlob"],
      callers: [{ count: 100, firstSeen: "", lastSeen: "" }],
      services: ["blob" as const],
    };
    const to = Date.parse("2026-11-20T10:00:00Z");
    const ongoing = severityOf({ ...base, decision: "sas" }, to - 60_000, to);
    const stopped = severityOf({ ...base, decision: "sas" }, to - 30 * 60_000, to);
    expect(ongoing).toBeGreaterThan(stopped);
    expect(
      severityOf({ ...base, decision: "policy" }, to, to) / severityOf({ ...base, decision: "sas" }, to, to),
    ).toBeCloseTo(DECISION_WEIGHT.policy / DECISION_WEIGHT.sas, 1);
    expect(severityOf({ ...base, decision: "sas", count: 1000 }, to, to)).toBeGreaterThan(
      severityOf({ ...base, decision: "sas" }, to, to),
    );
    expect(
      severityOf({ ...base, decision: "sas", operations: ["GetBlob", "PutBlob", "ListBlobs"] }, to, to),
    ).toBeGreaterThan(severityOf({ ...base, decision: "sas" }, to, to));
  });

  it("groups clusters by challenge: services and operations merged, callers summed", () => {
    const data = generateScenario("telemetry-header-injection");
    const agg = new ClusterAggregator();
    for (const r of data.requests) agg.observe(r);
    const [inc] = buildIncidents(agg.partials(), {
      activity: [],
      window: { fromMs: agg.minTimeMs, toMs: agg.maxTimeMs },
    });
    expect(inc!.services).toEqual(["blob", "queue"]);
    expect(inc!.operations).toEqual(["GetMessages", "PutBlob", "PutMessage"]);
    expect(inc!.callers.reduce((n, c) => n + c.count, 0)).toBe(inc!.count);
    expect(inc!.clusters.map((c) => c.count)).toEqual(
      [...inc!.clusters.map((c) => c.count)].sort((a, b) => b - a),
    );
    expect(inc!.changes).toEqual([]);
    expect(inc!.clockSkew).toEqual({ suspected: false, evidence: [] });
  });

  it("an incident's SAS windows and versions are its clusters' sums, bounded like a cluster's", () => {
    const sasFailure = (operation: string, minute: number, se: string, version: string): StorageRequest => ({
      timeMs: Date.parse("2026-11-20T09:00:00Z") + minute * 60_000,
      account: "stacct",
      service: "blob",
      operation,
      statusCode: 403,
      statusText: "AuthenticationFailed",
      authType: "SAS",
      callerIp: "10.0.0.1",
      operationVersion: version,
      uri: `https://stacct.blob.core.windows.net/c/b?sv=2022-11-02&se=${se}&sig=XXXXX`,
    });
    const agg = new ClusterAggregator();
    for (let m = 0; m < 3; m++) agg.observe(sasFailure("GetBlob", m, "2026-11-20T08:00:00Z", "2025-01-05"));
    agg.observe(sasFailure("PutBlob", 4, "2026-11-20T08:00:00Z", "2024-08-04"));
    agg.observe(sasFailure("PutBlob", 5, "2026-11-20T10:00:00Z", "2023-11-03"));
    const build = (limits?: { sasWindows: number; operationVersions: number }) =>
      buildIncidents(agg.partials(), {
        activity: [],
        window: { fromMs: agg.minTimeMs, toMs: agg.maxTimeMs },
        ...(limits ? { limits } : {}),
      })[0]!;
    const inc = build();
    expect(inc.clusters.map((c) => c.operation)).toEqual(["GetBlob", "PutBlob"]);
    expect(inc.sasWindows).toEqual([
      { se: "2026-11-20T08:00:00Z", count: 4, expired: 4, notYetValid: 0 },
      { se: "2026-11-20T10:00:00Z", count: 1, expired: 0, notYetValid: 0 },
    ]);
    expect(inc.operationVersions).toEqual({ "2023-11-03": 1, "2024-08-04": 1, "2025-01-05": 3 });
    const bounded = build({ sasWindows: 1, operationVersions: 1 });
    expect(bounded.sasWindows).toEqual([
      { se: "2026-11-20T08:00:00Z", count: 4, expired: 4, notYetValid: 0 },
      { count: 1, expired: 0, notYetValid: 0 },
    ]);
    expect(bounded.operationVersions).toEqual({ "(other)": 2, "2025-01-05": 3 });
  });

  it("partials from two sources (split windows, two workspaces) give the incidents of one pass", async () => {
    const data = generateAll({ seed: 9 });
    const whole = await analyze({ requests: data.requests, activity: [], clock, rejections: noRejections() });
    const half = Math.floor(data.requests.length / 2);
    const aggs = [data.requests.slice(0, half), data.requests.slice(half)].map((rows) => {
      const a = new ClusterAggregator();
      for (const r of rows) a.observe(r);
      return a;
    });
    const merged = resultFromPartials({
      partials: aggs.flatMap((a) => a.partials()),
      rows: aggs[0]!.rows + aggs[1]!.rows,
      failures: aggs[0]!.failures + aggs[1]!.failures,
      window: { fromMs: Date.parse(whole.window.from), toMs: Date.parse(whole.window.to) },
      activity: [],
      clock,
    });
    const view = (incs: Incident[]) =>
      incs.map((i) => [i.id, i.count, i.firstSeen, i.lastSeen, i.perMinute, i.clusters, i.severity]);
    expect(view(merged.incidents)).toEqual(view(whole.incidents));
    expect(merged.input.rows).toBe(whole.input.rows);
    expect(merged.input.clusters).toBe(whole.input.clusters);
  });

  it("hands every request to the explainer's observer and asks it about each incident with the window", async () => {
    const data = generateScenario("key-rotation-stale-secret");
    const seen: StorageRequest[] = [];
    const asked: Array<{ id: string; account: string; activity: number; ctx?: RootCauseContext }> = [];
    const observer: RecordObserver = { observe: (r) => void seen.push(r) };
    const explainer: RootCauseExplainer = {
      observer,
      explain(incident, activity, ctx) {
        asked.push({
          id: incident.id,
          account: incident.account,
          activity: activity.length,
          ...(ctx ? { ctx } : {}),
        });
        const rotate = activity.find(
          (a) => a.operationName.endsWith("regenerateKey/action") && a.status === "Succeeded",
        );
        return {
          changes: rotate
            ? [
                {
                  source: "activity",
                  time: new Date(rotate.timeMs).toISOString(),
                  operation: rotate.operationName,
                  resourceId: rotate.resourceId,
                  caller: rotate.caller ?? "",
                  summary: "key1 regenerated",
                  score: 0.9,
                  why: "before onset",
                },
              ]
            : [],
          clockSkew: { suspected: false, evidence: [] },
        };
      },
    };
    const result = await analyze({
      requests: data.requests,
      activity: data.activity,
      explainer,
      clock,
      rejections: noRejections(),
    });
    expect(seen.length).toBe(data.requests.length);
    expect(asked.map((a) => a.id).sort()).toEqual(result.incidents.map((i) => i.id).sort());
    for (const a of asked) {
      expect(a.activity).toBe(data.activity.length);
      // With the account's place as the incident's own failures logged it (their _ResourceId).
      expect(a.ctx).toEqual({
        windowFromMs: Date.parse(result.window.from),
        windowToMs: Date.parse(result.window.to),
        accountResourceId: expect.stringMatching(
          new RegExp(
            `^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Storage/storageAccounts/${a.account}$`,
            "i",
          ),
        ),
      });
    }
    expect(
      result.incidents.every(
        (i) => i.changes[0]?.operation === "Microsoft.Storage/storageAccounts/regenerateKey/action",
      ),
    ).toBe(true);
  });

  it("an empty input gives an empty, valid result whose window is the clock's instant", async () => {
    const result = await analyze({ requests: [], activity: [], clock, rejections: noRejections() });
    expect(result).toMatchObject({
      window: { from: "2026-11-20T12:00:00.000Z", to: "2026-11-20T12:00:00.000Z" },
      input: {
        rows: 0,
        failures: 0,
        rejected: 0,
        rejectedSamples: [],
        outsideWindow: 0,
        clusters: 0,
        activityEvents: 0,
      },
      incidents: [],
    });
  });
});

describe("analyze input shapes", () => {
  it("accepts requests in batches as well as one by one", async () => {
    const data = generateScenario("firewall-change");
    const batches: StorageRequest[][] = [];
    for (let i = 0; i < data.requests.length; i += 37) batches.push(data.requests.slice(i, i + 37));
    async function* stream() {
      yield* batches;
    }
    const a = await analyze({ requests: stream(), activity: [], clock, rejections: noRejections() });
    const b = await analyze({ requests: data.requests, activity: [], clock, rejections: noRejections() });
    expect(a).toEqual(b);
    expect(a.input.rows).toBe(data.requests.length);
  });
});
