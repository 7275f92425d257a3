import { bucketMinutesOf, MAX_SERIES_BUCKETS } from "../cluster/failure-series.js";
/**
 * The engine's memory caps beyond the per-cluster ones (issue 13): memory is bounded by these, never by
 * rows or accounts. What goes past a cap is counted exactly and reported in `summarised`.
 */
export interface EngineCaps {
  /** Clusters kept while reading; past it the smaller half is folded into exact totals. */
  maxClusters: number;
  /** Incidents listed (and explained), most severe first; the rest are counted. */
  maxIncidents: number;
}

export const DEFAULT_ENGINE_CAPS: EngineCaps = { maxClusters: 5_000, maxIncidents: 500 };

/** What the root-cause evidence left out at its caps (src/correlate/evidence.ts EvidenceLimits). */
export interface EvidenceCapsReport {
  /** Distinct (account, caller) pairs remembered, and the cap. */
  callers: number;
  maxCallers: number;
  /** Rows of callers past the cap: counted, their callers not remembered. */
  rowsOfDroppedCallers: number;
  /** Values folded into "(other)" past the per-caller caps (values per dimension, outcomes per caller). */
  foldedValues: number;
  /** Per-caller activity bins evicted past the bin cap. */
  droppedBins: number;
}

/**
 * The report's `summarised` section: present only when a cap was reached, so it says exactly what was
 * summarised and by how much. Every figure is exact.
 */
export interface Summarised {
  clusters?: {
    cap: number;
    /** 401/403 rows of folded clusters: in `input.failures`, in no incident. */
    failures: number;
    /** Cluster entries folded (a cluster folded, seen again and folded again counts twice). */
    foldedClusters: number;
  };
  incidents?: {
    cap: number;
    /** Incidents past the cap, not listed, and their failures. */
    omitted: number;
    failures: number;
  };
  callers?: EvidenceCapsReport;
  /** Listed incidents whose failure series passed MAX_SERIES_BUCKETS minutes and was widened. */
  series?: {
    cap: number;
    incidents: number;
    /** The widest bucket among them, in minutes. */
    widestBucketMinutes: number;
  };
}

/** The summarised section, or undefined when no cap was reached. */
export function summarisedOf(parts: {
  caps: EngineCaps;
  folded?: { failures: number; clusters: number };
  omitted?: { incidents: number; failures: number };
  evidence?: EvidenceCapsReport;
  /** The listed incidents, for their series' widths. */
  incidents?: ReadonlyArray<{ bucketMinutes?: number }>;
}): Summarised | undefined {
  const out: Summarised = {};
  if (parts.folded && parts.folded.clusters > 0)
    out.clusters = {
      cap: parts.caps.maxClusters,
      failures: parts.folded.failures,
      foldedClusters: parts.folded.clusters,
    };
  if (parts.omitted && parts.omitted.incidents > 0)
    out.incidents = {
      cap: parts.caps.maxIncidents,
      omitted: parts.omitted.incidents,
      failures: parts.omitted.failures,
    };
  const e = parts.evidence;
  if (e && e.rowsOfDroppedCallers + e.foldedValues + e.droppedBins > 0) out.callers = { ...e };
  const widened = (parts.incidents ?? []).map(bucketMinutesOf).filter((m) => m > 1);
  if (widened.length > 0)
    out.series = {
      cap: MAX_SERIES_BUCKETS,
      incidents: widened.length,
      widestBucketMinutes: Math.max(...widened),
    };
  return Object.keys(out).length > 0 ? out : undefined;
}
