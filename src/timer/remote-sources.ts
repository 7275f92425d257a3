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
  private pending: (() => Promise<void>) | undefined;

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
    } = await analyzeLogAnalytics(settings, {
      clock,
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
    this.pending = commit;
    return { ...sourceAnalysisOf(result), slices, activity, window: read };
  }

  async commit(): Promise<void> {
    const commit = this.pending;
    this.pending = undefined;
    await commitUnlessOvertaken(commit, WatermarkConflictError);
  }
}

export class ArchiveIncidentSource implements IncidentSource {
  private pending: (() => Promise<void>) | undefined;

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
    const { result, slices, activity, commit } = await analyzeArchive({
      settings,
      // Blobs of hours that ended before the window are complete and were read by earlier runs.
      window,
      cursors: blobCursorStoreOn(this.store),
      clock,
      rejections: new RejectionCollector(),
      ...(this.hooks.credential ? { credential: this.hooks.credential } : {}),
    });
    this.pending = commit;
    return { ...sourceAnalysisOf(result), slices, activity };
  }

  async commit(): Promise<void> {
    const commit = this.pending;
    this.pending = undefined;
    await commitUnlessOvertaken(commit, BlobCursorConflictError);
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
