import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClusterAggregator, mergePartials } from "../../src/cluster/aggregator.js";
import {
  addFailures,
  MAX_SERIES_BUCKETS,
  sumSeries,
  toIsoSeries,
  type FailureSeries,
} from "../../src/cluster/failure-series.js";
import { main } from "../../src/cli/main.js";
import { toTimeline } from "../../src/dashboard/api.js";
import { mergeIncident, peakRatePer5Min } from "../../src/lifecycle/merge.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { captureIo } from "../cli/io.js";
import { storageRequestsToNdjson } from "../sim/forms.js";
import { analyzeJson } from "../support/analyze-json.js";
import { aggregate } from "../support/partial-compare.js";
import { referenceSeries } from "../support/reference-partials.js";
import { fixtureIncident } from "../timer/fixtures.js";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;

function failure(timeMs: number, operation = "GetBlob"): StorageRequest {
  return {
    timeMs,
    account: "stseries",
    service: "blob",
    operation,
    statusCode: 403,
    statusText: "AuthorizationPermissionMismatch",
    authType: "OAuth",
    requesterObjectId: "0b0b0b0b-1111-4222-8333-444444444444",
    callerIp: "10.1.2.3",
    userAgent: "azsdk-js-storage-blob/12.26.0",
    operationVersion: "2025-01-05",
    uri: "https://stseries.blob.core.windows.net:443/c/b.txt",
    objectKey: "/stseries/c/b.txt",
  };
}

function total(series: { perMinute: ReadonlyMap<number, number> }): number {
  let n = 0;
  for (const c of series.perMinute.values()) n += c;
  return n;
}

describe("a cluster's failure series", () => {
  it("stays per minute up to the cap and widens to 5-minute buckets one failing minute past it", () => {
    const series: FailureSeries = { perMinute: new Map() };
    for (let m = 0; m < MAX_SERIES_BUCKETS; m++) addFailures(series, T0 + m * MINUTE + 1_000);
    expect(series.bucketMinutes).toBeUndefined();
    expect(series.perMinute.size).toBe(MAX_SERIES_BUCKETS);
    addFailures(series, T0 + MAX_SERIES_BUCKETS * MINUTE);
    expect(series.bucketMinutes).toBe(5);
    expect(series.perMinute.size).toBe(MAX_SERIES_BUCKETS / 5 + 1);
    expect(total(series)).toBe(MAX_SERIES_BUCKETS + 1);
  });

  it("a month failing every minute is kept in 15-minute buckets with every failure counted", () => {
    const series: FailureSeries = { perMinute: new Map() };
    for (let m = 0; m < 30 * 1440; m++) addFailures(series, T0 + m * MINUTE, 2);
    expect(series.bucketMinutes).toBe(15);
    expect(series.perMinute.size).toBe((30 * 1440) / 15);
    expect(total(series)).toBe(2 * 30 * 1440);
  });

  it("sums series into ascending buckets, whatever order their failures came in", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 4000 * MINUTE }), { maxLength: 300 }), { maxLength: 4 }),
        fc.boolean(),
        (parts, sortFirst) => {
          const series = parts.map((times) => {
            const s: FailureSeries = { perMinute: new Map() };
            for (const t of sortFirst ? [...times].sort((a, b) => a - b) : times) addFailures(s, T0 + t);
            return s;
          });
          const sum = sumSeries(series);
          const keys = [...sum.perMinute.keys()];
          expect(keys).toEqual([...keys].sort((a, b) => a - b));
          expect(total(sum)).toBe(parts.reduce((n, times) => n + times.length, 0));
          expect(sum.perMinute.size).toBeLessThanOrEqual(MAX_SERIES_BUCKETS);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a series summed alone is handed back when it already is a sum, and summed like any other when not", () => {
    const general = (s: FailureSeries): FailureSeries => sumSeries([s, { perMinute: new Map() }]);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4000 * MINUTE }), { maxLength: 300 }),
        fc.boolean(),
        (times, sortFirst) => {
          const s: FailureSeries = { perMinute: new Map() };
          for (const t of sortFirst ? [...times].sort((a, b) => a - b) : times) addFailures(s, T0 + t);
          const before = [...s.perMinute];
          const sum = sumSeries([s]);
          expect([...sum.perMinute]).toEqual([...general(s).perMinute]);
          expect(sum.bucketMinutes).toBe(general(s).bucketMinutes);
          expect([...s.perMinute]).toEqual(before);
          const ascending = before.every(([m], i) => i === 0 || m > before[i - 1]![0]);
          expect(sum.perMinute === s.perMinute).toBe(ascending);
        },
      ),
      { numRuns: 200 },
    );
    // A series found to be a sum, then given a bucket out of order, is no longer one: summed, sorted.
    const grown: FailureSeries = { perMinute: new Map([[T0 + 2 * MINUTE, 1]]) };
    expect(sumSeries([grown]).perMinute).toBe(grown.perMinute);
    addFailures(grown, T0 + 2 * MINUTE);
    expect(sumSeries([grown]).perMinute).toBe(grown.perMinute);
    addFailures(grown, T0);
    expect([...sumSeries([grown]).perMinute]).toEqual([
      [T0, 1],
      [T0 + 2 * MINUTE, 2],
    ]);
    // Nor is one read at another width than it was found a sum at.
    const sum = sumSeries([{ perMinute: new Map([[T0 + MINUTE, 1]]) }]);
    expect([...sumSeries([{ ...sum, bucketMinutes: 5 }]).perMinute]).toEqual([[T0, 1]]);
    // Buckets not on their width's boundaries, or more than the cap holds, are summed, never handed back.
    const misaligned: FailureSeries = { perMinute: new Map([[T0 + MINUTE, 2]]), bucketMinutes: 5 };
    expect([...sumSeries([misaligned]).perMinute]).toEqual([[T0, 2]]);
    const overfull: FailureSeries = {
      perMinute: new Map(Array.from({ length: MAX_SERIES_BUCKETS + 1 }, (_, m) => [T0 + m * MINUTE, 1])),
    };
    const fitted = sumSeries([overfull]);
    expect(fitted.bucketMinutes).toBe(5);
    expect(total(fitted)).toBe(MAX_SERIES_BUCKETS + 1);
  });

  it("a cluster's partial keeps its series as it was when taken, while the aggregator goes on counting", () => {
    const aggregator = new ClusterAggregator();
    aggregator.observe(failure(T0));
    aggregator.observe(failure(T0 + MINUTE));
    const [taken] = aggregator.partials();
    aggregator.observe(failure(T0 + MINUTE));
    aggregator.observe(failure(T0 + 2 * MINUTE));
    expect([...taken!.perMinute]).toEqual([
      [T0, 1],
      [T0 + MINUTE, 1],
    ]);
    expect([...aggregator.partials()[0]!.perMinute]).toEqual([
      [T0, 1],
      [T0 + MINUTE, 2],
      [T0 + 2 * MINUTE, 1],
    ]);
  });

  it("any split of the rows, merged, gives the one-pass series, which is the reference's", () => {
    const time = fc.integer({ min: 0, max: 20 * 1440 * MINUTE });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(time, fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 6000 }),
        fc.integer({ min: 1, max: 60 }),
        (spec, clump) => {
          // Clumped times make runs that stay narrow as well as runs that widen.
          const rows = spec.map(([t, part]) => ({ r: failure(T0 + Math.floor(t / clump)), part }));
          const whole = aggregate(rows.map((x) => x.r));
          const parts = [0, 1, 2].map((k) => aggregate(rows.filter((x) => x.part === k).map((x) => x.r)));
          const merged = mergePartials(parts.flat());
          const ref = referenceSeries(rows.map((x) => x.r.timeMs));
          for (const p of [whole[0]!, merged[0]!]) {
            expect(p.bucketMinutes).toBe(ref.bucketMinutes);
            expect([...p.perMinute]).toEqual([...ref.perMinute].sort((a, b) => a[0] - b[0]));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("a widened series through analyze, the lifecycle and the dashboard", () => {
  const dir = mkdtempSync(join(tmpdir(), "series-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Three days failing every minute, over two operations of one challenge: one incident.
  const rows = Array.from({ length: 3 * 1440 }, (_, m) =>
    failure(T0 + m * MINUTE + 7_000, m % 2 ? "GetBlob" : "PutBlob"),
  );
  const file = join(dir, "three-days.ndjson");
  writeFileSync(file, storageRequestsToNdjson(rows));

  it("the report carries the widened series, its width and every failure; text gives the peak per bucket", async () => {
    const { code, result } = await analyzeJson(["--logs", file, "--threads", "1"]);
    expect(code).toBe(0);
    const [incident] = result.incidents;
    expect(incident!.count).toBe(3 * 1440);
    expect(incident!.bucketMinutes).toBe(5);
    expect(incident!.perMinute).toHaveLength((3 * 1440) / 5);
    expect(incident!.perMinute.reduce((n, [, c]) => n + c, 0)).toBe(3 * 1440);
    expect(incident!.perMinute[0]).toEqual(["2026-11-01T00:00:00.000Z", 5]);
    expect(result.summarised?.series).toEqual({ cap: 3000, incidents: 1, widestBucketMinutes: 5 });

    const io = captureIo();
    expect(await main(["analyze", "--logs", file, "--format", "text"], io)).toBe(0);
    expect(io.out()).toContain("peak 5 per 5 min at 2026-11-01 00:00:00 UTC");
    expect(io.out()).toContain(
      "Failure series: 1 incident(s) failed in more than 3000 distinct minutes; their failures over time are counted in buckets of up to 5 minutes",
    );
  });

  it("lifecycle merges a per-minute view into a widened one by bucket, and rates it by its mean", () => {
    const minutes = (from: number, n: number, each: number): Array<[string, number]> =>
      Array.from({ length: n }, (_, i) => [new Date(from + i * MINUTE).toISOString(), each]);
    const prev = fixtureIncident({ perMinute: minutes(T0, 10, 3) });
    const next = {
      ...fixtureIncident({ perMinute: [[new Date(T0).toISOString(), 60]] }),
      bucketMinutes: 60,
    };
    const merged = mergeIncident(prev, next);
    expect(merged.bucketMinutes).toBe(60);
    expect(merged.perMinute).toEqual([[new Date(T0).toISOString(), 60]]);
    expect(merged.count).toBe(30 + 30);
    expect(peakRatePer5Min(merged)).toBe(5);
    expect(peakRatePer5Min(prev)).toBe(15);
  });

  it("the dashboard's timeline is never finer than the incident's buckets", () => {
    const t = toTimeline({
      perMinute: [
        [new Date(T0).toISOString(), 40],
        [new Date(T0 + 120 * MINUTE).toISOString(), 7],
      ],
      bucketMinutes: 60,
    });
    expect(t).toEqual({ start: new Date(T0).toISOString(), bucketMinutes: 60, counts: [40, 0, 7] });
  });
});

describe("series times", () => {
  it("writes each bucket's start as Date's toISOString does, before 1970 and past year 9999 too", () => {
    const ms = fc.oneof(
      // Bucket starts (whole minutes) over ±100,000 years, and any millisecond.
      fc.integer({ min: -52_560_000_000, max: 52_560_000_000 }).map((m) => m * MINUTE),
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(ms, { maxLength: 40 }), (starts) => {
        const counts = new Map(starts.map((t, i) => [t, i + 1]));
        const want = [...counts].sort((a, b) => a[0] - b[0]).map(([t, n]) => [new Date(t).toISOString(), n]);
        expect(toIsoSeries(counts)).toEqual(want);
        // In time order already, as sumSeries leaves them: written without sorting, the same.
        expect(toIsoSeries(new Map([...counts].sort((a, b) => a[0] - b[0])))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
