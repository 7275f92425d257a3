import type { Clock } from "../clock.js";
import { formatDuration } from "../config/duration.js";
import type { TriageSettings } from "../config/settings.js";
import {
  decideIncident,
  failuresToOpen,
  type LifecycleConfig,
  type LifecycleOutcome,
} from "../lifecycle/decide.js";
import { ACCOUNT_WIDE_CAUSE_WORDS, accountWideCauseOf, planInhibition } from "../lifecycle/inhibit.js";
import {
  compactResult,
  coverageOf,
  fromJson,
  mergeResults,
  resultForIncident,
  sinceResult,
  toJson,
  type PartialResultJson,
} from "../engine/partial-result.js";
import { resultFromSlices } from "../engine/analyze.js";
import { mergeIncident } from "../lifecycle/merge.js";
import type { Incident } from "../model/incident.js";
import type { Sender } from "../notify/http.js";
import { incidentLink } from "../notify/links.js";
import { deliverPending, type DeliveryError, type DeliverySummary } from "../notify/outbox.js";
import { LEASE_MARGIN_MS, worstCaseDeliveryMs, type RetryDeps, type RetryPolicy } from "../notify/retry.js";
import { buildTeamsMessage } from "../notify/teams-card.js";
import type { NotificationView } from "../notify/view.js";
import { buildIncidentRow } from "../monitor/incident-row.js";
import { buildWebhookPayload } from "../notify/webhook-payload.js";
import {
  ConcurrencyError,
  type Channel,
  type OutboxEntry,
  type StoredCandidate,
  type StoredIncident,
  type TriageStore,
} from "../state/store.js";
import type { RunTelemetry } from "../telemetry/telemetry.js";
import { checkInputs, describeInputHealth, saveInputHealth, type InputHealth } from "./input-health.js";
import type { IncidentSource, SourceAnalysis } from "./source.js";

/**
 * One timer cycle: analyse the window since the watermark, decide each incident's lifecycle, commit the
 * decisions with the notifications they imply (conditionally on etags: a concurrent run's decision wins
 * and this one re-reads and re-decides), deliver everything pending, advance the watermark. All of the
 * timer's logic; the Azure Function and `auth-triage run-once` only call it.
 */
export const ANALYSIS_WATERMARK = "analysis";
const MAX_COMMIT_ATTEMPTS = 5;

export interface CycleDeps {
  settings: TriageSettings;
  store: TriageStore;
  source: IncidentSource;
  senders: Partial<Record<Channel, Sender>>;
  clock: Clock;
  runId: string;
  retryPolicy: RetryPolicy;
  retry: RetryDeps;
  telemetry: RunTelemetry;
  log(level: "info" | "warn" | "error", message: string): void;
  /** Delivery claim length (default: the worst-case delivery plus a margin); a crashed run's claims expire after it. */
  leaseMs?: number;
  timeoutMs?: number;
  minSpacingMs?: number;
}

export interface CycleReport {
  runId: string;
  now: string;
  isPastDue: boolean;
  window: { from: string; to: string };
  /** True when the window reached back past the lookback to cover missed runs. */
  caughtUp: boolean;
  rowsScanned: number;
  failures: number;
  clusters: number;
  rejected: number;
  incidents: {
    observed: number;
    opened: number;
    updated: number;
    resolved: number;
    silenced: number;
    inhibited: number;
  };
  notifications: { decided: number; sent: number; failed: number; pending: number };
  /** Valid rows read outside the window, and the span of all rows read, when the source knows them. */
  outsideWindow?: number;
  dataSpan?: { from: string; to: string };
  /** Each notification that failed or stays pending this run, with its (redacted) error. */
  notificationErrors: DeliveryError[];
  /** Conditional writes lost to a concurrent run (each re-read and re-decided). */
  conflicts: number;
  durationMs: number;
  /** Inputs found empty this run, with how to fix them (src/timer/input-health.ts). */
  inputs?: InputHealth;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MIN_SPACING_MS = 300;

/** A claim outlasts the worst-case delivery of the notification it covers, with room for the writes. */
export function defaultLeaseMs(deps: Pick<CycleDeps, "retryPolicy" | "timeoutMs" | "minSpacingMs">): number {
  return (
    worstCaseDeliveryMs(
      deps.retryPolicy,
      deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      deps.minSpacingMs ?? DEFAULT_MIN_SPACING_MS,
    ) + LEASE_MARGIN_MS
  );
}

export function lifecycleConfigOf(s: TriageSettings): LifecycleConfig {
  return {
    openThreshold: s.openThreshold,
    lookbackMs: s.lookbackMs,
    repeatIntervalMs: s.repeatIntervalMs,
    resolveAfterMs: s.resolveAfterMs,
    rateGrowthFactor: s.rateGrowthFactor,
    silences: s.silences,
  };
}

export async function runCycle(deps: CycleDeps, trigger: { isPastDue: boolean }): Promise<CycleReport> {
  const started = Date.now();
  const now = deps.clock.now();
  const nowMs = now.getTime();
  const { settings, store } = deps;
  const config = lifecycleConfigOf(settings);
  await store.init();

  // Window: the lookback, reaching back to the watermark after missed runs (bounded by maxCatchUp).
  const watermark = await store.getWatermark(ANALYSIS_WATERMARK);
  const lookbackFrom = nowMs - settings.lookbackMs;
  const markMs = watermark ? Date.parse(watermark.value) : NaN;
  // On the minute grid, so what overlapping runs read nests minute by minute (see rebuildFromSlices).
  const fromMs = minuteFloor(
    Number.isFinite(markMs) && markMs < lookbackFrom
      ? Math.max(markMs, nowMs - settings.maxCatchUpMs)
      : lookbackFrom,
  );
  const caughtUp = fromMs < minuteFloor(lookbackFrom);
  if (trigger.isPastDue || caughtUp) {
    deps.log(
      "warn",
      `run is past due=${trigger.isPastDue}; analysing ${formatDuration(nowMs - fromMs)} back to ` +
        `${new Date(fromMs).toISOString()} to cover missed runs`,
    );
  }

  const analysis = await deps.source.analyze({ fromMs, toMs: nowMs }, deps.clock);
  const observed = new Map<string, Incident>(analysis.incidents.map((i) => [i.id, i]));
  const inputs = checkInputs(
    inputCountsOf(analysis),
    { expectedAccounts: settings.expectedAccounts ?? [], sourceDescription: deps.source.describe() },
    now,
  );
  if (inputs.problems.length > 0) deps.log("warn", describeInputHealth(inputs));

  const report: CycleReport = {
    runId: deps.runId,
    now: now.toISOString(),
    isPastDue: trigger.isPastDue,
    window: analysis.window
      ? {
          from: new Date(analysis.window.fromMs).toISOString(),
          to: new Date(analysis.window.toMs).toISOString(),
        }
      : { from: new Date(fromMs).toISOString(), to: now.toISOString() },
    caughtUp,
    rowsScanned: analysis.rowsScanned,
    failures: analysis.failures,
    clusters: analysis.clusters,
    rejected: analysis.rejected,
    incidents: {
      observed: analysis.incidents.length,
      opened: 0,
      updated: 0,
      resolved: 0,
      silenced: 0,
      inhibited: 0,
    },
    notifications: { decided: 0, sent: 0, failed: 0, pending: 0 },
    notificationErrors: [],
    conflicts: 0,
    durationMs: 0,
    inputs,
  };
  if (analysis.outsideWindow !== undefined) report.outsideWindow = analysis.outsideWindow;
  if (analysis.dataSpan) {
    report.dataSpan = {
      from: new Date(analysis.dataSpan.fromMs).toISOString(),
      to: new Date(analysis.dataSpan.toMs).toISOString(),
    };
  }

  // The incidents in play: seen now, or open from earlier runs.
  // Open incidents, plus the stored state of what this run saw (resolved ones decide reopening): reads
  // stay bounded by what is active, however much history the store holds.
  const states = new Map(
    (await store.listIncidentStates({ status: "open" })).map((s) => [s.record.incident.id, s]),
  );
  const unseen = [...observed.keys()].filter((id) => !states.has(id));
  for (const s of await Promise.all(unseen.map((id) => store.loadIncident(id)))) {
    if (s) states.set(s.record.incident.id, s);
  }
  const openStates = new Map([...states].filter(([, s]) => s.record.status === "open"));
  // An incremental source shows only what is new: fold it into what earlier runs saw of challenges still
  // below the threshold, so the threshold applies to the lookback, not to one run's slice.
  const candidates = analysis.incremental
    ? await accumulateCandidates(store, observed, openStates, analysis, nowMs, settings, deps.clock)
    : undefined;
  // Every incident this run saw, rebuilt from its stored slices and this run's: the one merge.
  const rebuilt = new Map<string, Rebuilt>();
  for (const id of observed.keys()) {
    const stored = states.get(id)?.ledger ?? candidates?.ledgers.get(id);
    const r = rebuildFromSlices(id, stored, analysis, nowMs, deps.clock);
    if (r) rebuilt.set(id, r);
  }
  const viewOf = (s: StoredIncident): Incident => {
    const id = s.record.incident.id;
    const r = rebuilt.get(id);
    if (r && s.ledger) return r.incident;
    // State from an older version has no slices: the run's view is merged into it per minute.
    const o = observed.get(id);
    return o ? mergeIncident(s.record.incident, o) : s.record.incident;
  };
  const active = new Map<string, Incident>();
  for (const s of openStates.values()) {
    const view = viewOf(s);
    if (nowMs - Date.parse(view.lastSeen) < settings.resolveAfterMs) active.set(view.id, view);
  }
  for (const o of observed.values()) {
    if (active.has(o.id) || openStates.has(o.id)) continue;
    if (failuresToOpen(o, states.get(o.id)?.record) >= settings.openThreshold) active.set(o.id, o);
  }
  const announcedPrimaries = new Set(
    [...openStates.values()]
      .filter(
        (s) => s.lifecycle.notified && !s.lifecycle.inhibitedBy && accountWideCauseOf(s.record.incident),
      )
      .map((s) => s.record.incident.id),
  );
  const plan = planInhibition([...active.values()], announcedPrimaries);

  const ids = [...new Set([...openStates.keys(), ...observed.keys()])].sort();
  for (const id of ids) {
    let previous: StoredIncident | undefined = states.get(id);
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      if (fresh) previous = await store.loadIncident(id);
      const group = plan.byPrimary.get(id);
      const covers = (group?.memberIds ?? [])
        .map((m) => active.get(m))
        .filter((i): i is Incident => i !== undefined);
      const inhibitedBy = plan.inhibitedBy.get(id);
      const input: Parameters<typeof decideIncident>[0] = { now, config, covers };
      const o = observed.get(id);
      if (o) input.observed = o;
      // After a lost race the stored slices changed: merge this run's into the new ones.
      const r =
        fresh && o ? rebuildFromSlices(id, previous?.ledger, analysis, nowMs, deps.clock) : rebuilt.get(id);
      // Slices are used when the stored state has them too (or there is none, or it resolved): a
      // legacy record without them is merged per minute until it resolves.
      const useSlices =
        r !== undefined &&
        (!previous || previous.ledger !== undefined || previous.record.status === "resolved");
      if (useSlices) input.merged = r.incident;
      if (previous) input.previous = { record: previous.record, lifecycle: previous.lifecycle };
      if (inhibitedBy) input.inhibitedBy = inhibitedBy;
      const outcome = decideIncident(input);
      if (!outcome.changed) break;
      const entries = outcome.notification
        ? outboxEntriesFor(outcome, covers, group?.cause, deps, now, inputs)
        : [];
      try {
        const ledger = useSlices ? r.ledger : previous?.ledger;
        await store.commitIncident(outcome.record!, outcome.lifecycle!, previous?.etag, entries, ledger);
        tally(report, previous, outcome, entries.length);
        break;
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= MAX_COMMIT_ATTEMPTS) throw err;
        report.conflicts++;
        deps.log("info", `${id}: another run updated it first; re-reading and deciding again`);
        fresh = true;
      }
    }
  }

  if (candidates) await settleCandidates(store, candidates, observed, nowMs, settings, deps.log);
  // Decisions are committed: the source may now advance its cursors past what this run read.
  await deps.source.commit?.();

  const delivery: DeliverySummary = await deliverPending({
    store,
    senders: deps.senders,
    clock: deps.clock,
    runId: deps.runId,
    policy: deps.retryPolicy,
    retry: deps.retry,
    leaseMs: deps.leaseMs ?? defaultLeaseMs(deps),
    timeoutMs: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    minSpacingMs: deps.minSpacingMs ?? DEFAULT_MIN_SPACING_MS,
    log: deps.log,
  });
  // The dashboard header shows the latest check; losing it must not fail the run.
  await saveInputHealth(store, inputs).catch((err: unknown) =>
    deps.log("warn", `could not save the input check: ${err instanceof Error ? err.message : String(err)}`),
  );
  report.notifications.sent = delivery.sent;
  report.notifications.failed = delivery.failed;
  report.notifications.pending = delivery.stillPending + delivery.skippedLeased;
  report.notificationErrors = delivery.errors;

  // Advance the watermark only forward (a replay at an earlier --now leaves it alone).
  const current = await store.getWatermark(ANALYSIS_WATERMARK);
  if (!current || Date.parse(current.value) < nowMs) {
    try {
      await store.putWatermark(ANALYSIS_WATERMARK, now.toISOString(), current ? current.etag : null);
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      deps.log("info", "watermark advanced by a concurrent run");
    }
  }

  report.durationMs = Date.now() - started;
  deps.telemetry.recordCycle(report);
  return report;
}

const MINUTE_MS = 60_000;
/** Read slices stay apart this long, so one read merged again by an overlapping run counts once. */
const READ_DEDUPE_MS = 3 * 3_600_000;

function minuteFloor(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

interface Rebuilt {
  incident: Incident;
  ledger: PartialResultJson;
}

/**
 * The one merge, as the timer uses it: an incident's stored slices plus this run's (windowed sources:
 * minute slices, so overlap counts once; incremental sources: read slices, which add up), compacted, and
 * the incident rebuilt from them: counts, clusters, callers and versions all come from the same slices,
 * and causes are ranked against the merged incident's real onset on the merged evidence.
 */
function rebuildFromSlices(
  id: string,
  stored: PartialResultJson | undefined,
  analysis: SourceAnalysis,
  nowMs: number,
  clock: Clock,
  keepSinceMs?: number,
): Rebuilt | undefined {
  if (!analysis.slices) return undefined;
  let merged = mergeResults(
    stored ? fromJson(stored) : { slices: [] },
    resultForIncident(analysis.slices, id),
  );
  if (keepSinceMs !== undefined) merged = sinceResult(merged, keepSinceMs);
  const ledger = compactResult(merged, nowMs, {}, nowMs - READ_DEDUPE_MS);
  const { fromMs } = coverageOf(ledger);
  if (!Number.isFinite(fromMs)) return undefined;
  const incident = resultFromSlices({
    result: ledger,
    window: { fromMs, toMs: nowMs },
    activity: analysis.activity ?? [],
    clock,
  }).incidents.find((i) => i.id === id);
  return incident ? { incident, ledger: toJson(ledger) } : undefined;
}

interface CandidateState {
  stored: Map<string, StoredCandidate>;
  /** Ids whose accumulated view replaced this run's slice in `observed`. */
  accumulated: Set<string>;
  /** The accumulated slices of each candidate, within the lookback. */
  ledgers: Map<string, PartialResultJson>;
}

/** Keeps only the failures at or after `fromMs` (per minute), recounting. */
export function withinWindow(i: Incident, fromMs: number): Incident {
  const perMinute = i.perMinute.filter(([m]) => Date.parse(m) >= fromMs);
  const count = perMinute.reduce((n, [, c]) => n + c, 0);
  const first = perMinute[0]?.[0];
  return {
    ...i,
    perMinute,
    count,
    firstSeen: first && Date.parse(first) > Date.parse(i.firstSeen) ? first : i.firstSeen,
  };
}

async function accumulateCandidates(
  store: TriageStore,
  observed: Map<string, Incident>,
  openStates: Map<string, StoredIncident>,
  analysis: SourceAnalysis,
  nowMs: number,
  settings: TriageSettings,
  clock: Clock,
): Promise<CandidateState> {
  const stored = new Map((await store.listCandidates()).map((c) => [c.incident.id, c]));
  const accumulated = new Set<string>();
  const ledgers = new Map<string, PartialResultJson>();
  for (const [id, slice] of observed) {
    if (openStates.has(id)) continue;
    const before = stored.get(id);
    // What earlier runs read of it, within the lookback, plus this run's read.
    const r =
      before?.ledger || !before
        ? rebuildFromSlices(id, before?.ledger, analysis, nowMs, clock, nowMs - settings.lookbackMs)
        : undefined;
    if (r) {
      observed.set(id, r.incident);
      ledgers.set(id, r.ledger);
    } else {
      const merged = before ? mergeIncident(before.incident, slice) : slice;
      observed.set(id, withinWindow(merged, nowMs - settings.lookbackMs));
    }
    accumulated.add(id);
  }
  return { stored, accumulated, ledgers };
}

/** Saves what stayed below the threshold, drops what opened or went quiet. Lost races are harmless. */
async function settleCandidates(
  store: TriageStore,
  candidates: CandidateState,
  observed: Map<string, Incident>,
  nowMs: number,
  settings: TriageSettings,
  log: CycleDeps["log"],
): Promise<void> {
  const openNow = new Set(
    (await store.listIncidentStates({ status: "open" })).map((s) => s.record.incident.id),
  );
  const ids = new Set([...candidates.stored.keys(), ...candidates.accumulated]);
  for (const id of ids) {
    const before = candidates.stored.get(id);
    const view = candidates.accumulated.has(id)
      ? observed.get(id)!
      : withinWindow(before!.incident, nowMs - settings.lookbackMs);
    try {
      if (openNow.has(id) || view.count === 0) {
        if (before) await store.deleteCandidate(id, before.etag);
      } else if (candidates.accumulated.has(id)) {
        await store.putCandidate(view, before?.etag, candidates.ledgers.get(id));
      }
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      log("info", `${id}: candidate updated by a concurrent run`);
    }
  }
}

function tally(
  report: CycleReport,
  previous: StoredIncident | undefined,
  outcome: LifecycleOutcome,
  entries: number,
): void {
  const r = outcome.record!;
  const wasOpen = previous?.record.status === "open";
  if (r.status === "open" && !wasOpen) report.incidents.opened++;
  else if (r.status === "resolved" && wasOpen) report.incidents.resolved++;
  else report.incidents.updated++;
  if (r.silencedBy) report.incidents.silenced++;
  if (outcome.lifecycle?.inhibitedBy) report.incidents.inhibited++;
  report.notifications.decided += entries;
}

function outboxEntriesFor(
  outcome: LifecycleOutcome,
  covers: Incident[],
  cause: keyof typeof ACCOUNT_WIDE_CAUSE_WORDS | undefined,
  deps: CycleDeps,
  now: Date,
  inputs: InputHealth,
): OutboxEntry[] {
  const record = outcome.record!;
  const n = outcome.notification!;
  const incident = record.incident;
  const notificationId = `${incident.id}-${n.seq}`;
  const ownCause = accountWideCauseOf(incident);
  const view: NotificationView = {
    notificationId,
    reason: n.reason,
    detail: n.detail,
    decidedAt: now.toISOString(),
    status: record.status,
    openedAt: record.openedAt,
    incident,
    covers,
  };
  if (record.resolvedAt) view.resolvedAt = record.resolvedAt;
  const causeWords = cause ?? ownCause;
  if (causeWords) view.accountWideCause = ACCOUNT_WIDE_CAUSE_WORDS[causeWords];
  if (deps.settings.dashboardUrl) view.link = incidentLink(deps.settings.dashboardUrl, incident.id);
  if (inputs.problems.length > 0) view.inputProblems = inputs.problems;

  const base = {
    incidentId: incident.id,
    notificationId,
    seq: n.seq,
    reason: n.reason,
    detail: n.detail,
    at: now.toISOString(),
    outcome: "pending" as const,
    attempts: 0,
  };
  const entries: OutboxEntry[] = [];
  if (deps.settings.teamsWebhookUrl) {
    entries.push({ ...base, channel: "teams", payload: buildTeamsMessage(view).envelope });
  }
  if (deps.settings.webhookUrl) {
    entries.push({ ...base, channel: "webhook", payload: buildWebhookPayload(view) });
  }
  if (deps.settings.monitor) {
    entries.push({ ...base, channel: "monitor", payload: buildIncidentRow(view) });
  }
  return entries;
}

/** What the source could tell about its inputs; fields it cannot tell stay unchecked. */
function inputCountsOf(a: SourceAnalysis): Parameters<typeof checkInputs>[0] {
  const counts: Parameters<typeof checkInputs>[0] = { storageRows: a.rowsScanned, failures: a.failures };
  if (a.activityEvents !== undefined) counts.activityEvents = a.activityEvents;
  if (a.accountsWithRows !== undefined) counts.accountsWithRows = a.accountsWithRows;
  return counts;
}
