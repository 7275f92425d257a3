import type { PartialCaps } from "../../src/collect/loganalytics/caps.js";
import type { CallerSummary, ClusterPartial, SasWindowObservation } from "../../src/model/incident.js";
import { isAuthFailure, keySlotOf, type StorageRequest } from "../../src/model/storage-request.js";
import { redactUri } from "../../src/redact.js";
import { compareText } from "../../src/order.js";

/**
 * The ClusterPartial contract computed directly from StorageRequests, written independently of the Log
 * Analytics code and of the engine's ClusterAggregator: what both must produce for the same rows (the
 * source tests also hold the two paths to each other directly).
 */
export interface ReferencePartial extends ClusterPartial {
  /** Every distinct redacted URI / object key, to check capped samples are drawn from them. */
  allUris: Set<string>;
  allObjectKeys: Set<string>;
}

/**
 * Failures per bucket at the narrowest width of the ladder (1, 5, 15, 60, 360, 1440 minutes, then
 * doubling) at which the cluster fills at most 3,000 buckets.
 */
export function referenceSeries(times: readonly number[]): {
  perMinute: Map<number, number>;
  bucketMinutes?: number;
} {
  const ladder = [1, 5, 15, 60, 360, 1440];
  for (let i = 0; ; i++) {
    const minutes = i < ladder.length ? ladder[i]! : 1440 * 2 ** (i - ladder.length + 1);
    const counts = new Map<number, number>();
    for (const t of times) {
      const start = t - (((t % (minutes * 60_000)) + minutes * 60_000) % (minutes * 60_000));
      counts.set(start, (counts.get(start) ?? 0) + 1);
    }
    if (counts.size <= 3000)
      return minutes === 1 ? { perMinute: counts } : { perMinute: counts, bucketMinutes: minutes };
  }
}

function param(uri: string, name: string): string | undefined {
  const m = new RegExp(`[?&]${name}=([^&#]*)`).exec(uri);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

export function referencePartials(
  requests: readonly StorageRequest[],
  caps: PartialCaps,
): ReferencePartial[] {
  const groups = new Map<string, StorageRequest[]>();
  for (const r of requests) {
    if (!isAuthFailure(r)) continue;
    const id = [r.account, r.service, r.operation, r.statusCode, r.statusText, r.authType].join("\u0000");
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const out: ReferencePartial[] = [];
  for (const group of groups.values()) {
    const r0 = group[0]!;
    const callers = new Map<string, CallerSummary>();
    const sas = new Map<string, SasWindowObservation>();
    const versions: Record<string, number> = {};
    for (const r of group) {
      const slot = keySlotOf(r.authHash);
      const identity = [r.callerIp, r.userAgent, r.requesterObjectId, r.requesterUpn, slot]
        .map((v) => v ?? "")
        .join("\u0000");
      const at = new Date(r.timeMs).toISOString();
      const c = callers.get(identity);
      if (c) {
        c.count++;
        if (!c.requesterUpn && r.requesterUpn) c.requesterUpn = r.requesterUpn;
        if (at < c.firstSeen) c.firstSeen = at;
        if (at > c.lastSeen) c.lastSeen = at;
      } else {
        callers.set(identity, {
          ...(r.callerIp ? { ip: r.callerIp } : {}),
          ...(r.userAgent ? { userAgent: r.userAgent } : {}),
          ...(r.requesterObjectId ? { requesterObjectId: r.requesterObjectId } : {}),
          ...(r.requesterUpn ? { requesterUpn: r.requesterUpn } : {}),
          ...(slot ? { keySlot: slot } : {}),
          count: 1,
          firstSeen: at,
          lastSeen: at,
        });
      }
      const st = r.uri ? param(r.uri, "st") : undefined;
      const se = r.uri ? param(r.uri, "se") : undefined;
      if (st !== undefined || se !== undefined) {
        const id = `${st ?? ""}\u0000${se ?? ""}`;
        const w = sas.get(id) ?? {
          ...(st ? { st } : {}),
          ...(se ? { se } : {}),
          count: 0,
          expired: 0,
          notYetValid: 0,
        };
        w.count++;
        if (se && r.timeMs > Date.parse(se)) w.expired++;
        if (st && r.timeMs < Date.parse(st)) w.notYetValid++;
        sas.set(id, w);
      }
      const version = r.operationVersion || "(none)";
      versions[version] = (versions[version] ?? 0) + 1;
    }
    const identityOf = (c: CallerSummary) =>
      [c.ip, c.requesterObjectId, c.keySlot, c.userAgent].map((v) => v ?? "").join("\u0001");
    const allUris = new Set(
      group
        .map((r) => r.uri)
        .filter((u): u is string => !!u)
        .map(redactUri),
    );
    const allObjectKeys = new Set(group.map((r) => r.objectKey).filter((k): k is string => !!k));
    out.push({
      key: {
        account: r0.account,
        service: r0.service,
        operation: r0.operation,
        statusCode: r0.statusCode!,
        errorCode: r0.statusText,
        authType: r0.authType,
      },
      count: group.length,
      firstSeenMs: Math.min(...group.map((r) => r.timeMs)),
      lastSeenMs: Math.max(...group.map((r) => r.timeMs)),
      ...referenceSeries(group.map((r) => r.timeMs)),
      callers: [...callers.values()]
        .sort(
          (a, b) =>
            b.count - a.count ||
            compareText(a.firstSeen, b.firstSeen) ||
            compareText(identityOf(a), identityOf(b)),
        )
        .slice(0, caps.topCallers),
      sampleUris: [...allUris].sort().slice(0, caps.sampleUris),
      sampleObjectKeys: [...allObjectKeys].sort().slice(0, caps.sampleObjectKeys),
      sasWindows: [...sas.values()]
        .sort(
          (a, b) =>
            b.count - a.count || compareText(a.st ?? "", b.st ?? "") || compareText(a.se ?? "", b.se ?? ""),
        )
        .slice(0, caps.sasWindows),
      operationVersions: Object.fromEntries(Object.entries(versions).sort(([a], [b]) => compareText(a, b))),
      allUris,
      allObjectKeys,
    });
  }
  return out;
}
