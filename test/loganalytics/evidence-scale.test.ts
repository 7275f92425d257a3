import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { EvidenceQueryCaps } from "../../src/collect/loganalytics/caps.js";
import { DEFAULT_EVIDENCE_QUERY_CAPS } from "../../src/collect/loganalytics/caps.js";
import { rootCauseEvidenceQuery } from "../../src/collect/loganalytics/evidence.js";
import { split } from "../../src/collect/loganalytics/evidence-run.js";
import { parseLogAnalyticsSettings } from "../../src/collect/loganalytics/settings.js";
import { collectFromLogAnalytics } from "../../src/collect/loganalytics/source.js";
import { InMemoryWatermarkStore } from "../../src/collect/loganalytics/watermark.js";
import type { RootCauseEvidence } from "../../src/correlate/evidence.js";
import { fixedClock } from "../../src/clock.js";
import { analyzeKql } from "../support/kusto-analyzer.js";
import { startLogsApiStandIn, type IngestedRow, type LogsApiStandIn } from "../support/logs-api-server.js";
import { staticCredential } from "../support/static-credential.js";
import { asIngestedRows, generateStorageFixture } from "../support/storage-fixture.js";
import { trustCertificatePolicy } from "../support/test-tls.js";

const WS = "11111111-2222-4333-8444-555555555555";
const START = Date.parse("2026-11-20T06:00:00Z");
const fixture = generateStorageFixture(START);
const AFTER_ALL = Math.max(...fixture.map((f) => f.ingestedAtMs)) + 5 * 60_000;

/** The fixture plus a crowd at contosoprod: 40 failing addresses (i + 1 failures each) and 60 that only succeed. */
function crowdedRows(): IngestedRow[] {
  const failing = fixture.find(
    (f) => f.request.callerIp === "10.1.0.4" && f.request.statusText === "AuthenticationFailed",
  )!;
  const ok = fixture.find((f) => f.request.callerIp === "10.1.0.7")!;
  const rows = asIngestedRows(fixture);
  const copies = (base: typeof failing, ip: string, n: number) => {
    for (let k = 0; k < n; k++)
      rows.push({
        table: base.table,
        ingestedAt: new Date(base.ingestedAtMs).toISOString(),
        row: {
          ...base.row,
          TimeGenerated: new Date(base.request.timeMs + k * 1000).toISOString(),
          CallerIpAddress: `${ip}:5${String(k).padStart(4, "0")}`,
        },
      });
  };
  for (let i = 0; i < 40; i++) copies(failing, `10.9.0.${i}`, i + 1);
  for (let i = 0; i < 60; i++) copies(ok, `10.8.0.${i}`, i + 1);
  return rows;
}

let standIn: LogsApiStandIn;
beforeAll(async () => {
  standIn = await startLogsApiStandIn();
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  standIn.maxResultRows = 500_000;
  standIn.requests.length = 0;
});

async function collect(caps?: EvidenceQueryCaps, maxSplitDepth = 6) {
  return collectFromLogAnalytics(
    parseLogAnalyticsSettings({
      workspaceIds: [WS],
      endpoint: standIn.endpoint,
      evidenceLookbackMinutes: 600,
      maxSplitDepth,
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
      ...(caps ? { evidenceCaps: caps } : {}),
      windowPolicy: {
        settleMs: 60_000,
        maxIngestionDelayMs: 7_200_000,
        initialLookbackMs: 12 * 3_600_000,
        maxCatchUpMs: 86_400_000,
      },
    },
  );
}

const callersOf = (e: RootCauseEvidence) => new Set(e.callers.map((r) => `${r.account}|${r.caller}`));
const evidenceRequests = () => standIn.requests.filter((r) => r.queryName === "root-cause-evidence");

function sorted(e: RootCauseEvidence) {
  const key = (x: object) => JSON.stringify(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)));
  return {
    callers: e.callers.map(key).sort(),
    activity: e.activity.map(key).sort(),
    accounts: e.accounts.map(key).sort(),
    truncated: e.truncated,
  };
}

describe("root-cause evidence at scale: capped callers, split answers", () => {
  test("callers past the caps are left out and counted: the busiest failing callers per challenge and the busiest that only succeed stay", async () => {
    standIn.setRows(WS, crowdedRows());
    standIn.maxResultRows = 500_000;
    const all = await collect();
    expect(all.evidence.truncated.droppedCallers).toBe(0);
    const caps = { topCallersPerChallenge: 5, topOkCallersPerAccount: 10, accountsPerQuery: 50 };
    standIn.requests.length = 0;
    const capped = await collect(caps);
    expect(evidenceRequests()[0]!.query).toContain("FailingRank <= 5");

    const challenge = "403|AuthenticationFailed|AccountKey";
    const failuresOf = (e: RootCauseEvidence, caller: string) =>
      e.callers.find(
        (r) =>
          r.account === "contosoprod" &&
          r.caller === caller &&
          r.outcome === challenge &&
          r.dimension === "all",
      )?.count;
    const failingBefore = all.evidence.callers.filter(
      (r) => r.account === "contosoprod" && r.outcome === challenge && r.dimension === "all",
    );
    const failingKept = capped.evidence.callers.filter(
      (r) => r.account === "contosoprod" && r.outcome === challenge && r.dimension === "all",
    );
    expect(failingBefore.length).toBeGreaterThan(40);
    expect(failingKept).toHaveLength(5);
    const keptMin = Math.min(...failingKept.map((r) => r.count));
    for (const r of failingBefore)
      if (!failingKept.some((k) => k.caller === r.caller)) expect(r.count).toBeLessThanOrEqual(keptMin);
    // A kept caller keeps all of its records, exactly as without caps.
    for (const r of failingKept) expect(failuresOf(all.evidence, r.caller)).toBe(r.count);
    expect(failingKept.map((r) => r.caller)).toContain("ip:10.9.0.39");

    const okOnly = (e: RootCauseEvidence) =>
      [...callersOf(e)].filter(
        (c) =>
          c.startsWith("contosoprod|") &&
          !e.callers.some((r) => `${r.account}|${r.caller}` === c && r.outcome !== "ok"),
      );
    expect(okOnly(capped.evidence)).toHaveLength(10);
    expect(okOnly(capped.evidence)).toContain("contosoprod|ip:10.8.0.59");

    // Exact totals: every caller left out is counted.
    const dropped = callersOf(all.evidence).size - callersOf(capped.evidence).size;
    expect(dropped).toBeGreaterThan(80);
    expect(capped.evidence.truncated.droppedCallers).toBe(dropped);
    // Activity bins of dropped callers are left out with them.
    const keptCallers = callersOf(capped.evidence);
    expect(capped.evidence.activity.every((b) => keptCallers.has(`${b.account}|${b.caller}`))).toBe(true);
    expect(capped.workspaces[0]!.evidenceComplete).toBe(true);
  });

  test("a truncated answer is asked again in halves, accounts then time, and the halves add up to the whole", async () => {
    standIn.setRows(WS, asIngestedRows(fixture));
    standIn.maxResultRows = 500_000;
    standIn.requests.length = 0;
    const whole = await collect();
    const wholeAnswer =
      whole.evidence.callers.length + whole.evidence.activity.length + whole.evidence.accounts.length;
    expect(evidenceRequests()).toHaveLength(1);

    // Small enough that even one account's answer is too big: the time range is halved too.
    const perAccount = Math.max(
      ...["contosoprod", "contosofiles", "partnerdrop"].map(
        (a) =>
          whole.evidence.callers.filter((r) => r.account === a).length +
          whole.evidence.activity.filter((r) => r.account === a).length,
      ),
    );
    standIn.maxResultRows = Math.floor(perAccount * 0.7);
    expect(standIn.maxResultRows).toBeLessThan(wholeAnswer);
    standIn.requests.length = 0;
    const halved = await collect();
    const asked = evidenceRequests();
    expect(asked.length).toBeGreaterThan(3);
    // contosoprod alone was still too big: its TimeGenerated range was halved.
    expect(asked.filter((r) => /in \("contosoprod"\)/.test(r.query)).length).toBeGreaterThanOrEqual(3);
    expect(halved.workspaces[0]!.evidenceComplete).toBe(true);
    // Each split replaces one query by two.
    expect(asked).toHaveLength(2 * halved.workspaces[0]!.evidenceSplits! + 1);
    expect(sorted(halved.evidence)).toEqual(sorted(whole.evidence));
    standIn.maxResultRows = 500_000;
  });

  test("accounts are queried in groups of accountsPerQuery", async () => {
    standIn.setRows(WS, asIngestedRows(fixture));
    standIn.requests.length = 0;
    const grouped = await collect({ ...DEFAULT_EVIDENCE_QUERY_CAPS, accountsPerQuery: 2 });
    expect(evidenceRequests().map((r) => /tolower\(AccountName\) in \(([^)]*)\)/.exec(r.query)?.[1])).toEqual(
      ['"contosofiles", "contosoprod"', '"partnerdrop"'],
    );
    standIn.requests.length = 0;
    const together = await collect();
    expect(sorted(grouped.evidence)).toEqual(sorted(together.evidence));
  });

  test("past the split limit a truncated answer is kept as partial context, and the run says so", async () => {
    standIn.setRows(WS, asIngestedRows(fixture));
    standIn.maxResultRows = 40;
    const partial = await collect(undefined, 0);
    standIn.maxResultRows = 500_000;
    expect(partial.workspaces[0]!.evidenceComplete).toBe(false);
    expect(partial.evidence.callers.length + partial.evidence.activity.length).toBeGreaterThan(0);
  });

  test("halving: accounts first, then a half-open time range that tiles the whole", () => {
    expect(split(["a", "b", "c"], { fromMs: 0, toMs: 10 })).toEqual([
      [["a", "b"], { fromMs: 0, toMs: 10 }],
      [["c"], { fromMs: 0, toMs: 10 }],
    ]);
    expect(split(["a"], { fromMs: 0, toMs: 10 })).toEqual([
      [["a"], { fromMs: 0, toMs: 5 }],
      [["a"], { fromMs: 5, toMs: 10 }],
    ]);
    expect(split(["a"], { fromMs: 0, toMs: 1 })).toBeUndefined();
  });

  test("every form of the evidence query analyses with zero diagnostics", () => {
    const from = START - 3_600_000;
    const to = START + 3_600_000;
    expect(analyzeKql(rootCauseEvidenceQuery(["contosoprod"], from, to))).toEqual([]);
    expect(
      analyzeKql(
        rootCauseEvidenceQuery(["a", "b"], from, to, {
          topCallersPerChallenge: 3,
          topOkCallersPerAccount: 7,
          accountsPerQuery: 2,
        }),
      ),
    ).toEqual([]);
    const selfContained = rootCauseEvidenceQuery("failing", from, to);
    expect(analyzeKql(selfContained)).toEqual([]);
    expect(selfContained).toContain("tolower(AccountName) in (FailingAccounts)");
  });
});
