/**
 * A cluster's failures over time: failures per bucket of `bucketMinutes` minutes, keyed by the bucket's
 * start (epoch ms). Buckets are one minute until the series has more than MAX_SERIES_BUCKETS non-empty
 * buckets; then they widen along BUCKET_LADDER until it fits. Memory is bounded by the cap, not by the
 * span read (months of archive).
 *
 * Exact under any split of the rows: the width is always the narrowest rung at which the whole set of
 * failure times fills at most MAX_SERIES_BUCKETS buckets (widening only merges whole buckets, each rung
 * divides the next, buckets are aligned to the epoch), so one pass, and any merge of parts, arrive at the
 * same width and counts.
 */
export interface FailureSeries {
  /** Bucket start (epoch ms) → failures in the bucket. */
  perMinute: Map<number, number>;
  /** Bucket width in minutes; absent means 1. */
  bucketMinutes?: number;
}

/**
 * The timer's longest window, two days of lookback, touches 2,880 minutes (2,881 when it starts
 * mid-minute): 3,000 one-minute buckets hold it unwidened, so the timer's per-minute recounts stay
 * exact; wider only happens over longer spans (the CLI over archives).
 */
export const MAX_SERIES_BUCKETS = 3000;

/** The dashboard's timeline rungs: minute, 5 and 15 minutes, hour, 6 hours, day; then doubling. */
export const BUCKET_LADDER: readonly number[] = [1, 5, 15, 60, 360, 1440];

const MINUTE_MS = 60_000;

export function bucketMinutesOf(series: { bucketMinutes?: number }): number {
  return series.bucketMinutes ?? 1;
}

/** The next wider bucket width; each divides the next. */
export function widerBucket(minutes: number): number {
  return BUCKET_LADDER.find((m) => m > minutes) ?? minutes * 2;
}

export function bucketStartMs(timeMs: number, bucketMinutes: number): number {
  const width = bucketMinutes * MINUTE_MS;
  return Math.floor(timeMs / width) * width;
}

/** `counts` re-bucketed at `to` minutes (a multiple of their width). */
function rebucketed(counts: ReadonlyMap<number, number>, to: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [start, n] of counts) {
    const b = bucketStartMs(start, to);
    out.set(b, (out.get(b) ?? 0) + n);
  }
  return out;
}

/** Widens `series` in place until it has at most MAX_SERIES_BUCKETS buckets. */
function fit(series: FailureSeries): void {
  let width = bucketMinutesOf(series);
  while (series.perMinute.size > MAX_SERIES_BUCKETS) {
    width = widerBucket(width);
    series.perMinute = rebucketed(series.perMinute, width);
  }
  if (width !== 1 || series.bucketMinutes !== undefined) series.bucketMinutes = width;
}

/** Counts `n` failures at `timeMs` into `series`, widening it when it passes the cap. */
export function addFailures(series: FailureSeries, timeMs: number, n = 1): void {
  const b = bucketStartMs(timeMs, bucketMinutesOf(series));
  const counts = series.perMinute;
  const before = counts.get(b);
  counts.set(b, (before ?? 0) + n);
  if (before === undefined && counts.size > MAX_SERIES_BUCKETS) fit(series);
}

/**
 * The sum of several series, at the width one pass over all their rows would have: sorted by time.
 * No series handed in is changed, and one may be handed back: the sum of one series that is already
 * ascending and fitted is that series' map, not a copy of it. A partial's series is a value nothing
 * changes, and most incidents have one cluster: a report of 300 copied 128k buckets again for its
 * incidents, copies that lived until the report was written. A caller that goes on changing a series
 * (an aggregator's live state) sums a copy of it.
 */
export function sumSeries(parts: Iterable<FailureSeries>): FailureSeries {
  const list = [...parts];
  if (list.length === 1 && isSum(list[0]!)) {
    const only = list[0]!;
    const out: FailureSeries = { perMinute: only.perMinute };
    if (bucketMinutesOf(only) !== 1) out.bucketMinutes = bucketMinutesOf(only);
    return out;
  }
  const width = list.reduce((w, p) => Math.max(w, bucketMinutesOf(p)), 1);
  const sum = new Map<number, number>();
  // A cluster's series is built in time order, mostly: sorted only when a bucket came out of order.
  let ordered = true;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of list) {
    for (const [start, n] of p.perMinute) {
      const b = bucketStartMs(start, width);
      const before = sum.get(b);
      if (before === undefined) {
        if (b < last) ordered = false;
        last = b;
      }
      sum.set(b, (before ?? 0) + n);
    }
  }
  const out: FailureSeries = { perMinute: sum };
  if (width !== 1) out.bucketMinutes = width;
  // Widening keeps ascending buckets ascending.
  fit(out);
  if (!ordered) out.perMinute = new Map([...out.perMinute].sort((a, b) => a[0] - b[0]));
  knownSums.set(out.perMinute, { size: out.perMinute.size, width: bucketMinutesOf(out) });
  return out;
}

/**
 * Maps found to be sums, with their size and width then. A series is summed alone several times on its
 * way to an incident (its partial, the merge, the incident), each check a walk over up to 3,000 buckets.
 * Only a new bucket could undo it (counts do not; nothing deletes a bucket), and a new bucket changes the
 * size.
 */
const knownSums = new WeakMap<ReadonlyMap<number, number>, { size: number; width: number }>();

/** Whether `series` is what summing it alone gives: at most MAX_SERIES_BUCKETS aligned buckets, ascending. */
function isSum(series: FailureSeries): boolean {
  const counts = series.perMinute;
  const width = bucketMinutesOf(series);
  const known = knownSums.get(counts);
  if (known !== undefined && known.size === counts.size && known.width === width) return true;
  if (counts.size > MAX_SERIES_BUCKETS) return false;
  let last = Number.NEGATIVE_INFINITY;
  for (const start of counts.keys()) {
    if (start <= last || bucketStartMs(start, width) !== start) return false;
    last = start;
  }
  knownSums.set(counts, { size: counts.size, width });
  return true;
}

/** The series as an incident carries it: `[bucket start ISO, failures]` ascending. */
export interface IsoSeries {
  perMinute: ReadonlyArray<readonly [string, number]>;
  bucketMinutes?: number;
}

/** An incident's series as bucket start (ms) → failures, re-bucketed at `width` (a multiple of its own). */
export function isoSeriesAt(series: IsoSeries, width: number = bucketMinutesOf(series)): Map<number, number> {
  const out = new Map<number, number>();
  for (const [iso, n] of series.perMinute) {
    const b = bucketStartMs(Date.parse(iso), width);
    out.set(b, (out.get(b) ?? 0) + n);
  }
  return out;
}

export function toIsoSeries(counts: ReadonlyMap<number, number>): Array<[string, number]> {
  // Series come in time order (sumSeries sorts them): sorted here only when they do not.
  let last = Number.NEGATIVE_INFINITY;
  for (const ms of counts.keys()) {
    if (ms < last) return [...counts].sort((a, b) => a[0] - b[0]).map(([m, n]) => [isoText(m), n]);
    last = ms;
  }
  const out: Array<[string, number]> = [];
  for (const [ms, n] of counts) out.push([isoText(ms), n]);
  return out;
}

const HOUR_MS = 60 * MINUTE_MS;

/** Bucket starts whose ISO text is remembered (a week of minutes); past that the memo starts again. */
const ISO_TEXTS = 10_080;
const isoTexts = new Map<number, string>();
let hourOfText = Number.NaN;
/** `YYYY-MM-DDTHH:` of hourOfText. */
let hourText = "";

/**
 * The ISO text of a bucket start, one string per minute however many incidents hold it: a report's
 * incidents mostly cover the same minutes (300 of them held 128k bucket texts, 1.4k distinct, on the
 * bench archive), each text was copied again as it was written, and all of them lived until the report
 * was done. Made from the hour's text, not a Date each: a series holds up to 3,000 buckets.
 */
function isoText(ms: number): string {
  let text = isoTexts.get(ms);
  if (text !== undefined) return text;
  if (ms % MINUTE_MS !== 0) text = new Date(ms).toISOString();
  else {
    const hourMs = Math.floor(ms / HOUR_MS) * HOUR_MS;
    if (hourMs !== hourOfText) {
      hourOfText = hourMs;
      const hour = new Date(hourMs).toISOString();
      hourText = hour.slice(0, hour.length - "00:00.000Z".length);
    }
    const minute = (ms - hourMs) / MINUTE_MS;
    // join, not +: one flat string, not a pair of pieces that each reader flattens again.
    text = [hourText, minute < 10 ? "0" : "", minute, ":00.000Z"].join("");
  }
  if (isoTexts.size >= ISO_TEXTS) isoTexts.clear();
  isoTexts.set(ms, text);
  return text;
}
