import { createHash } from "node:crypto";
import { ClusterAggregator, mergePartials, minuteOf, type ClusterLimits } from "../cluster/aggregator.js";
import {
  emptyEvidence,
  EvidenceObserver,
  mergeEvidence,
  mergeOwnedEvidence,
  type RootCauseEvidence,
} from "../correlate/evidence.js";
import type { RecordObserver } from "./contracts.js";
import {
  challengeOf,
  incidentIdOf,
  type ClusterKey,
  type ClusterPartial,
  type SasWindowObservation,
  type CallerSummary,
} from "../model/incident.js";
import type { StorageRequest } from "../model/storage-request.js";
import { compareText } from "../order.js";

/**
 * The one merge of partial results. Every source (files, Log Analytics, archive blobs) and every run of
 * the timer summarises what it read as **slices**: cluster partials plus root-cause evidence of a known
 * set of rows. Merging is a union of slices, so it is associative, commutative and idempotent:
 *
 * - a **time slice** holds every row with TimeGenerated in [fromMs, toMs); a slice inside another one
 *   holds a subset of its rows and adds nothing (runs whose windows overlap count each failure once),
 *   disjoint slices add up. Windowed reads are cut on the minute grid (`SlicingObserver`) so slices are
 *   always nested or disjoint.
 * - a **read slice** is an incremental read (Log Analytics by ingestion time, archive blobs by offset):
 *   reads never overlap, so they add up; the same read merged twice (two overlapping runs) is recognised
 *   by its id, a digest of what it holds, and counts once.
 *
 * Totals are `mergePartials` and `mergeEvidence` over the remaining slices; caps are applied by them and,
 * for the incident, by the incident builder: after the merge, in one place.
 */
export interface TimeSpan {
  kind: "time";
  fromMs: number;
  toMs: number;
}

export interface ReadSpan {
  kind: "read";
  id: string;
  /** Earliest and latest row time in the read (epoch ms); NaN-free, used to age reads out. */
  fromMs: number;
  toMs: number;
}

export interface Slice {
  span: TimeSpan | ReadSpan;
  /** Rows in the slice, and 401/403 rows among them. */
  rows: number;
  failures: number;
  partials: ClusterPartial[];
  evidence: RootCauseEvidence;
}

export interface PartialResult {
  slices: Slice[];
}

const MINUTE_MS = 60_000;

function contains(a: TimeSpan, b: TimeSpan): boolean {
  return a.fromMs <= b.fromMs && b.toMs <= a.toMs;
}

function spanKey(s: Slice): string {
  return s.span.kind === "time" ? `t|${s.span.fromMs}|${s.span.toMs}` : `r|${s.span.id}`;
}

/** Larger spans first, then by start: the canonical order merging and compaction use. */
function compareSlices(a: Slice, b: Slice): number {
  const la = a.span.toMs - a.span.fromMs;
  const lb = b.span.toMs - b.span.fromMs;
  return lb - la || a.span.fromMs - b.span.fromMs || compareText(spanKey(a), spanKey(b));
}

/**
 * Union of slices. A time slice contained in another one is dropped (idempotent overlap); equal read ids
 * count once. The result depends only on the set of slices, never on their order.
 */
export function mergeResults(...parts: readonly PartialResult[]): PartialResult {
  const reads = new Map<string, Slice>();
  const times: Slice[] = [];
  for (const p of parts) {
    for (const s of p.slices) {
      if (s.span.kind === "read") {
        if (!reads.has(s.span.id)) reads.set(s.span.id, s);
      } else times.push(s);
    }
  }
  times.sort(compareSlices);
  const kept: Slice[] = [];
  for (const s of times) {
    // Largest first: a slice is kept unless a kept one already holds its rows.
    if (kept.some((k) => contains(k.span as TimeSpan, s.span as TimeSpan))) continue;
    kept.push(s);
  }
  return { slices: [...kept, ...reads.values()].sort(compareSlices) };
}

/**
 * Totals over every slice: the cluster partials and evidence one pass over the same rows gives. `owned`
 * when nothing else holds the slices' evidence or reads it again (mergeOwnedEvidence).
 */
export function totalsOf(
  result: PartialResult,
  limits: Partial<ClusterLimits> = {},
  owned = false,
): { partials: ClusterPartial[]; evidence: RootCauseEvidence; rows: number; failures: number } {
  const slices = [...result.slices].sort(compareSlices);
  const evidence = slices.map((s) => s.evidence);
  return {
    partials: mergePartials(
      slices.flatMap((s) => s.partials),
      limits,
    ),
    evidence: owned ? mergeOwnedEvidence(evidence) : mergeEvidence(...evidence),
    rows: slices.reduce((n, s) => n + s.rows, 0),
    failures: slices.reduce((n, s) => n + s.failures, 0),
  };
}

/** The time the slices cover: earliest start and latest end (NaN when empty). */
export function coverageOf(result: PartialResult): { fromMs: number; toMs: number } {
  if (result.slices.length === 0) return { fromMs: Number.NaN, toMs: Number.NaN };
  return {
    fromMs: Math.min(...result.slices.map((s) => s.span.fromMs)),
    toMs: Math.max(...result.slices.map((s) => s.span.toMs)),
  };
}

function sliceOf(span: Slice["span"], parts: readonly Slice[], limits: Partial<ClusterLimits>): Slice {
  const t = totalsOf({ slices: [...parts] }, limits);
  return { span, rows: t.rows, failures: t.failures, partials: t.partials, evidence: t.evidence };
}

/**
 * Folds slices so a stored result stays small. Time slices: every slice ending at or before the last
 * minute boundary reached by a slice at or before `beforeMs` becomes one slice over their span. After a
 * merge time slices are disjoint, so the fold is an exact sum; a later minute slice inside the folded
 * span holds rows already counted (windowed reads see complete minutes). The partial last minute of a
 * run is not a fold boundary, so the run that sees the rest of that minute still replaces it. Read
 * slices whose rows all precede `beforeMs` become one read slice.
 */
export function compactResult(
  result: PartialResult,
  beforeMs: number,
  limits: Partial<ClusterLimits> = {},
  /** Read slices are kept apart longer, so a read merged again by an overlapping run is still recognised. */
  readsBeforeMs: number = beforeMs,
): PartialResult {
  const merged = mergeResults(result).slices;
  let foldEnd = Number.NEGATIVE_INFINITY;
  for (const s of merged)
    if (s.span.kind === "time" && s.span.toMs <= beforeMs && s.span.toMs % MINUTE_MS === 0)
      foldEnd = Math.max(foldEnd, s.span.toMs);
  const foldTime: Slice[] = [];
  const foldRead: Slice[] = [];
  const keep: Slice[] = [];
  for (const s of merged) {
    if (s.span.kind === "time" && s.span.toMs <= foldEnd) foldTime.push(s);
    else if (s.span.kind === "read" && s.span.toMs < readsBeforeMs) foldRead.push(s);
    else keep.push(s);
  }
  if (foldTime.length > 1) {
    const span: TimeSpan = {
      kind: "time",
      fromMs: Math.min(...foldTime.map((s) => s.span.fromMs)),
      toMs: foldEnd,
    };
    keep.push(sliceOf(span, foldTime, limits));
  } else keep.push(...foldTime);
  if (foldRead.length > 1) {
    const ids = foldRead.map((s) => (s.span as ReadSpan).id).sort();
    const span: ReadSpan = {
      kind: "read",
      id: "fold:" + createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 32),
      fromMs: Math.min(...foldRead.map((s) => s.span.fromMs)),
      toMs: Math.max(...foldRead.map((s) => s.span.toMs)),
    };
    keep.push(sliceOf(span, foldRead, limits));
  } else keep.push(...foldRead);
  return { slices: keep.sort(compareSlices) };
}

/** Drops slices whose rows all precede `fromMs` (whatever is older than the lookback, for candidates). */
export function sinceResult(result: PartialResult, fromMs: number): PartialResult {
  return { slices: result.slices.filter((s) => s.span.toMs > fromMs) };
}

/**
 * The part of a result one incident (challenge) needs: its clusters, and the evidence of its account in
 * every slice (successes before onset included: root causes compare callers with their own past).
 */
export function resultForIncident(result: PartialResult, incidentId: string): PartialResult {
  let account: string | undefined;
  for (const s of result.slices)
    for (const p of s.partials)
      if (!account && incidentIdOf(challengeOf(p.key)) === incidentId) account = p.key.account.toLowerCase();
  if (account === undefined) return { slices: [] };
  const slices: Slice[] = [];
  for (const s of result.slices) {
    const partials = s.partials.filter((p) => incidentIdOf(challengeOf(p.key)) === incidentId);
    const e = s.evidence;
    // Time slices are kept even when empty for this incident: they record what was covered, so a later
    // slice over the same time nests in them instead of overlapping them.
    if (
      s.span.kind === "read" &&
      partials.length === 0 &&
      !e.callers.some((r) => r.account.toLowerCase() === account)
    )
      continue;
    slices.push({
      span: s.span,
      rows: s.rows,
      failures: partials.reduce((n, p) => n + p.count, 0),
      partials,
      evidence: {
        callers: e.callers.filter((r) => r.account.toLowerCase() === account),
        activity: e.activity.filter((r) => r.account.toLowerCase() === account),
        accounts: e.accounts.filter((r) => r.account.toLowerCase() === account),
        truncated: { ...e.truncated },
      },
    });
  }
  return { slices };
}

/** Incident ids with failures in a result. */
export function incidentIdsOf(result: PartialResult): Set<string> {
  const ids = new Set<string>();
  for (const s of result.slices) for (const p of s.partials) ids.add(incidentIdOf(challengeOf(p.key)));
  return ids;
}

/** A read slice whose id is a digest of what it holds: the same read merged twice counts once. */
export function readSlice(parts: Omit<Slice, "span">): Slice {
  const id = createHash("sha256")
    .update(JSON.stringify(toJson({ slices: [{ ...parts, span: READ_PLACEHOLDER }] })))
    .digest("hex")
    .slice(0, 32);
  const times = parts.partials.flatMap((p) => [p.firstSeenMs, p.lastSeenMs]);
  const fromMs = times.length ? Math.min(...times) : 0;
  const toMs = times.length ? Math.max(...times) + 1 : 0;
  return { ...parts, span: { kind: "read", id, fromMs, toMs } };
}
const READ_PLACEHOLDER: ReadSpan = { kind: "read", id: "", fromMs: 0, toMs: 0 };

/**
 * Routes every request of a windowed read to the aggregator and evidence observer of its minute, so the
 * read becomes one time slice per minute of [fromMs, toMs) (the first and last clipped to the window).
 */
export class SlicingObserver implements RecordObserver {
  private readonly minutes = new Map<number, { aggregator: ClusterAggregator; evidence: EvidenceObserver }>();

  constructor(
    private readonly window: { fromMs: number; toMs: number },
    private readonly limits: Partial<ClusterLimits> = {},
    /** Slice width (default one minute); a width of the whole window gives one slice. */
    private readonly widthMs: number = MINUTE_MS,
  ) {}

  observe(r: StorageRequest): void {
    if (r.timeMs < this.window.fromMs || r.timeMs >= this.window.toMs) return;
    const m = this.widthMs === MINUTE_MS ? minuteOf(r.timeMs) : this.window.fromMs;
    let slot = this.minutes.get(m);
    if (!slot) {
      slot = { aggregator: new ClusterAggregator(this.limits), evidence: new EvidenceObserver() };
      this.minutes.set(m, slot);
    }
    slot.aggregator.observe(r);
    slot.evidence.observe(r);
  }

  result(): PartialResult {
    const slices: Slice[] = [];
    // One slice over the whole window exists even without rows: it records what was covered.
    if (this.widthMs !== MINUTE_MS && this.minutes.size === 0 && this.window.toMs > this.window.fromMs)
      slices.push({
        span: { kind: "time", fromMs: this.window.fromMs, toMs: this.window.toMs },
        rows: 0,
        failures: 0,
        partials: [],
        evidence: emptyEvidence(),
      });
    for (const [m, { aggregator, evidence }] of this.minutes) {
      slices.push({
        span: {
          kind: "time",
          fromMs: Math.max(m, this.window.fromMs),
          toMs: Math.min(m + this.widthMs, this.window.toMs),
        },
        rows: aggregator.rows,
        failures: aggregator.failures,
        partials: aggregator.partials(),
        evidence: evidence.evidence(),
      });
    }
    return mergeResults({ slices });
  }
}

// ---- JSON form (state store) ----

interface PartialJson extends Omit<ClusterPartial, "perMinute"> {
  perMinute: Array<[number, number]>;
}
interface SliceJson extends Omit<Slice, "partials"> {
  partials: PartialJson[];
}
export interface PartialResultJson {
  slices: SliceJson[];
}

export function toJson(result: PartialResult): PartialResultJson {
  return {
    slices: result.slices.map((s) => ({
      ...s,
      partials: s.partials.map((p) => ({ ...p, perMinute: [...p.perMinute] })),
    })),
  };
}

export function fromJson(json: PartialResultJson): PartialResult {
  return {
    slices: json.slices.map((s) => ({
      ...s,
      partials: s.partials.map((p) => ({
        ...p,
        key: { ...p.key } as ClusterKey,
        perMinute: new Map(p.perMinute),
        callers: p.callers as CallerSummary[],
        sasWindows: p.sasWindows as SasWindowObservation[],
      })),
    })),
  };
}
