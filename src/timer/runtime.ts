import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import {
  describeSettings,
  loadSettings,
  type StateSettings,
  type TriageSettings,
} from "../config/settings.js";
import { monitorSender, type MonitorClientHooks } from "../monitor/logs-ingestion.js";
import { httpSender, type Sender } from "../notify/http.js";
import { sanitizeOutbound } from "../redact.js";
import { DEFAULT_RETRY_POLICY, realRetryDeps, type RetryDeps, type RetryPolicy } from "../notify/retry.js";
import { describeInputHealth, inputHealth, type InputHealth } from "../engine/input-health.js";
import { namedStore, storeName } from "../state/outage.js";
import type { Channel, TriageStore } from "../state/store.js";
import { createTelemetry } from "../telemetry/telemetry.js";
import { runCycle, type CycleReport } from "./cycle.js";
import type { RemoteSourceHooks } from "./remote-sources.js";
import type { IncidentSource } from "./source.js";
import { createIncidentSource } from "./sources.js";

/**
 * The timer's core, shared by the Azure Function (functions/timer.ts) and `auth-triage run-once`:
 * validate settings, build (or reuse) the store, source, senders and telemetry, run one cycle.
 */
export type LogLevel = "info" | "warn" | "error";
export type RunLog = (level: LogLevel, message: string) => void;

export interface InvocationRequest {
  env: Record<string, string | undefined>;
  clock: Clock;
  isPastDue: boolean;
  log: RunLog;
  /** Parts to use instead of those the settings describe (the local stack shares its store; tests inject faults). */
  overrides?: {
    source?: IncidentSource;
    store?: TriageStore;
    retry?: RetryDeps;
    retryPolicy?: RetryPolicy;
    leaseMs?: number;
    timeoutMs?: number;
    minSpacingMs?: number;
    runId?: string;
    /** Credential and client hooks for the Log Analytics / archive sources (tests: a local Logs API). */
    sourceHooks?: RemoteSourceHooks;
    /** Credential and client hooks for the Azure Monitor channel (tests: a local Logs Ingestion API). */
    monitorHooks?: MonitorClientHooks;
  };
}

// Workers are reused between invocations: keep clients (and the memory store) for the process.
const stores = new Map<string, Promise<TriageStore>>();

export async function openTriageStore(state: StateSettings): Promise<TriageStore> {
  const key = JSON.stringify(state);
  let p = stores.get(key);
  if (!p) {
    p = (async () => {
      if (state.kind === "memory") {
        const { MemoryTriageStore } = await import("../state/memory.js");
        return new MemoryTriageStore();
      }
      const { openTableTriageStore } = await import("../state/table.js");
      const table = await openTableTriageStore(state);
      return namedStore(table, storeName(table));
    })();
    p.catch(() => stores.delete(key));
    stores.set(key, p);
  }
  return p;
}

export function sendersFor(
  settings: TriageSettings,
  monitorHooks?: MonitorClientHooks,
): Partial<Record<Channel, Sender>> {
  const senders: Partial<Record<Channel, Sender>> = {};
  if (settings.teamsWebhookUrl) senders.teams = httpSender(settings.teamsWebhookUrl);
  if (settings.webhookUrl) senders.webhook = httpSender(settings.webhookUrl);
  if (settings.monitor) senders.monitor = monitorSender(settings.monitor, monitorHooks);
  return senders;
}

export async function runTimerInvocation(request: InvocationRequest): Promise<CycleReport> {
  // The redaction boundary of the run log (Functions invocation log, run-once's stderr): every line.
  const req: InvocationRequest = {
    ...request,
    log: (level, message) => request.log(level, sanitizeOutbound(message)),
  };
  const settings = loadSettings(req.env);
  const runId = req.overrides?.runId ?? randomUUID();
  req.log("info", `triage run ${runId}: ${describeSettings(settings)}`);
  const telemetry = await createTelemetry(
    settings.appInsightsConnectionString,
    (m) => req.log("warn", m),
    settings.appInsightsEntra,
  );
  const started = Date.now();
  try {
    // Failures of the store name it (StateStoreError): run-once gives them their own exit status.
    const store = req.overrides?.store
      ? namedStore(req.overrides.store, storeName(req.overrides.store))
      : await openTriageStore(settings.state);
    const source =
      req.overrides?.source ??
      (await createIncidentSource(settings.source, store, {
        maxCatchUpMs: settings.maxCatchUpMs,
        ...(req.overrides?.sourceHooks ? { hooks: req.overrides.sourceHooks } : {}),
      }));
    const report = await runCycle(
      {
        settings,
        store,
        source,
        senders: sendersFor(settings, req.overrides?.monitorHooks),
        clock: req.clock,
        runId,
        retryPolicy: req.overrides?.retryPolicy ?? DEFAULT_RETRY_POLICY,
        retry: req.overrides?.retry ?? realRetryDeps,
        telemetry,
        log: req.log,
        ...(req.overrides?.leaseMs !== undefined ? { leaseMs: req.overrides.leaseMs } : {}),
        ...(req.overrides?.timeoutMs !== undefined ? { timeoutMs: req.overrides.timeoutMs } : {}),
        ...(req.overrides?.minSpacingMs !== undefined ? { minSpacingMs: req.overrides.minSpacingMs } : {}),
      },
      { isPastDue: req.isPastDue },
    );
    req.log("info", summarizeReport(report));
    return report;
  } catch (err) {
    telemetry.recordFailure(err, Date.now() - started);
    throw err;
  } finally {
    await telemetry.flush();
  }
}

export function summarizeReport(r: CycleReport): string {
  return (
    `triage run ${r.runId} at ${r.now}: window ${r.window.from} → ${r.window.to}${r.caughtUp ? " (caught up)" : ""}; ` +
    `${r.rowsScanned} rows, ${r.failures} failures, ${r.clusters} clusters, ${r.rejected} rejected; ` +
    `incidents ${r.incidents.observed} seen, ${r.incidents.opened} opened, ${r.incidents.updated} updated, ` +
    `${r.incidents.resolved} resolved, ${r.incidents.silenced} silenced, ` +
    `${r.incidents.inhibited} announced inside an account-wide incident's message; ` +
    `notifications ${r.notifications.decided} decided, ${r.notifications.sent} sent, ${r.notifications.failed} failed, ` +
    `${r.notifications.pending} pending; ${r.conflicts} decision(s) re-made because an overlapping run wrote first; ` +
    `${r.durationMs} ms`
  );
}

/** What the cycle could read (see src/engine/input-health.ts). */
export function cycleInputHealth(r: CycleReport): InputHealth {
  const outside = r.outsideWindow ?? 0;
  const figures = {
    rows: r.rowsScanned - outside,
    rejected: r.rejected,
    outsideWindow: outside,
    window: r.window,
  };
  return inputHealth(r.dataSpan ? { ...figures, dataSpan: r.dataSpan } : figures);
}

/**
 * Says at error level that nothing could be read, or at warn level that every row lies outside the
 * window and where the data is. Called by the timer handler and run-once; not by the local stack, whose
 * replay runs past the end of the data on purpose (to resolve what it opened).
 */
export function logInputHealth(report: CycleReport, log: RunLog): InputHealth {
  const health = cycleInputHealth(report);
  if (health.kind === "nothing-read") log("error", sanitizeOutbound(describeInputHealth(health, timerReach)));
  else if (health.kind === "outside-window")
    log("warn", sanitizeOutbound(describeInputHealth(health, timerReach)));
  return health;
}

/** How a timer run reaches data outside its window: run at a time inside it. */
export function timerReach(data: { from: string; to: string }): string {
  return `nothing was analysed or sent; replay it as of a time inside that span (run-once --now ${data.to})`;
}
