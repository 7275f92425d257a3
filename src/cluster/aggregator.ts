import type { RecordObserver } from "../engine/contracts.js";
import type { ClusterKey, ClusterPartial, SasWindowObservation } from "../model/incident.js";
import { isAuthFailure, keySlotOf, type StorageRequest } from "../model/storage-request.js";
import { redactUri } from "../redact.js";
import { SasTimesCache } from "./sas-window.js";
import { TopCallers, sortCallers } from "./top-callers.js";

/** Bounds per cluster: memory grows with the number of clusters, never with the number of rows. */
export interface ClusterLimits {
  topCallers: number;
  sampleUris: number;
  sampleObjectKeys: number;
  /** Distinct (st, se) pairs kept; further pairs are counted in one entry without st/se. */
  sasWindows: number;
  /** Distinct OperationVersion values kept; further values are counted under OTHER_VERSIONS. */
  operationVersions: number;
}

export const DEFAULT_CLUSTER_LIMITS: ClusterLimits = {
  topCallers: 20,
  sampleUris: 5,
  sampleObjectKeys: 10,
  sasWindows: 20,
  operationVersions: 20,
};

export const OTHER_VERSIONS = "(other)";
/** OperationVersion bucket for requests that sent no x-ms-version. */
export const NO_VERSION = "(none)";
const MINUTE_MS = 60_000;

export function minuteOf(timeMs: number): number {
  return Math.floor(timeMs / MINUTE_MS) * MINUTE_MS;
}

/** Cluster key of a 401/403 request: the error code is StatusText, the auth type as logged. */
export function clusterKeyOf(r: StorageRequest): ClusterKey {
  return {
    account: r.account,
    service: r.service,
    operation: r.operation,
    statusCode: r.statusCode ?? 0,
    errorCode: r.statusText,
    authType: r.authType,
  };
}

/** String form of a cluster key; the account is case-insensitive, as incident ids are. */
export function clusterKeyString(k: ClusterKey): string {
  return `${k.account.toLowerCase()}|${k.service}|${k.operation}|${k.statusCode}|${k.errorCode}|${k.authType}`;
}

interface ClusterState {
  key: ClusterKey;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  perMinute: Map<number, number>;
  callers: TopCallers;
  sampleUris: string[];
  /** Raw URIs already sampled, so each is redacted once. */
  sampledRawUris: Set<string>;
  sampleObjectKeys: string[];
  sasWindows: Map<string, SasWindowObservation>;
  operationVersions: Map<string, number>;
}

function pushCapped(list: string[], value: string | undefined, cap: number): void {
  if (!value || list.length >= cap || list.includes(value)) return;
  list.push(value);
}

function addCapped(map: Map<string, number>, key: string, n: number, cap: number, other: string): void {
  const target = map.has(key) || map.size < cap ? key : other;
  map.set(target, (map.get(target) ?? 0) + n);
}

const OTHER_SAS_WINDOW = "\u0000other";

/** Longest log-derived string kept in a partial: bounds memory per cluster whatever a row carries. */
export const MAX_KEPT_STRING = 1024;

function clip(s: string): string {
  return s.length > MAX_KEPT_STRING ? s.slice(0, MAX_KEPT_STRING - 1) + "…" : s;
}

function addSasWindow(map: Map<string, SasWindowObservation>, obs: SasWindowObservation, cap: number): void {
  let key = `${obs.st ?? ""}\u0001${obs.se ?? ""}`;
  if (!map.has(key) && map.size >= cap) key = OTHER_SAS_WINDOW;
  const e = map.get(key);
  if (!e) {
    const fresh: SasWindowObservation = {
      count: obs.count,
      expired: obs.expired,
      notYetValid: obs.notYetValid,
    };
    if (key !== OTHER_SAS_WINDOW) {
      if (obs.st !== undefined) fresh.st = obs.st;
      if (obs.se !== undefined) fresh.se = obs.se;
    }
    map.set(key, fresh);
    return;
  }
  e.count += obs.count;
  e.expired += obs.expired;
  e.notYetValid += obs.notYetValid;
}

/**
 * Streaming aggregation of requests into cluster partials. Every request is counted; only 401/403
 * requests are clustered, keyed by (account, service, operation, status, error code, auth type).
 */
export class ClusterAggregator implements RecordObserver {
  /** Every request observed. */
  rows = 0;
  /** 401/403 requests observed. */
  failures = 0;
  /** Earliest and latest request time observed (any status), NaN before the first row. */
  minTimeMs = Number.NaN;
  maxTimeMs = Number.NaN;
  private readonly clusters = new Map<string, ClusterState>();
  private readonly sasTimes = new SasTimesCache();
  readonly limits: ClusterLimits;

  constructor(limits: Partial<ClusterLimits> = {}) {
    this.limits = { ...DEFAULT_CLUSTER_LIMITS, ...limits };
  }

  get clusterCount(): number {
    return this.clusters.size;
  }

  observe(r: StorageRequest): void {
    this.rows++;
    if (Number.isNaN(this.minTimeMs) || r.timeMs < this.minTimeMs) this.minTimeMs = r.timeMs;
    if (Number.isNaN(this.maxTimeMs) || r.timeMs > this.maxTimeMs) this.maxTimeMs = r.timeMs;
    if (!isAuthFailure(r)) return;
    this.failures++;

    // Same string as clusterKeyString(clusterKeyOf(r)), without building the key object per row.
    const ks = `${r.account.toLowerCase()}|${r.service}|${r.operation}|${r.statusCode}|${r.statusText}|${r.authType}`;
    let c = this.clusters.get(ks);
    if (!c) {
      c = {
        key: clusterKeyOf(r),
        count: 0,
        firstSeenMs: r.timeMs,
        lastSeenMs: r.timeMs,
        perMinute: new Map(),
        callers: new TopCallers(this.limits.topCallers),
        sampleUris: [],
        sampledRawUris: new Set(),
        sampleObjectKeys: [],
        sasWindows: new Map(),
        operationVersions: new Map(),
      };
      this.clusters.set(ks, c);
    }
    c.count++;
    if (r.timeMs < c.firstSeenMs) c.firstSeenMs = r.timeMs;
    if (r.timeMs > c.lastSeenMs) c.lastSeenMs = r.timeMs;
    const minute = minuteOf(r.timeMs);
    c.perMinute.set(minute, (c.perMinute.get(minute) ?? 0) + 1);

    const identity: Parameters<TopCallers["add"]>[0] = {};
    if (r.callerIp) identity.ip = r.callerIp;
    if (r.userAgent) identity.userAgent = clip(r.userAgent);
    if (r.requesterObjectId) identity.requesterObjectId = r.requesterObjectId;
    if (r.requesterUpn) identity.requesterUpn = r.requesterUpn;
    const slot = keySlotOf(r.authHash);
    if (slot) identity.keySlot = slot;
    c.callers.add(identity, r.timeMs);

    if (r.uri && c.sampleUris.length < this.limits.sampleUris && !c.sampledRawUris.has(r.uri)) {
      c.sampledRawUris.add(r.uri);
      pushCapped(c.sampleUris, clip(redactUri(r.uri)), this.limits.sampleUris);
    }
    if (r.objectKey) pushCapped(c.sampleObjectKeys, clip(r.objectKey), this.limits.sampleObjectKeys);

    const sas = this.sasTimes.get(r.uri);
    if (sas) {
      const obs: SasWindowObservation = {
        count: 1,
        expired: sas.seMs !== undefined && r.timeMs > sas.seMs ? 1 : 0,
        notYetValid: sas.stMs !== undefined && r.timeMs < sas.stMs ? 1 : 0,
      };
      if (sas.st !== undefined) obs.st = sas.st;
      if (sas.se !== undefined) obs.se = sas.se;
      addSasWindow(c.sasWindows, obs, this.limits.sasWindows);
    }
    addCapped(
      c.operationVersions,
      r.operationVersion ? clip(r.operationVersion) : NO_VERSION,
      1,
      this.limits.operationVersions,
      OTHER_VERSIONS,
    );
  }

  /** Snapshot of the clusters, in cluster-key order so output does not depend on arrival order. */
  partials(): ClusterPartial[] {
    const out: ClusterPartial[] = [];
    for (const ks of [...this.clusters.keys()].sort()) {
      const c = this.clusters.get(ks)!;
      out.push({
        key: { ...c.key },
        count: c.count,
        firstSeenMs: c.firstSeenMs,
        lastSeenMs: c.lastSeenMs,
        perMinute: new Map([...c.perMinute].sort((a, b) => a[0] - b[0])),
        callers: c.callers.summaries(),
        sampleUris: [...c.sampleUris],
        sampleObjectKeys: [...c.sampleObjectKeys],
        sasWindows: [...c.sasWindows.values()].map((w) => ({ ...w })),
        operationVersions: Object.fromEntries(
          [...c.operationVersions].sort(([a], [b]) => a.localeCompare(b)),
        ),
      });
    }
    return out;
  }
}

function mergeTwo(a: ClusterPartial, b: ClusterPartial, limits: ClusterLimits): ClusterPartial {
  const perMinute = new Map(a.perMinute);
  for (const [m, n] of b.perMinute) perMinute.set(m, (perMinute.get(m) ?? 0) + n);
  const sampleUris = [...a.sampleUris];
  for (const u of b.sampleUris) pushCapped(sampleUris, redactUri(u), limits.sampleUris);
  const sampleObjectKeys = [...a.sampleObjectKeys];
  for (const k of b.sampleObjectKeys) pushCapped(sampleObjectKeys, k, limits.sampleObjectKeys);
  const sas = new Map<string, SasWindowObservation>();
  for (const w of [...a.sasWindows, ...b.sasWindows]) addSasWindow(sas, w, limits.sasWindows);
  const versions = new Map<string, number>();
  for (const src of [a.operationVersions, b.operationVersions]) {
    for (const [v, n] of Object.entries(src)) {
      addCapped(versions, clip(v), n, limits.operationVersions, OTHER_VERSIONS);
    }
  }
  return {
    key: { ...a.key },
    count: a.count + b.count,
    firstSeenMs: Math.min(a.firstSeenMs, b.firstSeenMs),
    lastSeenMs: Math.max(a.lastSeenMs, b.lastSeenMs),
    perMinute: new Map([...perMinute].sort((x, y) => x[0] - y[0])),
    callers: TopCallers.merge(limits.topCallers, [a.callers, b.callers]),
    sampleUris,
    sampleObjectKeys,
    sasWindows: [...sas.values()],
    operationVersions: Object.fromEntries([...versions].sort(([x], [y]) => x.localeCompare(y))),
  };
}

/**
 * Merges partials of the same cluster (split windows, several workspaces or archive accounts) into one
 * partial per cluster key. Counts, first/last seen, histograms and SAS/version counts are exact sums,
 * so the merge is associative and commutative on them; bounded lists keep the largest/first entries.
 * Partials from any source are accepted, so sample URIs are redacted again here.
 */
export function mergePartials(
  partials: readonly ClusterPartial[],
  limits: Partial<ClusterLimits> = {},
): ClusterPartial[] {
  const lim = { ...DEFAULT_CLUSTER_LIMITS, ...limits };
  const byKey = new Map<string, ClusterPartial>();
  for (const p of partials) {
    const ks = clusterKeyString(p.key);
    const existing = byKey.get(ks);
    if (existing) {
      byKey.set(ks, mergeTwo(existing, p, lim));
    } else {
      byKey.set(ks, {
        ...p,
        key: { ...p.key },
        perMinute: new Map([...p.perMinute].sort((x, y) => x[0] - y[0])),
        callers: sortCallers(p.callers.map((c) => ({ ...c }))).slice(0, lim.topCallers),
        sampleUris: p.sampleUris.map(redactUri).slice(0, lim.sampleUris),
        sampleObjectKeys: p.sampleObjectKeys.slice(0, lim.sampleObjectKeys),
        sasWindows: p.sasWindows.map((w) => ({ ...w })),
        operationVersions: { ...p.operationVersions },
      });
    }
  }
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}
