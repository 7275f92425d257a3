import { bucketMinutesOf, isoSeriesAt, toIsoSeries } from "../cluster/failure-series.js";
import { formatDuration } from "../config/duration.js";
import type { ChangeCandidate, Incident } from "../model/incident.js";
import { activeSilenceFor, type Silence } from "../silence/silence.js";
import type { NotifyReason } from "../state/contracts.js";
import type { LifecycleState, NotifiedSnapshot, StoredIncidentRecord } from "../state/store.js";
import { callerKey, causeKey, failuresSince, mergeIncident, peakRatePer5Min } from "./merge.js";

/**
 * The lifecycle of one incident, as a pure function of (what this run saw, what is stored, now):
 * - opens when a challenge has at least `openThreshold` failures in the run's window;
 * - notifies on first detection; on material change against what was last announced (a new or
 *   better-ranked cause, the rate grown by `rateGrowthFactor`, new services, operations or callers);
 *   as a reminder every `repeatIntervalMs` while failures continue; and once when it resolves after
 *   `resolveAfterMs` without failures (only if its firing was announced);
 * - stays quiet while silenced or covered by an account-wide cause's incident (inhibition), and is
 *   announced as soon as that ends if it was never announced.
 * Every notification carries its reason and a plain-words detail.
 */
export interface LifecycleConfig {
  openThreshold: number;
  lookbackMs: number;
  repeatIntervalMs: number;
  resolveAfterMs: number;
  rateGrowthFactor: number;
  silences: readonly Silence[];
}

export interface LifecycleInput {
  now: Date;
  config: LifecycleConfig;
  /** This run's view of the incident (over the analysis window), if it had failures. */
  observed?: Incident;
  /**
   * The incident rebuilt from everything seen so far (stored slices merged with this run's, see
   * src/engine/partial-result.ts). When absent (state from an older version), the stored incident and
   * `observed` are merged per minute.
   */
  merged?: Incident;
  previous?: { record: StoredIncidentRecord; lifecycle: LifecycleState };
  /** Set when an account-wide cause's incident covers this one. */
  inhibitedBy?: string;
  /** Incidents this one's messages cover (it is the primary of an inhibition group). */
  covers?: readonly Incident[];
}

export interface PlannedNotification {
  reason: NotifyReason;
  detail: string;
  seq: number;
}

export interface LifecycleOutcome {
  /** False when nothing needs writing. */
  changed: boolean;
  record?: StoredIncidentRecord;
  lifecycle?: LifecycleState;
  notification?: PlannedNotification;
}

const UNCHANGED: LifecycleOutcome = { changed: false };

/** A cause below this likelihood (0..1) is shown on cards but never triggers a message by itself. */
export const MIN_CAUSE_SCORE = 0.5;

export function decideIncident(input: LifecycleInput): LifecycleOutcome {
  const { now, config, observed, previous } = input;
  const nowIso = now.toISOString();
  const covers = input.covers ?? [];

  // Not open: open it if the window crosses the threshold.
  if (!previous || previous.record.status === "resolved") {
    if (!observed || failuresToOpen(observed, previous?.record) < config.openThreshold) return UNCHANGED;
    const lifecycle: LifecycleState = { seq: previous?.lifecycle.seq ?? 0 };
    const record: StoredIncidentRecord = {
      incident: input.merged ?? observed,
      status: "open",
      openedAt: nowIso,
      updatedAt: nowIso,
    };
    const reopened = previous?.record.resolvedAt
      ? `; it had resolved at ${previous.record.resolvedAt} and is back`
      : "";
    return announceOrMute(input, record, lifecycle, () => ({
      reason: "first-detection",
      detail: firstDetectionDetail(observed, covers, config) + reopened,
    }));
  }

  const stored = previous.record;
  const merged = input.merged ?? (observed ? mergeIncident(stored.incident, observed) : stored.incident);
  const quietSinceMs = Date.parse(merged.lastSeen);
  const record: StoredIncidentRecord = { ...stored, incident: merged, updatedAt: nowIso };
  const lifecycle: LifecycleState = { ...previous.lifecycle };

  // Resolve after the quiet period.
  if (now.getTime() - quietSinceMs >= config.resolveAfterMs) {
    record.status = "resolved";
    record.resolvedAt = nowIso;
    const silence = activeSilenceFor(config.silences, merged, now);
    if (!lifecycle.notified || silence) return { changed: true, record, lifecycle };
    lifecycle.seq += 1;
    return {
      changed: true,
      record,
      lifecycle,
      notification: {
        reason: "resolved",
        seq: lifecycle.seq,
        detail:
          `no failures for ${formatDuration(now.getTime() - quietSinceMs)} (last at ${merged.lastSeen}); ` +
          `${merged.count} failures between ${merged.firstSeen} and ${merged.lastSeen}`,
      },
    };
  }

  return announceOrMute(
    input,
    record,
    lifecycle,
    () => {
      if (!lifecycle.notified) {
        const why =
          stored.silencedBy && !activeSilenceFor(config.silences, merged, now)
            ? `silence '${stored.silencedBy}' ended; `
            : previous.lifecycle.inhibitedBy
              ? `no longer covered by ${previous.lifecycle.inhibitedBy}; `
              : "";
        return {
          reason: "first-detection",
          detail: why + firstDetectionDetail(observed ?? merged, covers, config),
        };
      }
      const change = materialChange(
        lifecycle.notified,
        snapshotOf(merged, covers, now, config),
        config,
        merged.changes,
      );
      if (change) return change;
      const since = now.getTime() - Date.parse(lifecycle.notified.at);
      if (since >= config.repeatIntervalMs) {
        const recent = failuresSince(merged, now.getTime() - config.lookbackMs);
        return {
          reason: "repeat-interval-elapsed",
          detail:
            `still failing ${formatDuration(since)} after the last message: ${recent} failures in the last ` +
            `${formatDuration(config.lookbackMs)}, ${merged.count} since ${merged.firstSeen}`,
        };
      }
      return undefined;
    },
    observed !== undefined,
  );
}

/**
 * Applies silence and inhibition, then asks `announce` whether there is something to say. Returns the
 * updated record; `changedAnyway` marks writes needed even without a notification.
 */
function announceOrMute(
  input: LifecycleInput,
  record: StoredIncidentRecord,
  lifecycle: LifecycleState,
  announce: () => { reason: NotifyReason; detail: string } | undefined,
  changedAnyway = true,
): LifecycleOutcome {
  const { now, config } = input;
  const covers = input.covers ?? [];
  const silence = activeSilenceFor(config.silences, record.incident, now);
  const prevSilence = record.silencedBy;
  const prevInhibitor = lifecycle.inhibitedBy;
  if (silence) record.silencedBy = silence.id;
  else delete record.silencedBy;
  if (input.inhibitedBy) lifecycle.inhibitedBy = record.inhibitedBy = input.inhibitedBy;
  else {
    delete lifecycle.inhibitedBy;
    delete record.inhibitedBy;
  }
  if (covers.length > 0) lifecycle.covers = record.covers = covers.map((c) => c.id).sort();
  else {
    delete lifecycle.covers;
    delete record.covers;
  }
  const muteChanged = prevSilence !== record.silencedBy || prevInhibitor !== lifecycle.inhibitedBy;

  if (silence || input.inhibitedBy) {
    return changedAnyway || muteChanged ? { changed: true, record, lifecycle } : UNCHANGED;
  }
  const said = announce();
  if (!said) return changedAnyway || muteChanged ? { changed: true, record, lifecycle } : UNCHANGED;
  lifecycle.seq += 1;
  lifecycle.notified = snapshotOf(record.incident, covers, now, config);
  return { changed: true, record, lifecycle, notification: { ...said, seq: lifecycle.seq } };
}

/**
 * Failures that count towards opening: for an incident that resolved earlier, only those after its last
 * failure (by minute), so a window reaching back past the resolution (catch-up, long lookback) does not
 * reopen it on failures it already accounted for.
 */
export function failuresToOpen(observed: Incident, resolved: StoredIncidentRecord | undefined): number {
  if (!resolved) return observed.count;
  const lastMinute = Math.floor(Date.parse(resolved.incident.lastSeen) / 60_000) * 60_000;
  return failuresSince(observed, lastMinute + 60_000);
}

function firstDetectionDetail(i: Incident, covers: readonly Incident[], config: LifecycleConfig): string {
  const base =
    `${i.count} failures (${i.statusCode} ${i.errorCode}, ${i.authType || "no auth type"}) on ${i.account} ` +
    `in the last ${formatDuration(config.lookbackMs)}, at or above the threshold of ${config.openThreshold}`;
  if (covers.length === 0) return base;
  const total = covers.reduce((n, c) => n + c.count, 0);
  return `${base}; this message also covers ${covers.length} related incident(s) on the account (${total} failures)`;
}

/** The combined view of an incident and the incidents its message covers. */
export function snapshotOf(
  incident: Incident,
  covers: readonly Incident[],
  now: Date,
  config: Pick<LifecycleConfig, "lookbackMs" | "openThreshold">,
): NotifiedSnapshot {
  const all = [incident, ...covers];
  const width = Math.max(...all.map(bucketMinutesOf));
  const sum = new Map<number, number>();
  for (const i of all) for (const [b, n] of isoSeriesAt(i, width)) sum.set(b, (sum.get(b) ?? 0) + n);
  const combined = { perMinute: toIsoSeries(sum), bucketMinutes: width };
  return {
    at: now.toISOString(),
    ratePer5Min: peakRatePer5Min(combined, now.getTime() - config.lookbackMs),
    count: all.reduce((n, i) => n + i.count, 0),
    operations: [...new Set(all.flatMap((i) => i.operations))].sort(),
    services: [...new Set(all.flatMap((i) => i.services))].sort(),
    // Only callers with enough failures to matter, so one stray request is not "a new caller".
    callers: [
      ...new Set(all.flatMap((i) => i.callers.filter((c) => c.count >= config.openThreshold).map(callerKey))),
    ].sort(),
    causes: incident.changes.map(causeKey),
    covers: covers.map((c) => c.id).sort(),
  };
}

function listWords(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** The most important material change since the last announcement, with every other change named too. */
export function materialChange(
  before: NotifiedSnapshot,
  now: NotifiedSnapshot,
  config: Pick<LifecycleConfig, "rateGrowthFactor" | "openThreshold">,
  currentCauses: readonly ChangeCandidate[] = [],
): { reason: NotifyReason; detail: string } | undefined {
  const labels = new Map(currentCauses.map((c) => [causeKey(c), describeCause(c)]));
  const describeCauseKey = (k: string) => labels.get(k) ?? k;
  const found: Array<{ reason: NotifyReason; detail: string }> = [];
  // Only causes the root-cause stage is reasonably sure of are news; weak candidates come and go as the
  // window slides. Without scores (no current causes given) every listed cause counts.
  const scores = new Map(currentCauses.map((c) => [causeKey(c), c.score]));
  const significant = now.causes.slice(0, 3).filter((k) => (scores.get(k) ?? 1) >= MIN_CAUSE_SCORE);
  const fresh = significant.filter((k) => !before.causes.includes(k));
  const topNow = significant[0] === now.causes[0] ? now.causes[0] : undefined;
  if (fresh.length > 0) {
    found.push({
      reason: "new-cause",
      detail: `new likely cause: ${fresh.map(describeCauseKey).join("; ")}`,
    });
  } else if (topNow !== undefined && before.causes[0] !== topNow) {
    found.push({
      reason: "better-ranked-cause",
      detail: `${describeCauseKey(topNow)} is now the most likely cause (it was ranked ${before.causes.indexOf(topNow) + 1})`,
    });
  }
  if (
    now.ratePer5Min >= before.ratePer5Min * config.rateGrowthFactor &&
    now.ratePer5Min - before.ratePer5Min >= config.openThreshold
  ) {
    const factor =
      before.ratePer5Min > 0 ? (now.ratePer5Min / before.ratePer5Min).toFixed(1) + "x" : "from zero";
    found.push({
      reason: "rate-increased",
      detail: `rate grew ${factor} (${before.ratePer5Min} → ${now.ratePer5Min} per 5 min)`,
    });
  }
  const newServices = now.services.filter((s) => !before.services.includes(s));
  if (newServices.length > 0)
    found.push({ reason: "new-services", detail: `now also failing on ${listWords(newServices)}` });
  const newOps = now.operations.filter((s) => !before.operations.includes(s));
  if (newOps.length > 0)
    found.push({ reason: "new-operations", detail: `new failing operations: ${listWords(newOps)}` });
  const newCallers = now.callers.filter((s) => !before.callers.includes(s));
  if (newCallers.length > 0)
    found.push({ reason: "new-callers", detail: `new failing callers: ${listWords(newCallers)}` });
  const newCovers = now.covers.filter((s) => !before.covers.includes(s));
  if (found.length === 0) return undefined;
  const [main, ...others] = found;
  const also = [
    ...others.map((o) => o.detail),
    ...(newCovers.length > 0 ? [`now covers ${listWords(newCovers)}`] : []),
  ];
  return {
    reason: main!.reason,
    detail: also.length > 0 ? `${main!.detail}; also ${also.join("; ")}` : main!.detail,
  };
}

function describeCause(c: ChangeCandidate): string {
  const resource = c.resourceId.split("/").filter(Boolean).slice(-1)[0] ?? c.resourceId;
  return `${c.operation} on ${resource} at ${c.time} (${c.source === "activity" ? "activity log" : "seen in the logs"})`;
}
