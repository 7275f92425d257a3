import type { Clock } from "../clock.js";
import { BlobCursorConflictError } from "../collect/archive/cursor.js";
import { parseArchiveSettings } from "../collect/archive/reader.js";
import type { LogsClientHooks, TokenCredential } from "../collect/loganalytics/client.js";
import { parseLogAnalyticsSettings } from "../collect/loganalytics/settings.js";
import { WatermarkConflictError } from "../collect/loganalytics/watermark.js";
import { RejectionCollector } from "../collect/rejections.js";
import type { SourceSettings } from "../config/settings.js";
import { analyzeArchive } from "../engine/analyze-archive.js";
import { analyzeLogAnalytics } from "../engine/analyze-log-analytics.js";
import type { AnalysisResult } from "../engine/analyze.js";
import type { BlobAnalysisOptions } from "../engine/blob-analysis.js";
import { blobCursorStoreOn, watermarkStoreOn } from "../state/cursors.js";
import type { TriageStore } from "../state/store.js";
import type { AnalysisWindowMs, IncidentSource, SourceAnalysis } from "./source.js";

/**
 * The production sources as the timer sees them. Both read incrementally: Log Analytics by ingestion
 * time from a per-workspace watermark, the archive by per-blob byte offsets; both cursors live in the
 * timer's store and advance only on commit(), after the cycle has committed its decisions. A commit lost
 * to an overlapping run is harmless here: the lifecycle merges what two runs saw per minute.
 */
export interface RemoteSourceHooks {
  credential?: TokenCredential;
  logsClientHooks?: LogsClientHooks;
}

export class LogAnalyticsIncidentSource implements IncidentSource {
  private readonly pending = new PendingCommit(WatermarkConflictError);

  constructor(
    private readonly source: Extract<SourceSettings, { kind: "workspaces" }>,
    private readonly store: TriageStore,
    private readonly maxCatchUpMs: number,
    private readonly hooks: RemoteSourceHooks = {},
  ) {}

  describe(): string {
    return `Log Analytics (${this.source.workspaceIds.length} workspace(s), ${this.source.cloud} cloud)`;
  }

  async analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis> {
    const settings = parseLogAnalyticsSettings({
      workspaceIds: this.source.workspaceIds,
      cloud: this.source.cloud,
      ...(this.source.endpoint ? { endpoint: this.source.endpoint } : {}),
    });
    const {
      result,
      slices,
      activity,
      window: read,
      commit,
      accountsWithRows,
    } = await analyzeLogAnalytics(settings, {
      clock,
      // Input health counts accounts over the cycle's window, as the file source does.
      accountsWindow: window,
      watermarks: watermarkStoreOn(this.store),
      ...(this.hooks.credential ? { credential: this.hooks.credential } : {}),
      ...(this.hooks.logsClientHooks ? { clientHooks: this.hooks.logsClientHooks } : {}),
      windowPolicy: {
        settleMs: 60_000,
        maxIngestionDelayMs: 2 * 3_600_000,
        // First run: read the lookback; after an outage catch up as far as the timer's own limit.
        initialLookbackMs: window.toMs - window.fromMs,
        maxCatchUpMs: this.maxCatchUpMs,
      },
      rejections: new RejectionCollector(),
    });
    this.pending.hold(commit);
    return {
      ...sourceAnalysisOf(result),
      slices,
      activity,
      window: read,
      ...(accountsWithRows ? { accountsWithRows } : {}),
    };
  }

  commit(): Promise<void> {
    return this.pending.commit();
  }
}

export class ArchiveIncidentSource implements IncidentSource {
  private readonly pending = new PendingCommit(BlobCursorConflictError);

  constructor(
    private readonly source: Extract<SourceSettings, { kind: "archive" }>,
    private readonly store: TriageStore,
    private readonly hooks: RemoteSourceHooks = {},
  ) {}

  describe(): string {
    return this.source.connectionString
      ? "archive account (connection string)"
      : `archive ${this.source.accountUrl}`;
  }

  async analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis> {
    const settings = parseArchiveSettings(
      this.source.connectionString
        ? { connectionString: this.source.connectionString }
        : { accountUrl: this.source.accountUrl },
    );
    const { result, slices, activity, commit, accountsWithRows } = await analyzeArchive(
      timerBlobRun(settings, window, clock, this.store, this.hooks),
    );
    this.pending.hold(commit);
    return {
      ...sourceAnalysisOf(result),
      slices,
      activity,
      ...(accountsWithRows ? { accountsWithRows } : {}),
    };
  }

  commit(): Promise<void> {
    return this.pending.commit();
  }
}

/** What the cycle needs of an analysis of new data (both production sources read incrementally). */
export function sourceAnalysisOf(result: AnalysisResult): SourceAnalysis {
  return {
    incidents: result.incidents,
    rowsScanned: result.input.rows,
    failures: result.input.failures,
    clusters: result.input.clusters,
    rejected: result.input.rejected,
    incremental: true,
    activityEvents: result.input.activityEvents,
  };
}

/** A source's read positions, held from analyze() until the cycle has committed its decisions. */
export class PendingCommit {
  private pending: (() => Promise<void>) | undefined;

  constructor(private readonly conflict: abstract new (...args: never[]) => Error) {}

  hold(commit: () => Promise<void>): void {
    this.pending = commit;
  }

  async commit(): Promise<void> {
    const commit = this.pending;
    this.pending = undefined;
    await commitUnlessOvertaken(commit, this.conflict);
  }
}

/** A timer run over blobs: per-blob cursors in the timer's store, a fresh rejection tally. */
export function timerBlobRun<S>(
  settings: S,
  window: AnalysisWindowMs,
  clock: Clock,
  store: TriageStore,
  hooks: RemoteSourceHooks,
): BlobAnalysisOptions<S> {
  return {
    settings,
    // Blobs of hours that ended before the window are complete and were read by earlier runs.
    window,
    cursors: blobCursorStoreOn(store),
    clock,
    rejections: new RejectionCollector(),
    ...(hooks.credential ? { credential: hooks.credential } : {}),
  };
}

/** Commits a source's read positions; losing to an overlapping run is harmless (see the class doc). */
export async function commitUnlessOvertaken(
  commit: (() => Promise<void>) | undefined,
  conflict: abstract new (...args: never[]) => Error,
): Promise<void> {
  try {
    await commit?.();
  } catch (err) {
    if (!(err instanceof conflict)) throw err;
  }
}
