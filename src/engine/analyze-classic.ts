import type { Clock } from "../clock.js";
import type { BlobCursorStore } from "../collect/archive/cursor.js";
import { readClassicLogs, type ClassicSettings } from "../collect/classic-source.js";
import type { TokenCredential } from "../collect/loganalytics/client.js";
import { ClusterAggregator } from "../cluster/aggregator.js";
import { createRootCauseExplainer } from "../correlate/index.js";
import type { ActivityEvent } from "../model/activity.js";
import type { RejectionSink } from "./contracts.js";
import { resultFromPartials, type AnalysisResult, type RejectionTally } from "./analyze.js";

export interface ClassicAnalysisOptions {
  settings: ClassicSettings;
  window: { fromMs: number; toMs: number };
  /** Per-blob read positions: in memory for one-off CLI runs, in the timer's store for the timer. */
  cursors: BlobCursorStore;
  /** Drop lines logged before the window (one-off runs; the timer's cursors read each line once). */
  dropRecordsBeforeWindow?: boolean;
  /** AzureActivity from elsewhere (exports): `$logs` accounts hold no activity log. */
  extraActivity?: readonly ActivityEvent[];
  clock: Clock;
  rejections: RejectionSink & RejectionTally;
  credential?: TokenCredential;
}

export interface ClassicAnalysis {
  result: AnalysisResult;
  /** Advances the blob cursors past what was read; call once the result is safely used. */
  commit(): Promise<void>;
}

/**
 * The classic-logs path of the engine, shared by `analyze --classic-account` and the timer: new and grown
 * `$logs` blobs of each account through the aggregator and the root-cause observer, then the same result
 * as every other source.
 */
export async function analyzeClassic(o: ClassicAnalysisOptions): Promise<ClassicAnalysis> {
  const aggregator = new ClusterAggregator();
  const explainer = createRootCauseExplainer({ clock: o.clock });
  const read = await readClassicLogs(
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
      ...(o.credential ? { credential: o.credential } : {}),
    },
  );
  const result = resultFromPartials({
    partials: aggregator.partials(),
    rows: aggregator.rows,
    failures: aggregator.failures,
    window: o.window,
    activity: [...(o.extraActivity ?? [])],
    explainer,
    clock: o.clock,
    rejections: o.rejections,
    outsideWindow: read.droppedBeforeSince,
  });
  return { result, commit: read.commit };
}
