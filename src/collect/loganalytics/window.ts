import type { IngestionWindow } from "./queries.js";

/**
 * Planning the rows one run reads. The window is cut by ingestion_time(), not TimeGenerated: a row
 * generated at 10:00 may only become queryable at 10:20 (reference §7), and a TimeGenerated window that
 * already moved past 10:00 would miss it, while an overlapping one would count it twice. Ingestion time only
 * grows, so (watermark, until] windows tile the stream: every row falls in exactly one of them.
 */
export interface WindowPolicy {
  /** Do not read closer to now than this: a row becomes visible a little after its ingestion_time. */
  settleMs: number;
  /** Longest generation→ingestion delay tolerated; bounds the TimeGenerated scan (and the cost). */
  maxIngestionDelayMs: number;
  /** First run, without a watermark: read what was ingested over this span. */
  initialLookbackMs: number;
  /** After a long outage, catch up over at most this span; older backlog is reported as skipped. */
  maxCatchUpMs: number;
}

export const DEFAULT_WINDOW_POLICY: WindowPolicy = {
  settleMs: 60_000,
  maxIngestionDelayMs: 2 * 60 * 60_000,
  initialLookbackMs: 60 * 60_000,
  maxCatchUpMs: 24 * 60 * 60_000,
};

export interface PlannedWindow {
  window: IngestionWindow;
  /** Ingestion span not read because the watermark was older than maxCatchUpMs (0 normally). */
  skippedMs: number;
  /** False when there is nothing new to read (the watermark is already at the settled edge). */
  hasRows: boolean;
}

export function planIngestionWindow(
  nowMs: number,
  watermarkMs: number | undefined,
  policy: WindowPolicy = DEFAULT_WINDOW_POLICY,
): PlannedWindow {
  const ingestedUntilMs = nowMs - policy.settleMs;
  const earliest = ingestedUntilMs - policy.maxCatchUpMs;
  let ingestedAfterMs = watermarkMs ?? ingestedUntilMs - policy.initialLookbackMs;
  let skippedMs = 0;
  if (ingestedAfterMs < earliest) {
    skippedMs = earliest - ingestedAfterMs;
    ingestedAfterMs = earliest;
  }
  return {
    window: {
      ingestedAfterMs,
      ingestedUntilMs: Math.max(ingestedAfterMs, ingestedUntilMs),
      generatedAfterMs: ingestedAfterMs - policy.maxIngestionDelayMs,
    },
    skippedMs,
    hasRows: ingestedUntilMs > ingestedAfterMs,
  };
}

/** Splits a window's ingestion span in two halves that tile it exactly (used on truncated results). */
export function splitWindow(w: IngestionWindow): [IngestionWindow, IngestionWindow] | undefined {
  const span = w.ingestedUntilMs - w.ingestedAfterMs;
  if (span < 2) return undefined;
  const mid = w.ingestedAfterMs + Math.floor(span / 2);
  return [
    { ...w, ingestedUntilMs: mid },
    { ...w, ingestedAfterMs: mid },
  ];
}
