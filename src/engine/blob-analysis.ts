import type { Clock } from "../clock.js";
import type { BlobCursorStore } from "../collect/archive/cursor.js";
import type { TokenCredential } from "../collect/loganalytics/client.js";
import { ClusterAggregator } from "../cluster/aggregator.js";
import { createRootCauseExplainer, type LocalRootCauseExplainer } from "../correlate/index.js";
import type { ActivityEvent } from "../model/activity.js";
import type { ClusterPartial } from "../model/incident.js";
import type { RejectionSink } from "./contracts.js";
import { RequestIntake } from "./intake.js";
import { resultFromPartials, type AnalysisResult, type RejectionTally } from "./analyze.js";

/**
 * What the engine's blob paths (archive, classic `$logs`) share: the same options, every request through
 * the cluster aggregator and the root-cause observer, and the same result from what was observed.
 */
export interface BlobAnalysisOptions<Settings> {
  settings: Settings;
  window: { fromMs: number; toMs: number };
  /** Per-blob read positions: in memory for one-off CLI runs, in the timer's store for the timer. */
  cursors: BlobCursorStore;
  /** Drop records logged before the window (one-off runs; the timer's cursors read each record once). */
  dropRecordsBeforeWindow?: boolean;
  /** Activity from elsewhere (e.g. exported files), added to any the source holds itself. */
  extraActivity?: readonly ActivityEvent[];
  clock: Clock;
  rejections: RejectionSink & RejectionTally;
  credential?: TokenCredential;
}

export interface BlobRun {
  /** Where the blob readers hand each request: the aggregator and the root-cause observer. */
  intake: RequestIntake;
  explainer: LocalRootCauseExplainer;
}

/** No window here: the blob readers drop what lies before it themselves (`blobReadOptions`). */
export function startBlobRun(clock: Clock): BlobRun {
  const explainer = createRootCauseExplainer({ clock });
  return { intake: new RequestIntake(new ClusterAggregator(), explainer.observer), explainer };
}

/** The blob readers' options for the analysis window. */
export function blobReadOptions<S>(o: BlobAnalysisOptions<S>): {
  sinceMs: number;
  dropRecordsBeforeSince: boolean;
} {
  return { sinceMs: o.window.fromMs, dropRecordsBeforeSince: o.dropRecordsBeforeWindow ?? false };
}

/** The result of a blob run, as every other source's (resultFromPartials). */
export function blobRunResult<S>(
  o: BlobAnalysisOptions<S>,
  run: BlobRun,
  read: { activity: readonly ActivityEvent[]; droppedBeforeSince: number; partials?: ClusterPartial[] },
): AnalysisResult {
  const counted = run.intake.counted();
  return resultFromPartials({
    partials: read.partials ?? counted.partials(),
    rows: counted.rows,
    failures: counted.failures,
    window: o.window,
    activity: read.activity,
    explainer: run.explainer,
    clock: o.clock,
    rejections: o.rejections,
    outsideWindow: read.droppedBeforeSince,
  });
}
