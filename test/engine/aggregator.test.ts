import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterAggregator, MAX_KEPT_STRING, mergePartials } from "../../src/cluster/aggregator.js";
import { sasTimesOf } from "../../src/cluster/sas-window.js";
import type { ClusterPartial } from "../../src/model/incident.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { sanitizeLogValue } from "../../src/redact.js";
import { generateAll } from "../sim/scenarios.js";
import { aggregate } from "../support/partial-compare.js";
import { compareText } from "../../src/order.js";

const T0 = Date.parse("2026-11-20T09:00:00Z");

/** What the aggregator keeps of a long value: its start and an ellipsis. */
const clipped = (s: string): string =>
  s.length > MAX_KEPT_STRING ? s.slice(0, MAX_KEPT_STRING - 1) + "…" : s;

function failure(over: Partial<StorageRequest> = {}): StorageRequest {
  return {
    timeMs: T0,
    account: "stacct",
    service: "blob",
    operation: "GetBlob",
    statusCode: 403,
    statusText: "AuthenticationFailed",
    authType: "AccountKey",
    authHash: "key1(" + "A".repeat(64) + ")",
    callerIp: "10.0.0.1",
    userAgent: "azsdk-js-storage-blob/12.26.0",
    operationVersion: "2025-01-05",
    uri: "https://stacct.blob.core.windows.net:443/c/b.txt",
    objectKey: "/stacct/c/b.txt",
    ...over,
  };
}

/** The exact, order-independent part of a partial: counts, times, histogram, SAS and version counts. */
function countsOf(partials: ClusterPartial[]) {
  return partials.map((p) => ({
    key: p.key,
    count: p.count,
    first: p.firstSeenMs,
    last: p.lastSeenMs,
    perMinute: [...p.perMinute].sort((a, b) => a[0] - b[0]),
    bucketMinutes: p.bucketMinutes ?? 1,
    versions: p.operationVersions,
    sas: [...p.sasWindows].sort((a, b) => compareText(`${a.st}${a.se}`, `${b.st}${b.se}`)),
    callerTotal: p.callers.reduce((n, c) => n + c.count, 0),
  }));
}

describe("ClusterAggregator", () => {
  it("counts every row, clusters only 401/403 by (account, service, operation, status, code, auth type)", () => {
    const agg = new ClusterAggregator();
    agg.observe(failure());
    agg.observe(failure({ operation: "PutBlob" }));
    agg.observe(failure({ statusCode: 200, statusText: "Success" }));
    agg.observe(failure({ statusCode: 404, statusText: "BlobNotFound" }));
    agg.observe(failure({ statusCode: null, statusText: "Unknown" }));
    agg.observe(failure({ authType: "SAS" }));
    agg.observe(failure({ statusCode: 401, statusText: "InvalidAuthenticationInfo", authType: "OAuth" }));
    expect(agg.rows).toBe(7);
    expect(agg.failures).toBe(4);
    expect(agg.partials().map((p) => `${p.key.operation}/${p.key.statusCode}/${p.key.authType}`)).toEqual([
      "GetBlob/401/OAuth",
      "GetBlob/403/AccountKey",
      "GetBlob/403/SAS",
      "PutBlob/403/AccountKey",
    ]);
  });

  it("finds a row's cluster as its key string does: spellings of an account, keys that join alike, after a fold", () => {
    const agg = new ClusterAggregator({}, 4);
    const t = (m: number) => T0 + m * 60_000;
    // Two spellings of one account are one cluster; so are fields that join to the same key string
    // (account|service|operation|status|code|auth type).
    agg.observe(failure({ account: "StAcct", timeMs: t(0) }));
    agg.observe(failure({ account: "stacct", timeMs: t(1) }));
    agg.observe(failure({ account: "StAcct", timeMs: t(2) }));
    agg.observe(failure({ operation: "Get|403|x", statusText: "y", timeMs: t(3) }));
    agg.observe(failure({ operation: "Get", statusText: "x|403|y", timeMs: t(4) }));
    agg.observe(failure({ operation: "Get|403|x", statusText: "y", timeMs: t(5) }));
    const counts = () =>
      Object.fromEntries(agg.partials().map((p) => [`${p.key.account}/${p.key.operation}`, p.count]));
    expect(counts()).toEqual({ "StAcct/GetBlob": 3, "stacct/Get|403|x": 3 });
    // A fifth cluster at the cap of 4 folds the smaller half (PutBlob, DeleteBlob); a row of a folded
    // cluster then starts a new one, counted from its own first row.
    agg.observe(failure({ operation: "PutBlob", timeMs: t(6) }));
    agg.observe(failure({ operation: "PutBlob", timeMs: t(6) }));
    agg.observe(failure({ operation: "DeleteBlob", timeMs: t(7) }));
    agg.observe(failure({ operation: "ListBlobs", timeMs: t(8) }));
    expect(agg.folded).toEqual({ failures: 3, clusters: 2 });
    agg.observe(failure({ operation: "PutBlob", timeMs: t(9) }));
    expect(counts()).toEqual({
      "StAcct/GetBlob": 3,
      "stacct/Get|403|x": 3,
      "stacct/ListBlobs": 1,
      "stacct/PutBlob": 1,
    });
    expect(agg.partials().find((p) => p.key.operation === "PutBlob")?.firstSeenMs).toBe(t(9));
  });

  it("memory stays bounded: 50 000 rows with distinct callers, URIs and versions keep capped lists", () => {
    const agg = new ClusterAggregator({
      topCallers: 10,
      sampleUris: 5,
      sampleObjectKeys: 7,
      operationVersions: 4,
    });
    for (let i = 0; i < 50_000; i++) {
      // One heavy hitter (every third row) among tens of thousands of one-off callers.
      const heavy = i % 3 === 0;
      agg.observe(
        failure({
          timeMs: T0 + i * 100,
          callerIp: heavy ? "10.9.9.9" : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          uri: `https://stacct.blob.core.windows.net:443/c/${i}.txt?sv=2022-11-02&se=2027-01-01&sig=s3cr3t${i}`,
          objectKey: `/stacct/c/${i}.txt`,
          operationVersion: `2025-01-${String(i % 30).padStart(2, "0")}`,
        }),
      );
    }
    expect(agg.clusterCount).toBe(1);
    const [p] = agg.partials();
    expect(p!.count).toBe(50_000);
    expect(p!.callers.length).toBe(10);
    expect(p!.callers[0]!.ip).toBe("10.9.9.9");
    expect(p!.callers[0]!.count).toBeGreaterThanOrEqual(16_667);
    expect(p!.sampleUris.length).toBe(5);
    expect(p!.sampleObjectKeys.length).toBe(7);
    expect(Object.keys(p!.operationVersions).length).toBe(5);
    expect(Object.values(p!.operationVersions).reduce((a, b) => a + b, 0)).toBe(50_000);
    expect(p!.perMinute.size).toBe(Math.ceil((50_000 * 100) / 60_000));
    for (const u of p!.sampleUris) {
      expect(u).toContain("sig=REDACTED");
      expect(u).not.toMatch(/s3cr3t/);
    }
  });

  it("keeps user agents and UPNs sanitised however often, and however many distinct ones, they repeat", () => {
    // More distinct user agents than the aggregator's memo of sanitised values holds, each seen twice.
    const rows: StorageRequest[] = [];
    for (let i = 0; i < 3000; i++) {
      const userAgent = `app/${i % 1500} Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln${i % 1500}\u0007`;
      const requesterUpn = `user${i % 1500}@contoso.com\nforged line`;
      rows.push(failure({ callerIp: `10.0.${i % 7}.1`, userAgent, requesterUpn, timeMs: T0 + i }));
    }
    const [p] = aggregate(rows);
    expect(p!.callers.length).toBe(20);
    for (const c of p!.callers) {
      expect(c.userAgent).toMatch(/^app\/\d+ Bearer REDACTED\\u0007$/);
      expect(c.requesterUpn).toMatch(/^user\d+@contoso\.com\\u000aforged line$/);
    }
  });

  it("samples the smallest sanitised URIs and object keys, whatever secrets, control characters and lengths they hold", () => {
    // Sanitizing is skipped for a value that surely cannot be kept: the samples must be exactly those
    // of sanitizing every one.
    const part = fc.constantFrom(
      "https://st.blob.core.windows.net/c/",
      "a",
      "b",
      "?sv=1&sig=",
      "%3Fsig%3D",
      "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln",
      "Bearer abcdefghijk",
      "\u0001",
      "\n",
      "z".repeat(MAX_KEPT_STRING - 5),
    );
    const value = fc.array(part, { minLength: 1, maxLength: 5 }).map((p) => p.join(""));
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 40 }), (pairs) => {
        const a = new ClusterAggregator({ sampleUris: 3, sampleObjectKeys: 4 });
        for (const [uri, objectKey] of pairs) a.observe(failure({ uri, objectKey }));
        const smallest = (values: string[], cap: number) =>
          [...new Set(values.map((v) => clipped(sanitizeLogValue(v))))].sort().slice(0, cap);
        const [p] = a.partials();
        expect(p!.sampleUris).toEqual(
          smallest(
            pairs.map(([u]) => u),
            3,
          ),
        );
        expect(p!.sampleObjectKeys).toEqual(
          smallest(
            pairs.map(([, k]) => k),
            4,
          ),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("keeps at most MAX_KEPT_STRING characters of any log-derived string", () => {
    const huge = "x".repeat(100_000);
    const [p] = aggregate([
      failure({ userAgent: huge, objectKey: huge, uri: "https://a/" + huge, operationVersion: huge }),
    ]);
    expect(p!.callers[0]!.userAgent!.length).toBe(MAX_KEPT_STRING);
    expect(p!.sampleObjectKeys[0]!.length).toBe(MAX_KEPT_STRING);
    expect(p!.sampleUris[0]!.length).toBe(MAX_KEPT_STRING);
    expect(Object.keys(p!.operationVersions)[0]!.length).toBe(MAX_KEPT_STRING);
  });

  it("reads SAS st/se from the Uri and counts expired and not-yet-valid against the request time", () => {
    expect(
      sasTimesOf(
        "https://a/c/b?sv=2022-11-02&st=2026-11-20T09%3A10%3A00Z&se=2026-11-20T10%3A00%3A00Z&sig=XXXXX",
      ),
    ).toMatchObject({
      st: "2026-11-20T09:10:00Z",
      se: "2026-11-20T10:00:00Z",
    });
    expect(sasTimesOf("https://a/c/b?comp=list")).toBeUndefined();
    const uri = "https://a/c/b?st=2026-11-20T09%3A10%3A00Z&se=2026-11-20T09%3A20%3A00Z&sig=XXXXX";
    const rows = [
      failure({ timeMs: T0 + 5 * 60_000, authType: "SAS", uri }), // before st
      failure({ timeMs: T0 + 15 * 60_000, authType: "SAS", uri }), // inside
      failure({ timeMs: T0 + 25 * 60_000, authType: "SAS", uri }), // after se
      failure({ timeMs: T0 + 26 * 60_000, authType: "SAS", uri }),
    ];
    const [p] = aggregate(rows);
    expect(p!.sasWindows).toEqual([
      { st: "2026-11-20T09:10:00Z", se: "2026-11-20T09:20:00Z", count: 4, expired: 2, notYetValid: 1 },
    ]);
  });

  it("splitting a stream anywhere and merging the halves gives the same counts as one pass", () => {
    const rows = generateAll({ seed: 11 }).requests;
    const whole = countsOf(aggregate(rows));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: rows.length }),
        fc.integer({ min: 0, max: rows.length }),
        (a, b) => {
          const [i, j] = a < b ? [a, b] : [b, a];
          const parts = [rows.slice(0, i), rows.slice(i, j), rows.slice(j)].map(aggregate);
          expect(countsOf(mergePartials(parts.flat()))).toEqual(whole);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("hands its series over when the scan is over, as they are, and takes no 401/403 after", () => {
    const rows = generateAll({ seed: 5 }).requests;
    const counting = new ClusterAggregator();
    const over = new ClusterAggregator();
    for (const r of rows) {
      counting.observe(r);
      over.observe(r);
    }
    const before = counting.partials();
    const final = over.finalPartials();
    expect(final).toEqual(before);
    // A snapshot's series are copies: the aggregator counts on without changing them.
    const { errorCode, ...key } = before[0]!.key;
    const again = failure({ ...key, statusText: errorCode, timeMs: before[0]!.lastSeenMs + 60_000 });
    counting.observe(again);
    expect(counting.partials()[0]!.count).toBe(before[0]!.count + 1);
    expect(before).toEqual(final);
    // After the final partials, a 401/403 would count into series they hold: refused.
    expect(() => over.observe(again)).toThrow(/after the aggregator's final partials/);
    over.observe(failure({ statusCode: 200, statusText: "Success" }));
    expect(over.finalPartials()).toEqual(final);
  });

  it("merge is associative and commutative on counts", () => {
    const rows = generateAll({ seed: 5 }).requests.filter(
      (r) => r.statusCode === 403 || r.statusCode === 401,
    );
    const chunk = (k: number) => aggregate(rows.filter((_, idx) => idx % 3 === k));
    const [a, b, c] = [chunk(0), chunk(1), chunk(2)];
    const ab_c = mergePartials([...mergePartials([...a, ...b]), ...c]);
    const a_bc = mergePartials([...a, ...mergePartials([...b, ...c])]);
    const cba = mergePartials([...c, ...b, ...a]);
    expect(countsOf(ab_c)).toEqual(countsOf(a_bc));
    expect(countsOf(ab_c)).toEqual(countsOf(cba));
    expect(countsOf(ab_c)).toEqual(countsOf(aggregate(rows)));
  });

  it("merge does not depend on the order of its inputs, and a merged partial merges to itself", () => {
    const rows = generateAll({ seed: 7 }).requests;
    const chunk = (k: number) => aggregate(rows.filter((_, idx) => idx % 3 === k));
    const [a, b, c] = [chunk(0), chunk(1), chunk(2)];
    const abc = mergePartials([...a, ...b, ...c]);
    expect(mergePartials([...c, ...a, ...b])).toEqual(abc);
    expect(mergePartials(abc)).toEqual(abc);
    const whole = aggregate(rows);
    expect(mergePartials(whole)).toEqual(whole);
  });

  it("merge keeps the largest SAS windows and versions; the rest are summed in one entry", () => {
    const base = aggregate([failure()])[0]!;
    const w = (st: string, count: number) => ({ st, count, expired: count, notYetValid: 0 });
    const left: ClusterPartial = {
      ...base,
      sasWindows: [w("1", 5), w("2", 1)],
      operationVersions: { a: 5, b: 1 },
    };
    const right: ClusterPartial = {
      ...base,
      sasWindows: [w("3", 2), w("2", 1), { count: 4, expired: 0, notYetValid: 4 }],
      operationVersions: { c: 3, "(other)": 2 },
    };
    const caps = { sasWindows: 2, operationVersions: 2 };
    const [m] = mergePartials([left, right], caps);
    expect(m!.sasWindows).toEqual([w("1", 5), w("2", 2), { count: 6, expired: 2, notYetValid: 4 }]);
    expect(m!.operationVersions).toEqual({ "(other)": 3, a: 5, c: 3 });
    // Merged under caps, it merges to itself: the incident builder takes totalsOf's output as it is.
    expect(mergePartials([m!], caps)).toEqual([m]);
  });

  it("merge redacts sample URIs coming from other sources and keeps lists bounded", () => {
    const base = aggregate([failure()])[0]!;
    const foreign: ClusterPartial = {
      ...base,
      sampleUris: Array.from({ length: 20 }, (_, i) => `https://x/c/${i}?sig=leak${i}`),
      callers: Array.from({ length: 50 }, (_, i) => ({
        ip: `10.1.1.${i}`,
        count: i + 1,
        firstSeen: new Date(T0).toISOString(),
        lastSeen: new Date(T0).toISOString(),
      })),
    };
    const [m] = mergePartials([base, foreign]);
    expect(m!.sampleUris.length).toBeLessThanOrEqual(5);
    expect(m!.sampleUris.join(" ")).not.toMatch(/leak/);
    expect(m!.callers.length).toBe(20);
    expect(m!.callers[0]!.count).toBe(50);
    expect(m!.count).toBe(2);
  });
});
