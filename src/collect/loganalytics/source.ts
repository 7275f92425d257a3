import type { LogsQueryClient } from "@azure/monitor-query-logs";
import { commitAll } from "../commit-all.js";
import type { Clock } from "../../clock.js";
import type { RejectedRecord } from "../../engine/contracts.js";
import type { ActivityEvent } from "../../model/activity.js";
import type { ClusterPartial } from "../../model/incident.js";
import { mergePartials } from "../../cluster/aggregator.js";
import {
  DEFAULT_EVIDENCE_QUERY_CAPS,
  DEFAULT_PARTIAL_CAPS,
  type EvidenceQueryCaps,
  type PartialCaps,
} from "./caps.js";
import {
  createLogsQueryClient,
  realRetryDeps,
  runQueryOnce,
  runWindowed,
  LogAnalyticsQueryError,
  type LogsClientHooks,
  type RetryDeps,
  type TokenCredential,
} from "./client.js";
import { mergeServerEvidence, type ServerEvidence } from "./evidence.js";
import { runEvidenceQueries } from "./evidence-run.js";
import {
  ACCOUNTS_WITH_ROWS_CAP,
  ACTIVITY_ROW_CAP,
  accountsWithRowsQuery,
  activityChangesQuery,
  failureClustersQuery,
  type IngestionWindow,
} from "./queries.js";
import {
  accountsWithRowsFromTable,
  activityEventsFromTable,
  clusterPartialsFromTable,
  type Converted,
} from "./results.js";
import type { LogAnalyticsSettings } from "./settings.js";
import { WatermarkConflictError, workspaceWatermarkKey, type WatermarkStore } from "./watermark.js";
import { DEFAULT_WINDOW_POLICY, planIngestionWindow, type WindowPolicy } from "./window.js";
import { compareText } from "../../order.js";

/**
 * The Log Analytics source: for each workspace, plan the ingestion window from its watermark, fetch the
 * server-side cluster partials (splitting truncated windows), fetch the AzureActivity changes around the
 * failures, and merge everything. Watermarks advance only on commit(), after the caller has used the result.
 */
export interface LogAnalyticsSourceDeps {
  clock: Clock;
  watermarks: WatermarkStore;
  /** Defaults to DefaultAzureCredential (managed identity in Azure). */
  credential?: TokenCredential;
  /** SDK client hooks (tests: trust a test CA). */
  clientHooks?: LogsClientHooks;
  retry?: RetryDeps;
  caps?: PartialCaps;
  /** Caller caps and account groups of the root-cause evidence query. */
  evidenceCaps?: EvidenceQueryCaps;
  windowPolicy?: WindowPolicy;
  /**
   * The timer's window: also ask which storage accounts have any row in it (input health names a listed
   * account that has none). Absent: not asked.
   */
  accountsWindow?: { fromMs: number; toMs: number };
}

export interface WorkspaceRun {
  workspaceId: string;
  window: IngestionWindow;
  /** Backlog not read because the watermark was older than the catch-up limit. */
  skippedMs: number;
  queries: number;
  /** Times a truncated or timed-out cluster window was halved. */
  splits: number;
  clusters: number;
  activityEvents: number;
  /** True when the activity query returned its row cap: older changes may be missing. */
  activityCapped: boolean;
  /** Times a truncated or timed-out evidence answer was asked again in halves. */
  evidenceSplits?: number;
  /**
   * False when part of the evidence stayed truncated or timed out after every split (the records present
   * are still valid).
   */
  evidenceComplete: boolean;
}

export interface LogAnalyticsCollection {
  partials: ClusterPartial[];
  activity: ActivityEvent[];
  /** Requests in the windows read (any status), counted server-side. */
  rows: number;
  /** 401/403 requests among them (the sum of the partials' counts). */
  failures: number;
  /** Root-cause evidence records (RootCauseEvidence shape), built server-side. */
  evidence: ServerEvidence;
  rejected: RejectedRecord[];
  workspaces: WorkspaceRun[];
  /** The union of the windows read, for reports. */
  window: { fromMs: number; toMs: number };
  /**
   * Lower-case accounts with any row in `accountsWindow`, over every workspace read; absent when not
   * asked, or when an answer was cut or incomplete (then nothing is said rather than something wrong).
   */
  accountsWithRows?: string[];
  /**
   * Advances every workspace's watermark to the end of the window read, conditional on the etag seen at
   * the start. Throws WatermarkConflictError if an overlapping run got there first.
   */
  commit(): Promise<void>;
}

function byTime(a: ActivityEvent, b: ActivityEvent): number {
  return a.timeMs - b.timeMs || compareText(a.eventDataId ?? "", b.eventDataId ?? "");
}

/** Several workspaces may receive the same subscription's activity log: keep each event once. */
function dedupActivity(events: ActivityEvent[]): ActivityEvent[] {
  const seen = new Set<string>();
  const out: ActivityEvent[] = [];
  for (const e of events.sort(byTime)) {
    const id =
      e.eventDataId ?? `${e.timeMs}|${e.correlationId ?? ""}|${e.operationName}|${e.status}|${e.resourceId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(e);
  }
  return out;
}

export async function collectFromLogAnalytics(
  settings: LogAnalyticsSettings,
  deps: LogAnalyticsSourceDeps,
  client?: LogsQueryClient,
): Promise<LogAnalyticsCollection> {
  const logs = client ?? (await createLogsQueryClient(settings, deps.credential, deps.clientHooks));
  const caps = deps.caps ?? DEFAULT_PARTIAL_CAPS;
  const retry = deps.retry ?? realRetryDeps;
  const nowMs = deps.clock.now().getTime();
  const partialLists: ClusterPartial[][] = [];
  const activity: ActivityEvent[] = [];
  const evidenceParts: ServerEvidence[] = [];
  let rows = 0;
  const rejected: RejectedRecord[] = [];
  const runs: WorkspaceRun[] = [];
  const pendingCommits: Array<() => Promise<void>> = [];
  // Undefined once any workspace's answer could not be used.
  let accountsWithRows: Set<string> | undefined = deps.accountsWindow ? new Set() : undefined;

  for (const workspaceId of settings.workspaceIds) {
    const key = workspaceWatermarkKey(workspaceId);
    const mark = await deps.watermarks.get(key);
    const plan = planIngestionWindow(nowMs, mark?.valueMs, deps.windowPolicy ?? DEFAULT_WINDOW_POLICY);
    const run: WorkspaceRun = {
      workspaceId,
      window: plan.window,
      skippedMs: plan.skippedMs,
      queries: 0,
      splits: 0,
      clusters: 0,
      activityEvents: 0,
      activityCapped: false,
      evidenceComplete: true,
    };
    runs.push(run);
    // Asked of every workspace, even one with nothing new to read: the accounts are over the timer's window.
    if (deps.accountsWindow && accountsWithRows) {
      const accounts = await accountsWithRowsOf(logs, settings, workspaceId, deps.accountsWindow, retry);
      run.queries += 1;
      rejected.push(...accounts.rejected);
      if (accounts.items) for (const a of accounts.items) accountsWithRows.add(a);
      else accountsWithRows = undefined;
    }
    if (!plan.hasRows) continue;

    const origin = { workspaceId, query: "failure-clusters" };
    const clusters = await runWindowed<Converted<ClusterPartial> & { rowsInWindow: number }>(
      logs,
      settings,
      workspaceId,
      "failure-clusters",
      plan.window,
      (w) => failureClustersQuery(w, caps),
      (tables) =>
        tables[0]
          ? clusterPartialsFromTable(tables[0], origin, caps)
          : { items: [], rejected: [], rowsInWindow: 0 },
      retry,
    );
    run.queries += clusters.queries;
    run.splits += clusters.splits;
    const workspacePartials = mergePartials(
      clusters.results.flatMap((r) => r.items),
      caps,
    );
    run.clusters = workspacePartials.length;
    partialLists.push(workspacePartials);
    for (const r of clusters.results) {
      rejected.push(...r.rejected);
      rows += r.rowsInWindow;
    }

    if (workspacePartials.length > 0) {
      const firstFailureMs = Math.min(...workspacePartials.map((p) => p.firstSeenMs));
      const fromMs = firstFailureMs - settings.activityLookbackMinutes * 60_000;
      const toMs = plan.window.ingestedUntilMs;
      const outcome = await runQueryOnce(
        logs,
        settings,
        workspaceId,
        "activity-changes",
        activityChangesQuery(fromMs, toMs),
        { startTime: new Date(fromMs), endTime: new Date(toMs) },
        retry,
      );
      run.queries += 1;
      if (outcome.kind !== "complete") {
        throw new LogAnalyticsQueryError(
          workspaceId,
          "activity-changes",
          outcome.kind === "timeout" ? 504 : 200,
          outcome.kind === "truncated" ? outcome.code : "GatewayTimeout",
          outcome.message,
        );
      }
      const converted = outcome.tables[0]
        ? activityEventsFromTable(outcome.tables[0], { workspaceId, query: "activity-changes" })
        : { items: [], rejected: [] };
      run.activityEvents = converted.items.length;
      run.activityCapped = (outcome.tables[0]?.rows.length ?? 0) >= ACTIVITY_ROW_CAP;
      activity.push(...converted.items);
      rejected.push(...converted.rejected);

      if (settings.includeEvidence) {
        const accounts = [...new Set(workspacePartials.map((p) => p.key.account.toLowerCase()))].sort();
        const evidenceFromMs = firstFailureMs - settings.evidenceLookbackMinutes * 60_000;
        const evidence = await runEvidenceQueries(
          logs,
          settings,
          workspaceId,
          accounts,
          { fromMs: evidenceFromMs, toMs },
          deps.evidenceCaps ?? DEFAULT_EVIDENCE_QUERY_CAPS,
          retry,
        );
        run.queries += evidence.queries;
        run.evidenceSplits = evidence.splits;
        run.evidenceComplete = evidence.complete;
        evidenceParts.push(...evidence.parts);
        rejected.push(...evidence.rejected);
      }
    }

    const until = plan.window.ingestedUntilMs;
    pendingCommits.push(async () => {
      await deps.watermarks.set(key, until, mark?.etag);
    });
  }

  const partials = mergePartials(partialLists.flat(), caps);
  return {
    ...(accountsWithRows ? { accountsWithRows: [...accountsWithRows].sort() } : {}),
    partials,
    rows,
    failures: partials.reduce((n, p) => n + p.count, 0),
    activity: dedupActivity(activity),
    evidence: mergeServerEvidence(evidenceParts),
    rejected,
    workspaces: runs,
    window: {
      fromMs: Math.min(...runs.map((r) => r.window.ingestedAfterMs)),
      toMs: Math.max(...runs.map((r) => r.window.ingestedUntilMs)),
    },
    commit: () =>
      commitAll(
        pendingCommits,
        (err) => (err instanceof WatermarkConflictError ? err.key : undefined),
        (keys) => new WatermarkConflictError(keys),
      ),
  };
}

/**
 * One workspace's accounts with rows in the timer's window; `items` undefined when the answer was cut
 * (cap reached, truncated, timed out) or had a bad row, so input health stays silent rather than wrong.
 */
async function accountsWithRowsOf(
  logs: LogsQueryClient,
  settings: LogAnalyticsSettings,
  workspaceId: string,
  window: { fromMs: number; toMs: number },
  retry: RetryDeps,
): Promise<{ items: string[] | undefined; rejected: RejectedRecord[] }> {
  const outcome = await runQueryOnce(
    logs,
    settings,
    workspaceId,
    "accounts-with-rows",
    accountsWithRowsQuery(window.fromMs, window.toMs),
    { startTime: new Date(window.fromMs), endTime: new Date(window.toMs) },
    retry,
  );
  if (outcome.kind !== "complete") return { items: undefined, rejected: [] };
  const table = outcome.tables[0];
  if (!table) return { items: [], rejected: [] };
  const converted = accountsWithRowsFromTable(table, { workspaceId, query: "accounts-with-rows" });
  const complete = converted.rejected.length === 0 && converted.items.length <= ACCOUNTS_WITH_ROWS_CAP;
  return {
    items: complete ? converted.items.map((a) => a.account) : undefined,
    rejected: converted.rejected,
  };
}
