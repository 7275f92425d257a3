import { readArchivedActivity } from "../collect/archive/activity.js";
import { createBlobServiceClient, readArchive, type ArchiveSettings } from "../collect/archive/reader.js";
import type { ActivityEvent } from "../model/activity.js";
import type { AnalysisResult } from "./analyze.js";
import { blobReadOptions, blobRunResult, startBlobRun, type BlobAnalysisOptions } from "./blob-analysis.js";
import { readSlice, type PartialResult } from "./partial-result.js";

/** AzureActivity is read this far before the first failure: changes precede the failures they cause. */
export const ARCHIVE_ACTIVITY_LOOKBACK_MS = 2 * 3_600_000;

/** `extraActivity` is added to the archived activity log. */
export type ArchiveAnalysisOptions = BlobAnalysisOptions<ArchiveSettings>;

export interface ArchiveAnalysis {
  result: AnalysisResult;
  /** What was read, as one read slice, for the timer's merge (src/engine/partial-result.ts). */
  slices: PartialResult;
  /** Activity the causes were ranked against. */
  activity: readonly ActivityEvent[];
  /** Accounts with a log blob in the window, for the timer's input check (absent past its cap). */
  accountsWithRows?: string[];
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
  const run = startBlobRun(o.clock);
  const { intake, explainer } = run;
  const read = await readArchive(
    o.settings,
    blobReadOptions(o),
    { clock: o.clock, cursors: o.cursors, observer: intake, rejections: o.rejections },
    service,
  );
  const aggregator = intake.counted();
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
  const result = blobRunResult(o, run, { activity, droppedBeforeSince: read.droppedBeforeSince, partials });
  return {
    result,
    slices,
    activity,
    ...(read.accountsListed ? { accountsWithRows: read.accountsListed } : {}),
    commit: read.commit,
  };
}
