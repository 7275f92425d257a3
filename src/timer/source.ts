import type { Clock } from "../clock.js";
import type { PartialResult } from "../engine/partial-result.js";
import type { ActivityEvent } from "../model/activity.js";
import type { Incident } from "../model/incident.js";

/**
 * What the timer needs from a log source: the incidents of a window. Files (local engine), Log Analytics
 * (server-side aggregation) and archive blobs all fit behind it.
 */
export interface AnalysisWindowMs {
  fromMs: number;
  toMs: number;
}

export interface SourceAnalysis {
  incidents: Incident[];
  rowsScanned: number;
  failures: number;
  clusters: number;
  rejected: number;
  /** The span actually read, when the source chooses it (incremental sources read since their cursors). */
  window?: AnalysisWindowMs;
  /**
   * True when the source returns only what is new since its last committed read (Log Analytics by
   * ingestion time, archive blobs by offset) rather than the whole requested window: the lifecycle then
   * accumulates below-threshold challenges across runs.
   */
  incremental?: boolean;
  /**
   * What was read, as slices (time slices on the minute grid for windowed sources, one read slice for
   * incremental ones): the timer merges them into each incident's stored slices and rebuilds it.
   */
  slices?: PartialResult;
  /** The activity events causes were ranked against, to rank them again on the merged incident. */
  activity?: readonly ActivityEvent[];
  /** Valid rows read but outside the window (sources that read whole files). */
  outsideWindow?: number;
  /** Span of every valid row read, inside the window or not, when the source knows it. */
  dataSpan?: AnalysisWindowMs;
  /** AzureActivity events the analysis had for root causes (input-health: none means root causes are off). */
  activityEvents?: number;
  /** Lower-case storage accounts with at least one row (capped), when the source can tell. */
  accountsWithRows?: string[];
}

export interface IncidentSource {
  /** Secret-free, for the run log. */
  describe(): string;
  analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis>;
  /** The time span the source holds, when it is finite (files): the local stack replays over it. */
  span?(): Promise<AnalysisWindowMs | undefined>;
  /** Advances the source's cursors after the run used what it read (incremental sources). */
  commit?(): Promise<void>;
}
