import {
  bucketMinutesOf,
  bucketStartMs,
  isoSeriesAt,
  toIsoSeries,
  type IsoSeries,
} from "../cluster/failure-series.js";
import type { CallerSummary, ChangeCandidate, Incident } from "../model/incident.js";

/**
 * Folding one run's view of an incident into the stored one. Runs overlap (lookback, ingestion delay),
 * so the same failures are seen more than once: per-minute counts are merged by maximum per minute, and
 * the incident's total grows only by what a minute gained. Lists stay bounded. A series widened past
 * 3,000 failing minutes (a catch-up over more than two days) merges by bucket at the wider width.
 */
export const HISTORY_MS = 48 * 3_600_000;
const MAX_CALLERS = 50;
const MAX_SAMPLES = 10;
const MAX_SAS_WINDOWS = 20;

/**
 * One caller seen by two runs over overlapping windows: the larger count, with the overcount that came
 * with it (the two are one table's figures), the earliest first and latest last sighting.
 */
function mergedCaller(seen: CallerSummary, c: CallerSummary): CallerSummary {
  const larger = c.count >= seen.count ? c : seen;
  const { overcount: _dropped, ...merged } = { ...seen, ...c };
  return {
    ...merged,
    count: larger.count,
    ...(larger.overcount ? { overcount: larger.overcount } : {}),
    firstSeen: minIso(seen.firstSeen, c.firstSeen),
    lastSeen: maxIso(seen.lastSeen, c.lastSeen),
  };
}

export function callerKey(c: CallerSummary): string {
  if (c.requesterObjectId) return `oid:${c.requesterObjectId.toLowerCase()}`;
  if (c.requesterUpn) return `upn:${c.requesterUpn.toLowerCase()}`;
  if (c.ip) return `ip:${c.ip}`;
  return `ua:${c.userAgent ?? ""}`;
}

/**
 * Identity of a cause across runs. An activity-log change is one event (its time is part of it); a
 * change seen in the logs is re-derived from each run's window, so its time drifts: it is keyed by what
 * changed and where only.
 */
export function causeKey(c: ChangeCandidate): string {
  const base = [c.source, c.operation.toLowerCase(), c.resourceId.toLowerCase()];
  return (c.source === "activity" ? [...base, c.time] : base).join("|");
}

/**
 * Peak failures in any 5-minute bucket (UTC-aligned) starting at or after `sinceMs`. A series of wider
 * buckets cannot show a 5-minute peak: its buckets give their mean 5-minute rate, rounded up.
 */
export function peakRatePer5Min(incident: IsoSeries, sinceMs = -Infinity): number {
  const width = bucketMinutesOf(incident);
  const fives = new Map<number, number>();
  let peak = 0;
  for (const [start, n] of isoSeriesAt(incident)) {
    if (start < sinceMs) continue;
    if (width > 5) peak = Math.max(peak, Math.ceil((n * 5) / width));
    else {
      const five = bucketStartMs(start, 5);
      fives.set(five, (fives.get(five) ?? 0) + n);
    }
  }
  for (const n of fives.values()) peak = Math.max(peak, n);
  return peak;
}

/** Failures at or after `sinceMs` according to the histogram (buckets that start at or after it). */
export function failuresSince(incident: IsoSeries, sinceMs: number): number {
  let n = 0;
  for (const [minute, c] of incident.perMinute) if (Date.parse(minute) >= sinceMs) n += c;
  return n;
}

function unionSorted<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...new Set([...a, ...b])].sort();
}

function minIso(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}
function maxIso(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export function mergeIncident(prev: Incident, next: Incident): Incident {
  const width = Math.max(bucketMinutesOf(prev), bucketMinutesOf(next));
  const buckets = isoSeriesAt(prev, width);
  let gained = 0;
  for (const [b, n] of isoSeriesAt(next, width)) {
    const before = buckets.get(b) ?? 0;
    if (n > before) {
      gained += n - before;
      buckets.set(b, n);
    }
  }
  const newest = Math.max(...buckets.keys(), 0);
  for (const b of [...buckets.keys()]) if (b <= newest - HISTORY_MS) buckets.delete(b);
  const perMinute = toIsoSeries(buckets);

  const callers = new Map<string, CallerSummary>();
  for (const c of [...prev.callers, ...next.callers]) {
    const k = callerKey(c);
    const seen = callers.get(k);
    callers.set(k, seen ? mergedCaller(seen, c) : c);
  }

  const clusters = new Map(prev.clusters.map((c) => [`${c.service}|${c.operation}`, c]));
  for (const c of next.clusters) {
    const k = `${c.service}|${c.operation}`;
    const seen = clusters.get(k);
    clusters.set(
      k,
      seen
        ? {
            ...c,
            count: Math.max(seen.count, c.count),
            firstSeen: minIso(seen.firstSeen, c.firstSeen),
            lastSeen: maxIso(seen.lastSeen, c.lastSeen),
          }
        : c,
    );
  }

  const sas = new Map(prev.sasWindows.map((w) => [`${w.st}|${w.se}`, w]));
  for (const w of next.sasWindows) {
    const k = `${w.st}|${w.se}`;
    const seen = sas.get(k);
    sas.set(
      k,
      seen
        ? {
            ...w,
            count: Math.max(seen.count, w.count),
            expired: Math.max(seen.expired, w.expired),
            notYetValid: Math.max(seen.notYetValid, w.notYetValid),
          }
        : w,
    );
  }

  const operationVersions = { ...prev.operationVersions };
  for (const [v, n] of Object.entries(next.operationVersions)) {
    operationVersions[v] = Math.max(operationVersions[v] ?? 0, n);
  }

  return {
    ...next,
    services: unionSorted(prev.services, next.services),
    operations: unionSorted(prev.operations, next.operations),
    count: prev.count + gained,
    firstSeen: minIso(prev.firstSeen, next.firstSeen),
    lastSeen: maxIso(prev.lastSeen, next.lastSeen),
    clusters: [...clusters.values()].sort((a, b) => b.count - a.count),
    callers: [...callers.values()].sort((a, b) => b.count - a.count).slice(0, MAX_CALLERS),
    perMinute,
    ...(width === 1 ? {} : { bucketMinutes: width }),
    sampleUris: [...new Set([...next.sampleUris, ...prev.sampleUris])].slice(0, MAX_SAMPLES),
    sampleObjectKeys: [...new Set([...next.sampleObjectKeys, ...prev.sampleObjectKeys])].slice(
      0,
      MAX_SAMPLES,
    ),
    sasWindows: [...sas.values()].sort((a, b) => b.count - a.count).slice(0, MAX_SAS_WINDOWS),
    operationVersions,
    changes: mergeChanges(prev, next),
    clockSkew: next.clockSkew.suspected || !prev.clockSkew.suspected ? next.clockSkew : prev.clockSkew,
    severity: Math.max(prev.severity, next.severity),
  };
}

/**
 * Causes are ranked against the incident's onset. A run whose window starts after the stored onset sees
 * only the tail: its "onset" is the window's start, so its ranking (and any change it reads in the logs)
 * is an artefact of the window. The stored ranking, made when the onset was in view, is kept; only
 * activity changes from before the real onset that it did not know yet (activity logs arrive 3–20 min
 * late) are added after it.
 */
function mergeChanges(prev: Incident, next: Incident): ChangeCandidate[] {
  const onsetMs = Date.parse(prev.firstSeen);
  const sawOnset = Date.parse(next.firstSeen) <= onsetMs;
  if (sawOnset || prev.changes.length === 0) return next.changes.length > 0 ? next.changes : prev.changes;
  const known = new Set(prev.changes.map(causeKey));
  const late = next.changes.filter(
    (c) => c.source === "activity" && Date.parse(c.time) <= onsetMs && !known.has(causeKey(c)),
  );
  return [...prev.changes, ...late];
}
