import type { CallerSummary } from "./incident.js";

/**
 * A caller's count as people read it: "27", or "at least 1" when a full top-callers table handed it the
 * count of a caller it let go (`overcount`). Apart from incident.ts, which needs node:crypto, so that the
 * browser's diagnose engine (which reaches the remedies) can use it.
 */
export function callerCountText(c: Pick<CallerSummary, "count" | "overcount">): string {
  return c.overcount ? `at least ${surelyMade(c)}` : String(c.count);
}

/** The requests a caller surely made: its count less what a full top-callers table handed it. */
export function surelyMade(c: Pick<CallerSummary, "count" | "overcount">): number {
  return c.count - (c.overcount ?? 0);
}
