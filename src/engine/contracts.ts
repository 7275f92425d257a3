import type { ActivityEvent } from "../model/activity.js";
import type { CallerKeyKind } from "../model/caller-key.js";
import type { ClockSkewAssessment, ChangeCandidate, Incident } from "../model/incident.js";
import type { StorageRequest } from "../model/storage-request.js";
import type { EvidenceCapsReport } from "./caps.js";

/**
 * Narrow interfaces between pipeline stages. Each stage is its own module behind one of these, so the
 * local engine, the Log Analytics source and the timer compose the same pieces.
 */

/** A record that failed validation: counted and reported, never silently dropped. */
export interface RejectedRecord {
  file: string;
  /** 1-based line (NDJSON/CSV/JSON Lines) or element index + 1 (JSON array). */
  line: number;
  field: string;
  reason: string;
}

/** Collects rejections with a bounded sample, so millions of bad rows cost constant memory. */
export interface RejectionSink {
  reject(r: RejectedRecord): void;
}

/** Anything that consumes every storage request of a run (clustering, root-cause evidence, …). */
export interface RecordObserver {
  observe(r: StorageRequest): void;
}

/**
 * An observer that can tell from a success row's account and caller key alone that it would only count
 * the row (the root-cause evidence, past its caller cap): the intake then counts it without the row.
 */
export interface SuccessRowGate {
  dropsSuccessRow(account: string, keyHash: number, keyKind: CallerKeyKind): boolean;
  /** What `observe` would have done with such a row. */
  countDroppedRow(): void;
}

export function hasSuccessRowGate(o: object): o is SuccessRowGate & RecordObserver {
  return typeof (o as Partial<SuccessRowGate>).dropsSuccessRow === "function";
}

/** Root-cause stage: given incidents and change events, say what most likely changed and whether skew is suspected. */
export interface RootCauseExplainer {
  /** Sees every request (successes too), to learn callers' normal behaviour before onset. */
  readonly observer: RecordObserver;
  /** What the evidence left out at its caps, for the report's `summarised` section (optional). */
  capsReached?(): EvidenceCapsReport;
  explain(
    incident: Incident,
    activity: readonly ActivityEvent[],
    context?: RootCauseContext,
  ): {
    changes: ChangeCandidate[];
    clockSkew: ClockSkewAssessment;
  };
}

export interface RootCauseContext {
  /** The analysis window (epoch ms): failures that stop well before `windowToMs` stopped on their own. */
  windowFromMs: number;
  windowToMs: number;
  /** The account's ARM id as the incident's own failures logged it, for when the evidence lacks it. */
  accountResourceId?: string;
}
