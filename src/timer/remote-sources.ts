import type { Clock } from "../clock.js";
import { readArchivedActivity } from "../collect/archive/activity.js";
import { BlobCursorConflictError } from "../collect/archive/cursor.js";
import { createBlobServiceClient, parseArchiveSettings, readArchive } from "../collect/archive/reader.js";
import type { LogsClientHooks, TokenCredential } from "../collect/loganalytics/client.js";
import { rootCauseExplainerFromEvidence } from "../collect/loganalytics/explainer.js";
import { parseLogAnalyticsSettings } from "../collect/loganalytics/settings.js";
import { collectFromLogAnalytics } from "../collect/loganalytics/source.js";
import { WatermarkConflictError } from "../collect/loganalytics/watermark.js";
import { RejectionCollector } from "../collect/rejections.js";
import { ClusterAggregator } from "../cluster/aggregator.js";
import type { SourceSettings } from "../config/settings.js";
import { createRootCauseExplainer } from "../correlate/index.js";
import { resultFromPartials } from "../engine/analyze.js";
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

/** AzureActivity is read this far before the window: changes precede the failures they cause. */
const ACTIVITY_LOOKBACK_MS = 2 * 3_600_000;

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
    const collected = await collectFromLogAnalytics(settings, {
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
    });
    this.pending = collected.commit;
    const rejections = new RejectionCollector();
    for (const r of collected.rejected) rejections.reject(r);
    const result = resultFromPartials({
      partials: collected.partials,
      rows: collected.rows,
      failures: collected.failures,
      window: collected.window,
      activity: collected.activity,
      explainer: rootCauseExplainerFromEvidence(collected.evidence, { clock }),
      clock,
      rejections,
    });
    return {
      incidents: result.incidents,
      rowsScanned: collected.rows,
      failures: collected.failures,
      clusters: result.input.clusters,
      rejected: result.input.rejected,
      window: collected.window,
      incremental: true,
    };
  }

  async commit(): Promise<void> {
    const commit = this.pending;
    this.pending = undefined;
    try {
      await commit?.();
    } catch (err) {
      if (!(err instanceof WatermarkConflictError)) throw err;
    }
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
    const service = await createBlobServiceClient(settings, this.hooks.credential);
    const aggregator = new ClusterAggregator();
    const explainer = createRootCauseExplainer({ clock });
    const rejections = new RejectionCollector();
    const read = await readArchive(
      settings,
      // Blobs of hours that ended before the window are complete and were read by earlier runs.
      { sinceMs: window.fromMs },
      {
        clock,
        cursors: blobCursorStoreOn(this.store),
        observer: {
          observe: (r) => {
            aggregator.observe(r);
            explainer.observer.observe(r);
          },
        },
        rejections,
      },
      service,
    );
    this.pending = read.commit;
    const firstFailureMs = Math.min(...aggregator.partials().map((p) => p.firstSeenMs), window.fromMs);
    const activity = await readArchivedActivity(
      service,
      { fromMs: firstFailureMs - ACTIVITY_LOOKBACK_MS, toMs: window.toMs },
      rejections,
    );
    const result = resultFromPartials({
      partials: aggregator.partials(),
      rows: aggregator.rows,
      failures: aggregator.failures,
      window,
      activity,
      explainer,
      clock,
      rejections,
    });
    return {
      incidents: result.incidents,
      rowsScanned: aggregator.rows,
      failures: aggregator.failures,
      clusters: result.input.clusters,
      rejected: result.input.rejected,
      incremental: true,
    };
  }

  async commit(): Promise<void> {
    const commit = this.pending;
    this.pending = undefined;
    try {
      await commit?.();
    } catch (err) {
      if (!(err instanceof BlobCursorConflictError)) throw err;
    }
  }
}
