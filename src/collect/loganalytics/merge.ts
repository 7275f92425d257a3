import type {
  CallerSummary,
  ClusterKey,
  ClusterPartial,
  SasWindowObservation,
} from "../../model/incident.js";
import { DEFAULT_PARTIAL_CAPS, type PartialCaps } from "./caps.js";

/**
 * Merging partials of the same cluster from disjoint sets of rows (time-window halves, several workspaces).
 * Counts, first/last seen, per-minute bins, versions and SAS windows merge exactly; top callers and samples
 * are exact while each side kept all of its distinct values (below the caps), approximate beyond.
 */

export function clusterKeyString(k: ClusterKey): string {
  return [k.account, k.service, k.operation, String(k.statusCode), k.errorCode, k.authType].join("\u0000");
}

function text(v: string | undefined): string {
  return v ?? "";
}

/** Most failures first; ties by earliest first seen, then by identity, so the order is deterministic. */
export function compareCallers(a: CallerSummary, b: CallerSummary): number {
  return (
    b.count - a.count ||
    a.firstSeen.localeCompare(b.firstSeen) ||
    callerIdentity(a).localeCompare(callerIdentity(b))
  );
}

export function callerIdentity(c: Omit<CallerSummary, "count" | "firstSeen" | "lastSeen">): string {
  return [
    text(c.ip),
    text(c.userAgent),
    text(c.requesterObjectId),
    text(c.requesterUpn),
    text(c.keySlot),
  ].join("\u0000");
}

export function compareSasWindows(a: SasWindowObservation, b: SasWindowObservation): number {
  return b.count - a.count || text(a.st).localeCompare(text(b.st)) || text(a.se).localeCompare(text(b.se));
}

function minIso(a: string, b: string): string {
  return a <= b ? a : b;
}
function maxIso(a: string, b: string): string {
  return a >= b ? a : b;
}

export function mergeCallers(a: CallerSummary[], b: CallerSummary[], cap: number): CallerSummary[] {
  const byIdentity = new Map<string, CallerSummary>();
  for (const c of [...a, ...b]) {
    const id = callerIdentity(c);
    const seen = byIdentity.get(id);
    if (!seen) byIdentity.set(id, { ...c });
    else {
      seen.count += c.count;
      seen.firstSeen = minIso(seen.firstSeen, c.firstSeen);
      seen.lastSeen = maxIso(seen.lastSeen, c.lastSeen);
    }
  }
  return [...byIdentity.values()].sort(compareCallers).slice(0, cap);
}

function mergeSasWindows(
  a: SasWindowObservation[],
  b: SasWindowObservation[],
  cap: number,
): SasWindowObservation[] {
  const byWindow = new Map<string, SasWindowObservation>();
  for (const w of [...a, ...b]) {
    const id = `${text(w.st)}\u0000${text(w.se)}`;
    const seen = byWindow.get(id);
    if (!seen) byWindow.set(id, { ...w });
    else {
      seen.count += w.count;
      seen.expired += w.expired;
      seen.notYetValid += w.notYetValid;
    }
  }
  return [...byWindow.values()].sort(compareSasWindows).slice(0, cap);
}

function mergeSamples(a: string[], b: string[], cap: number): string[] {
  return [...new Set([...a, ...b])].sort().slice(0, cap);
}

export function mergePartial(
  a: ClusterPartial,
  b: ClusterPartial,
  caps: PartialCaps = DEFAULT_PARTIAL_CAPS,
): ClusterPartial {
  const perMinute = new Map(a.perMinute);
  for (const [minute, n] of b.perMinute) perMinute.set(minute, (perMinute.get(minute) ?? 0) + n);
  const operationVersions = { ...a.operationVersions };
  for (const [v, n] of Object.entries(b.operationVersions))
    operationVersions[v] = (operationVersions[v] ?? 0) + n;
  return {
    key: a.key,
    count: a.count + b.count,
    firstSeenMs: Math.min(a.firstSeenMs, b.firstSeenMs),
    lastSeenMs: Math.max(a.lastSeenMs, b.lastSeenMs),
    perMinute,
    callers: mergeCallers(a.callers, b.callers, caps.callers),
    sampleUris: mergeSamples(a.sampleUris, b.sampleUris, caps.sampleUris),
    sampleObjectKeys: mergeSamples(a.sampleObjectKeys, b.sampleObjectKeys, caps.sampleObjectKeys),
    sasWindows: mergeSasWindows(a.sasWindows, b.sasWindows, caps.sasWindows),
    operationVersions,
  };
}

/** Merges any number of partial lists into one partial per cluster key, largest clusters first. */
export function mergePartials(
  lists: ReadonlyArray<readonly ClusterPartial[]>,
  caps: PartialCaps = DEFAULT_PARTIAL_CAPS,
): ClusterPartial[] {
  const byKey = new Map<string, ClusterPartial>();
  for (const list of lists) {
    for (const p of list) {
      const id = clusterKeyString(p.key);
      const seen = byKey.get(id);
      byKey.set(id, seen ? mergePartial(seen, p, caps) : p);
    }
  }
  return [...byKey.values()].sort(
    (x, y) => y.count - x.count || clusterKeyString(x.key).localeCompare(clusterKeyString(y.key)),
  );
}
