import { expect } from "vitest";
import { ClusterAggregator, clusterKeyString } from "../../src/cluster/aggregator.js";
import type { ClusterPartial } from "../../src/model/incident.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import type { ReferencePartial } from "./reference-partials.js";
import { compareText } from "../../src/order.js";

/** The partials one ClusterAggregator with the default limits keeps for `rows`, in one pass. */
export function aggregate(rows: readonly StorageRequest[]): ClusterPartial[] {
  const agg = new ClusterAggregator();
  for (const r of rows) agg.observe(r);
  return agg.partials();
}

/** The exactly-comparable part of a partial (samples are compared as subsets: a capped sample set is any N). */
export function comparable(p: ClusterPartial) {
  return {
    key: clusterKeyString(p.key).split("\u0000").join(" | "),
    count: p.count,
    firstSeen: new Date(p.firstSeenMs).toISOString(),
    lastSeen: new Date(p.lastSeenMs).toISOString(),
    perMinute: [...p.perMinute.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([m, n]) => [new Date(m).toISOString(), n]),
    bucketMinutes: p.bucketMinutes ?? 1,
    callers: p.callers,
    sasWindows: p.sasWindows,
    operationVersions: Object.fromEntries(Object.entries(p.operationVersions).sort()),
    sampleUriCount: p.sampleUris.length,
    sampleObjectKeyCount: p.sampleObjectKeys.length,
  };
}

function byKey(a: { key: string }, b: { key: string }): number {
  return compareText(a.key, b.key);
}

/** Asserts that partials equal the reference: exact aggregates, samples drawn from the right sets. */
export function expectSamePartials(
  actual: readonly ClusterPartial[],
  reference: readonly ReferencePartial[],
): void {
  const expected = reference.map((r) => ({
    ...comparable(r),
    sampleUriCount: Math.min(r.sampleUris.length, r.allUris.size),
    sampleObjectKeyCount: Math.min(r.sampleObjectKeys.length, r.allObjectKeys.size),
  }));
  expect(actual.map(comparable).sort(byKey)).toEqual(expected.sort(byKey));
  const refByKey = new Map(reference.map((r) => [clusterKeyString(r.key), r]));
  for (const p of actual) {
    const r = refByKey.get(clusterKeyString(p.key))!;
    for (const u of p.sampleUris)
      expect(r.allUris.has(u), `sample URI ${u} comes from the cluster`).toBe(true);
    for (const k of p.sampleObjectKeys)
      expect(r.allObjectKeys.has(k), `object key ${k} comes from the cluster`).toBe(true);
    for (const u of p.sampleUris) expect(u).not.toMatch(/sig=(?!REDACTED)/);
  }
}
