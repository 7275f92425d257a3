import type {
  CallerSummary,
  ClusterKey,
  ClusterPartial,
  SasWindowObservation,
} from "../../model/incident.js";
import { DEFAULT_PARTIAL_CAPS, OTHER_VERSIONS, type PartialCaps } from "./caps.js";

/**
 * Merging partials of the same cluster from disjoint sets of rows (time-window halves, several workspaces,
 * several runs). It follows the local engine's rules (src/cluster/aggregator.ts) so both paths agree:
 * counts, first/last seen, per-minute bins, versions and SAS windows merge exactly; top callers and
 * samples are exact while each side kept all of its distinct values (below the caps).
 */

/** The account is case-insensitive, as incident ids are. */
export function clusterKeyString(k: ClusterKey): string {
  return [k.account.toLowerCase(), k.service, k.operation, k.statusCode, k.errorCode, k.authType].join("|");
}

/** A caller's identity, as the engine's callerKeyOf: the UPN is an attribute, not part of the identity. */
export function callerIdentity(
  c: Pick<CallerSummary, "ip" | "requesterObjectId" | "keySlot" | "userAgent">,
): string {
  return [c.ip ?? "", c.requesterObjectId ?? "", c.keySlot ?? "", c.userAgent ?? ""].join("\u0001");
}

/** Most failures first; ties by identity, so the order never depends on arrival (the engine's sortCallers). */
export function compareCallers(a: CallerSummary, b: CallerSummary): number {
  return b.count - a.count || callerIdentity(a).localeCompare(callerIdentity(b));
}

export function compareSasWindows(a: SasWindowObservation, b: SasWindowObservation): number {
  return (
    b.count - a.count || (a.st ?? "").localeCompare(b.st ?? "") || (a.se ?? "").localeCompare(b.se ?? "")
  );
}

export function mergeCallers(lists: ReadonlyArray<readonly CallerSummary[]>, cap: number): CallerSummary[] {
  const byIdentity = new Map<string, CallerSummary>();
  for (const list of lists) {
    for (const c of list) {
      const id = callerIdentity(c);
      const seen = byIdentity.get(id);
      if (!seen) {
        byIdentity.set(id, { ...c });
        continue;
      }
      seen.count += c.count;
      if (c.firstSeen < seen.firstSeen) seen.firstSeen = c.firstSeen;
      if (c.lastSeen > seen.lastSeen) seen.lastSeen = c.lastSeen;
      if (!seen.requesterUpn && c.requesterUpn) seen.requesterUpn = c.requesterUpn;
    }
  }
  return [...byIdentity.values()].sort(compareCallers).slice(0, cap);
}

/** Distinct (st, se) windows up to the cap (largest totals kept); the rest go to one entry without st/se. */
export function mergeSasWindows(
  lists: ReadonlyArray<readonly SasWindowObservation[]>,
  cap: number,
): SasWindowObservation[] {
  const sums = new Map<string, SasWindowObservation>();
  const other: SasWindowObservation = { count: 0, expired: 0, notYetValid: 0 };
  const add = (into: SasWindowObservation, w: SasWindowObservation) => {
    into.count += w.count;
    into.expired += w.expired;
    into.notYetValid += w.notYetValid;
  };
  for (const w of lists.flat()) {
    if (w.st === undefined && w.se === undefined) {
      add(other, w);
      continue;
    }
    const id = `${w.st ?? ""}\u0001${w.se ?? ""}`;
    const seen = sums.get(id);
    if (seen) add(seen, w);
    else sums.set(id, { ...w });
  }
  const ranked = [...sums.values()].sort(compareSasWindows);
  for (const w of ranked.slice(cap)) add(other, w);
  return [...ranked.slice(0, cap), ...(other.count > 0 ? [other] : [])];
}

/** Version counts; values beyond the cap (fewest failures first to go) are summed under OTHER_VERSIONS. */
export function mergeVersions(
  lists: ReadonlyArray<Readonly<Record<string, number>>>,
  cap: number,
): Record<string, number> {
  const sums = new Map<string, number>();
  for (const list of lists) for (const [v, n] of Object.entries(list)) sums.set(v, (sums.get(v) ?? 0) + n);
  const ranked = [...sums]
    .filter(([v]) => v !== OTHER_VERSIONS)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const out = new Map<string, number>(ranked.slice(0, cap));
  const overflow = ranked.slice(cap).reduce((n, [, c]) => n + c, 0) + (sums.get(OTHER_VERSIONS) ?? 0);
  if (overflow > 0) out.set(OTHER_VERSIONS, overflow);
  return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
}

function mergeSamples(lists: ReadonlyArray<readonly string[]>, cap: number): string[] {
  return [...new Set(lists.flat())].sort().slice(0, cap);
}

/** Merges any number of partial lists into one partial per cluster key, in cluster-key order. */
export function mergePartials(
  lists: ReadonlyArray<readonly ClusterPartial[]>,
  caps: PartialCaps = DEFAULT_PARTIAL_CAPS,
): ClusterPartial[] {
  const groups = new Map<string, ClusterPartial[]>();
  for (const list of lists) {
    for (const p of list) {
      const id = clusterKeyString(p.key);
      groups.set(id, [...(groups.get(id) ?? []), p]);
    }
  }
  return [...groups.keys()].sort().map((id) => {
    const parts = groups.get(id)!;
    const perMinute = new Map<number, number>();
    for (const p of parts) for (const [m, n] of p.perMinute) perMinute.set(m, (perMinute.get(m) ?? 0) + n);
    return {
      key: { ...parts[0]!.key },
      count: parts.reduce((n, p) => n + p.count, 0),
      firstSeenMs: Math.min(...parts.map((p) => p.firstSeenMs)),
      lastSeenMs: Math.max(...parts.map((p) => p.lastSeenMs)),
      perMinute: new Map([...perMinute].sort((a, b) => a[0] - b[0])),
      callers: mergeCallers(
        parts.map((p) => p.callers),
        caps.callers,
      ),
      sampleUris: mergeSamples(
        parts.map((p) => p.sampleUris),
        caps.sampleUris,
      ),
      sampleObjectKeys: mergeSamples(
        parts.map((p) => p.sampleObjectKeys),
        caps.sampleObjectKeys,
      ),
      sasWindows: mergeSasWindows(
        parts.map((p) => p.sasWindows),
        caps.sasWindows,
      ),
      operationVersions: mergeVersions(
        parts.map((p) => p.operationVersions),
        caps.operationVersions,
      ),
    };
  });
}
