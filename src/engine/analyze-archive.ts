import type { Clock } from "../clock.js";
import { readArchivedActivity } from "../collect/archive/activity.js";
import type { BlobCursorStore } from "../collect/archive/cursor.js";
import { createBlobServiceClient, readArchive, type ArchiveSettings } from "../collect/archive/reader.js";
import type { TokenCredential } from "../collect/loganalytics/client.js";
import { ClusterAggregator } from "../cluster/aggregator.js";
import { createRootCauseExplainer } from "../correlate/index.js";
import type { ActivityEvent } from "../model/activity.js";
import type { RejectionSink } from "./contracts.js";
import { resultFromPartials, type AnalysisResult, type RejectionTally } from "./analyze.js";
import { readSlice, type PartialResult } from "./partial-result.js";

/** AzureActivity is read this far before the first failure: changes precede the failures they cause. */
export const ARCHIVE_ACTIVITY_LOOKBACK_MS = 2 * 3_600_000;

export interface ArchiveAnalysisOptions {
  settings: ArchiveSettings;
  window: { fromMs: number; toMs: number };
  /** Per-blob read positions: in memory for one-off CLI runs, in the timer's store for the timer. */
  cursors: BlobCursorStore;
  /** Drop records generated before the window (one-off runs; the timer's cursors read each record once). */
  dropRecordsBeforeWindow?: boolean;
  /** Activity from elsewhere (e.g. exported files) added to the archived activity log. */
  extraActivity?: readonly ActivityEvent[];
  clock: Clock;
  rejections: RejectionSink & RejectionTally;
  credential?: TokenCredential;
}

export interface ArchiveAnalysis {
  result: AnalysisResult;
  /** What was read, as one read slice, for the timer's merge (src/engine/partial-result.ts). */
  slices: PartialResult;
  /** Activity the causes were ranked against. */
  activity: readonly ActivityEvent[];
  /** Advances the blob cursors past what was read; call once the result is safely used. */
  commit(): Promise<void>;
}

/**
 * The archive path of the engine, shared by `analyze --archive-account` and the timer: new and grown
 * PT1H.json blobs through the aggregator and the root-cause observer, the archived activity log from
 * before the first failure, then the same result as every other source.
 */
export async function analyzeArchive(o: ArchiveAnalysisOptions): Promise<ArchiveAnalysis> {
  const service = await createBlobServiceClient(o.settings, o.credential);
  const aggregator = new ClusterAggregator();
  const explainer = createRootCauseExplainer({ clock: o.clock });
  const read = await readArchive(
    o.settings,
    { sinceMs: o.window.fromMs, dropRecordsBeforeSince: o.dropRecordsBeforeWindow ?? false },
    {
      clock: o.clock,
      cursors: o.cursors,
      observer: {
        observe: (r) => {
          aggregator.observe(r);
          explainer.observer.observe(r);
        },
      },
      rejections: o.rejections,
    },
    service,
  );
  const firstFailureMs = Math.min(...aggregator.partials().map((p) => p.firstSeenMs), o.window.fromMs);
  const archivedActivity = await readArchivedActivity(
    service,
    { fromMs: firstFailureMs - ARCHIVE_ACTIVITY_LOOKBACK_MS, toMs: o.window.toMs },
    o.rejections,
  );
  const activity = [...archivedActivity, ...(o.extraActivity ?? [])];
  const partials = aggregator.partials();
  const slices: PartialResult = {
    slices: [
      readSlice({
        rows: aggregator.rows,
        failures: aggregator.failures,
        partials,
        evidence: explainer.evidence(),
      }),
    ],
  };
  const result = resultFromPartials({
    partials,
    rows: aggregator.rows,
    failures: aggregator.failures,
    window: o.window,
    activity,
    explainer,
    clock: o.clock,
    rejections: o.rejections,
    outsideWindow: read.droppedBeforeSince,
  });
  return { result, slices, activity, commit: read.commit };
}
