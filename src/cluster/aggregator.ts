import type { RecordObserver } from "../engine/contracts.js";
import type { ClusterKey, ClusterPartial, SasWindowObservation } from "../model/incident.js";
import { isAuthFailure, keySlotOf, type StorageRequest } from "../model/storage-request.js";
import { detach } from "../detach.js";
import { redactUri, sanitizedPrefixLength, sanitizeLogValue } from "../redact.js";
import { EvidenceAccumulator, mergeEvidence } from "../remedy/evidence.js";
import { addFailures, bucketStartMs, sumSeries } from "./failure-series.js";
import { SasTimesCache, sasWindowKey } from "./sas-window.js";
import { SeenClusters } from "./seen-clusters.js";
import { TopCallers } from "./top-callers.js";
import { compareText } from "../order.js";

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

export function minuteOf(timeMs: number): number {
  return bucketStartMs(timeMs, 1);
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
  bucketMinutes?: number;
  callers: TopCallers;
  sampleUris: string[];
  /** The raw URI sampled last (a copy), so a URI repeated by retries is redacted once. */
  lastRawUri: string | undefined;
  sampleObjectKeys: string[];
  sasWindows: Map<string, SasWindowObservation>;
  operationVersions: Map<string, number>;
  evidence: EvidenceAccumulator;
}

/**
 * Keeps the `cap` smallest distinct values, sorted: the same set whatever the arrival order, and the set
 * mergeSamples keeps when partials of any split of the rows are merged.
 */
function keepSmallest(list: string[], value: string | undefined, cap: number): void {
  if (!value) return;
  if (list.length >= cap && value >= list[list.length - 1]!) return;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === value) return;
  list.splice(lo, 0, value);
  if (list.length > cap) list.pop();
}

function addCapped(map: Map<string, number>, key: string, n: number, cap: number, other: string): void {
  const known = map.get(key);
  if (known !== undefined) map.set(key, known + n);
  else if (map.size < cap) map.set(key, n);
  else map.set(other, (map.get(other) ?? 0) + n);
}

const OTHER_SAS_WINDOW = "\u0000other";

/** Longest log-derived string kept in a partial: bounds memory per cluster whatever a row carries. */
export const MAX_KEPT_STRING = 1024;

function clip(s: string): string {
  return s.length > MAX_KEPT_STRING ? s.slice(0, MAX_KEPT_STRING - 1) + "…" : s;
}

/**
 * keepSmallest of the sanitized and clipped `raw`, sanitized only when it may be kept: both keep the
 * start of `raw` (sanitizedPrefixLength), so when `raw` already differs there from the largest value
 * kept, and is greater, so is what it would become. With a new URI on most 401/403 rows, sanitizing
 * each (seven secret patterns) was a fifth of clustering them (BENCHMARKS.md, ninth round).
 */
function keepSmallestSanitized(list: string[], raw: string, cap: number): void {
  if (list.length >= cap && surelyNotBelow(raw, list[list.length - 1]!)) return;
  keepSmallest(list, clip(sanitizeLogValue(raw)), cap);
}

/**
 * Whether clip(sanitizeLogValue(raw)) is surely at least `largest`, decided on the part they share:
 * what it becomes starts with raw's first `kept` characters, and when those already sort after
 * `largest`, so does the whole. Two native comparisons instead of a walk over the prefix they share (a
 * cluster's URIs share some 80 characters): over the bench's 36,199 401/403 URIs, 15-18 ms before and
 * 11-15 after, most of the rest being sanitizedPrefixLength's two pattern searches.
 */
function surelyNotBelow(raw: string, largest: string): boolean {
  if (raw <= largest) return false;
  const kept = Math.min(sanitizedPrefixLength(raw), MAX_KEPT_STRING - 1);
  return (kept === raw.length ? raw : raw.slice(0, kept)) > largest;
}

/** Distinct user agents and UPNs remembered sanitised; past it, the memo starts over. */
const SANITIZED_MEMO_SIZE = 1024;

/**
 * `sanitizeLogValue` of values that repeat row after row (user agents, UPNs), worked out once each: its
 * secret patterns cost more per row than the rest of a 401/403's clustering.
 */
class SanitizedValues {
  private readonly known = new Map<string, string>();

  of(raw: string): string {
    let clean = this.known.get(raw);
    if (clean === undefined) {
      const key = detach(raw);
      clean = sanitizeLogValue(key);
      if (this.known.size >= SANITIZED_MEMO_SIZE) this.known.clear();
      this.known.set(key, clean);
    }
    return clean;
  }
}

/** Counts `obs` under `key` (sasWindowKey of its st and se) in `map`, past `cap` keys in one without them. */
function addSasWindow(
  map: Map<string, SasWindowObservation>,
  key: string,
  obs: SasWindowObservation,
  cap: number,
): void {
  let e = map.get(key);
  if (!e && map.size >= cap) e = map.get((key = OTHER_SAS_WINDOW));
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
  /**
   * What the cluster cap folded away (exact): 401/403 rows no longer in any kept cluster, and how many
   * cluster entries were folded (a cluster folded twice, after it came back, counts twice).
   */
  readonly folded = { failures: 0, clusters: 0 };
  /** Earliest and latest request time observed (any status), NaN before the first row. */
  minTimeMs = Number.NaN;
  maxTimeMs = Number.NaN;
  private readonly clusters = new Map<string, ClusterState>();
  private readonly seen = new SeenClusters<ClusterState>();
  private readonly sasTimes = new SasTimesCache();
  private readonly sanitized = new SanitizedValues();
  readonly limits: ClusterLimits;

  /**
   * `maxClusters` bounds memory whatever the number of accounts: when a new cluster arrives at the cap,
   * the half of the clusters with the fewest failures is folded into `folded` (their counts exactly, the
   * rest of their detail dropped), so large clusters survive a flood of small ones.
   */
  constructor(
    limits: Partial<ClusterLimits> = {},
    readonly maxClusters: number = Number.POSITIVE_INFINITY,
  ) {
    this.limits = { ...DEFAULT_CLUSTER_LIMITS, ...limits };
    if (!(maxClusters >= 1)) throw new RangeError("maxClusters must be at least 1");
  }

  get clusterCount(): number {
    return this.clusters.size;
  }

  /** Counts a request at `timeMs` in the rows and their span: all `observe` does with a success. */
  countRow(timeMs: number): void {
    this.rows++;
    if (Number.isNaN(this.minTimeMs) || timeMs < this.minTimeMs) this.minTimeMs = timeMs;
    if (Number.isNaN(this.maxTimeMs) || timeMs > this.maxTimeMs) this.maxTimeMs = timeMs;
  }

  observe(r: StorageRequest): void {
    this.countRow(r.timeMs);
    if (!isAuthFailure(r)) return;
    if (this.over) throw new Error("a 401/403 observed after the aggregator's final partials");
    this.failures++;

    const c = this.seen.clusterOf(r) ?? this.clusterOfKey(r);
    c.count++;
    if (r.timeMs < c.firstSeenMs) c.firstSeenMs = r.timeMs;
    if (r.timeMs > c.lastSeenMs) c.lastSeenMs = r.timeMs;
    addFailures(c, r.timeMs);

    const identity: Parameters<TopCallers["add"]>[0] = {};
    if (r.callerIp) identity.ip = r.callerIp;
    if (r.userAgent) identity.userAgent = clip(this.sanitized.of(r.userAgent));
    if (r.requesterObjectId) identity.requesterObjectId = r.requesterObjectId;
    if (r.requesterUpn) identity.requesterUpn = this.sanitized.of(r.requesterUpn);
    const slot = keySlotOf(r.authHash);
    if (slot) identity.keySlot = slot;
    c.callers.add(identity, r.timeMs);

    // A retry storm repeats one URI: redacted once while it repeats. Only the last is remembered, and
    // compared before it is copied: a memo of every raw URI seen filled the old generation with copies.
    if (r.uri && r.uri !== c.lastRawUri) {
      c.lastRawUri = detach(r.uri);
      keepSmallestSanitized(c.sampleUris, r.uri, this.limits.sampleUris);
    }
    if (r.objectKey) keepSmallestSanitized(c.sampleObjectKeys, r.objectKey, this.limits.sampleObjectKeys);

    const sas = this.sasTimes.get(r.uri);
    if (sas) {
      const obs: SasWindowObservation = {
        count: 1,
        expired: sas.seMs !== undefined && r.timeMs > sas.seMs ? 1 : 0,
        notYetValid: sas.stMs !== undefined && r.timeMs < sas.stMs ? 1 : 0,
      };
      if (sas.st !== undefined) obs.st = sas.st;
      if (sas.se !== undefined) obs.se = sas.se;
      addSasWindow(c.sasWindows, sas.window, obs, this.limits.sasWindows);
    }
    addCapped(
      c.operationVersions,
      r.operationVersion ? clip(r.operationVersion) : NO_VERSION,
      1,
      this.limits.operationVersions,
      OTHER_VERSIONS,
    );
    c.evidence.observe(r);
  }

  /**
   * The cluster of a row SeenClusters did not know: found or made by its key string, as
   * clusterKeyString(clusterKeyOf(r)) gives it without the key object. Joined, not a template: a
   * concatenation is a chain the map lookup must first flatten.
   */
  private clusterOfKey(r: StorageRequest): ClusterState {
    const key = [r.account.toLowerCase(), r.service, r.operation, r.statusCode, r.statusText, r.authType];
    const ks = key.join("|");
    let c = this.clusters.get(ks);
    if (c) {
      // Remembered from a cluster's second row on: over a million accounts of a row each, remembering
      // every first row raised the peak by some 20 MB (entries that live until the next fold are
      // promoted, and pile up as old garbage until a full collection).
      this.seen.add(r, c);
      return c;
    }
    if (this.clusters.size >= this.maxClusters) this.foldSmallest();
    c = {
      key: clusterKeyOf(r),
      count: 0,
      firstSeenMs: r.timeMs,
      lastSeenMs: r.timeMs,
      perMinute: new Map(),
      callers: new TopCallers(this.limits.topCallers),
      sampleUris: [],
      lastRawUri: undefined,
      sampleObjectKeys: [],
      sasWindows: new Map(),
      operationVersions: new Map(),
      evidence: new EvidenceAccumulator(),
    };
    this.clusters.set(ks, c);
    return c;
  }

  /** Folds the half of the clusters with the fewest failures (ties: the later cluster key first). */
  private foldSmallest(): void {
    const ranked = [...this.clusters].sort((a, b) => a[1].count - b[1].count || (a[0] < b[0] ? 1 : -1));
    const n = Math.max(1, Math.floor(ranked.length / 2));
    for (let i = 0; i < n; i++) {
      const [ks, c] = ranked[i]!;
      this.folded.failures += c.count;
      this.folded.clusters++;
      this.clusters.delete(ks);
    }
    this.seen.clear();
  }

  /** Snapshot of the clusters, in cluster-key order so output does not depend on arrival order. */
  partials(): ClusterPartial[] {
    return this.partialsOf(false);
  }

  /**
   * The partials of a scan that is over: the clusters' series are handed over, not copied (300 clusters
   * held some 240,000 buckets, copied to outlive the aggregator). Nothing may be observed after.
   */
  finalPartials(): ClusterPartial[] {
    this.over = true;
    return this.partialsOf(true);
  }

  /** finalPartials was called: a 401/403 observed now would count into series a partial holds. */
  private over = false;

  private partialsOf(handOver: boolean): ClusterPartial[] {
    const out: ClusterPartial[] = [];
    for (const ks of [...this.clusters.keys()].sort()) {
      const c = this.clusters.get(ks)!;
      out.push({
        key: { ...c.key },
        count: c.count,
        firstSeenMs: c.firstSeenMs,
        lastSeenMs: c.lastSeenMs,
        // Else a copy: the cluster's series goes on counting, and sumSeries may hand back what it is given.
        ...sumSeries([
          { perMinute: handOver ? c.perMinute : new Map(c.perMinute), bucketMinutes: c.bucketMinutes },
        ]),
        callers: c.callers.summaries(),
        // Sorted as mergePartials leaves them, so a partial reads the same before and after a merge.
        sampleUris: [...c.sampleUris].sort(),
        sampleObjectKeys: [...c.sampleObjectKeys].sort(),
        sasWindows: [...c.sasWindows.values()].map((w) => ({ ...w })).sort(compareSasWindows),
        operationVersions: Object.fromEntries([...c.operationVersions].sort(([a], [b]) => compareText(a, b))),
        remedyEvidence: c.evidence.snapshot(),
      });
    }
    return out;
  }
}

/** Most failures first; ties by st, then se, so the order never depends on arrival. */
export function compareSasWindows(a: SasWindowObservation, b: SasWindowObservation): number {
  return b.count - a.count || compareText(a.st ?? "", b.st ?? "") || compareText(a.se ?? "", b.se ?? "");
}

function addSasCounts(into: SasWindowObservation, w: SasWindowObservation): void {
  into.count += w.count;
  into.expired += w.expired;
  into.notYetValid += w.notYetValid;
}

/**
 * Distinct (st, se) windows summed; the `cap` largest are kept, the rest (and entries already without
 * st/se, an earlier overflow) are summed in one last entry without st/se.
 */
export function mergeSasWindows(
  lists: ReadonlyArray<readonly SasWindowObservation[]>,
  cap: number,
): SasWindowObservation[] {
  const sums = new Map<string, SasWindowObservation>();
  const other: SasWindowObservation = { count: 0, expired: 0, notYetValid: 0 };
  for (const list of lists) {
    for (const w of list) {
      if (w.st === undefined && w.se === undefined) {
        addSasCounts(other, w);
        continue;
      }
      const id = sasWindowKey(w.st, w.se);
      const seen = sums.get(id);
      if (seen) addSasCounts(seen, w);
      else sums.set(id, { ...w });
    }
  }
  const ranked = [...sums.values()].sort(compareSasWindows);
  for (const w of ranked.slice(cap)) addSasCounts(other, w);
  return other.count > 0 ? [...ranked.slice(0, cap), other] : ranked.slice(0, cap);
}

/**
 * OperationVersion counts summed; the `cap` most frequent are kept, the rest are summed under
 * OTHER_VERSIONS. Keys in sorted order.
 */
export function mergeVersions(
  lists: ReadonlyArray<Readonly<Record<string, number>>>,
  cap: number,
): Record<string, number> {
  const sums = new Map<string, number>();
  for (const list of lists) {
    for (const [v, n] of Object.entries(list)) {
      const kept = clip(v);
      sums.set(kept, (sums.get(kept) ?? 0) + n);
    }
  }
  const ranked = [...sums]
    .filter(([v]) => v !== OTHER_VERSIONS)
    .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  const out = new Map<string, number>(ranked.slice(0, cap));
  const overflow = ranked.slice(cap).reduce((n, [, c]) => n + c, 0) + (sums.get(OTHER_VERSIONS) ?? 0);
  if (overflow > 0) out.set(OTHER_VERSIONS, overflow);
  return Object.fromEntries([...out].sort(([a], [b]) => compareText(a, b)));
}

/** Distinct values in sorted order, the first `cap` kept: the same whichever side a value came from. */
export function mergeSamples(lists: ReadonlyArray<readonly string[]>, cap: number): string[] {
  const distinct = new Set<string>();
  for (const list of lists) for (const v of list) if (v !== "") distinct.add(clip(v));
  return [...distinct].sort().slice(0, cap);
}

function mergeGroup(parts: readonly ClusterPartial[], limits: ClusterLimits): ClusterPartial {
  const merged = mergeGroupAggregates(parts, limits);
  const evidence = mergeEvidence(parts.map((p) => p.remedyEvidence));
  if (evidence) merged.remedyEvidence = evidence;
  return merged;
}

function mergeGroupAggregates(parts: readonly ClusterPartial[], limits: ClusterLimits): ClusterPartial {
  let count = 0;
  let firstSeenMs = Number.POSITIVE_INFINITY;
  let lastSeenMs = Number.NEGATIVE_INFINITY;
  for (const p of parts) {
    count += p.count;
    if (p.firstSeenMs < firstSeenMs) firstSeenMs = p.firstSeenMs;
    if (p.lastSeenMs > lastSeenMs) lastSeenMs = p.lastSeenMs;
  }
  return {
    key: { ...parts[0]!.key },
    count,
    firstSeenMs,
    lastSeenMs,
    ...sumSeries(parts),
    callers: TopCallers.merge(
      limits.topCallers,
      parts.map((p) => p.callers),
    ),
    sampleUris: mergeSamples(
      parts.map((p) => p.sampleUris.map(redactUri)),
      limits.sampleUris,
    ),
    sampleObjectKeys: mergeSamples(
      parts.map((p) => p.sampleObjectKeys),
      limits.sampleObjectKeys,
    ),
    sasWindows: mergeSasWindows(
      parts.map((p) => p.sasWindows),
      limits.sasWindows,
    ),
    operationVersions: mergeVersions(
      parts.map((p) => p.operationVersions),
      limits.operationVersions,
    ),
  };
}

/**
 * Merges partials of the same cluster (split windows, several files, workspaces or archive accounts)
 * into one partial per cluster key, in cluster-key order. Counts, first/last seen and histograms are
 * exact sums; callers, SAS windows and versions keep the largest totals and samples the smallest values,
 * so the result never depends on the order of the partials. Partials from any source are accepted, so
 * sample URIs are redacted again here.
 */
export function mergePartials(
  partials: readonly ClusterPartial[],
  limits: Partial<ClusterLimits> = {},
): ClusterPartial[] {
  const lim = { ...DEFAULT_CLUSTER_LIMITS, ...limits };
  const groups = new Map<string, ClusterPartial[]>();
  for (const p of partials) {
    const ks = clusterKeyString(p.key);
    const group = groups.get(ks);
    if (group) group.push(p);
    else groups.set(ks, [p]);
  }
  return [...groups.keys()].sort().map((ks) => mergeGroup(groups.get(ks)!, lim));
}
