import type { Clock } from "../clock.js";
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
}

export interface IncidentSource {
  /** Secret-free, for the run log. */
  describe(): string;
  analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis>;
  /** The time span the source holds, when it is finite (files): the local stack replays over it. */
  span?(): Promise<AnalysisWindowMs | undefined>;
}
