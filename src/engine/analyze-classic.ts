import { readClassicLogs, type ClassicSettings } from "../collect/classic-source.js";
import type { AnalysisResult } from "./analyze.js";
import { blobReadOptions, blobRunResult, startBlobRun, type BlobAnalysisOptions } from "./blob-analysis.js";

/** `extraActivity`: AzureActivity from elsewhere (exports), as `$logs` accounts hold no activity log. */
export type ClassicAnalysisOptions = BlobAnalysisOptions<ClassicSettings>;

export interface ClassicAnalysis {
  result: AnalysisResult;
  /** Accounts with a `$logs` blob in the window, for the timer's input check. */
  accountsWithRows?: string[];
  /** Advances the blob cursors past what was read; call once the result is safely used. */
  commit(): Promise<void>;
}

/**
 * The classic-logs path of the engine, shared by `analyze --classic-account` and the timer: new and grown
 * `$logs` blobs of each account through the aggregator and the root-cause observer, then the same result
 * as every other source.
 */
export async function analyzeClassic(o: ClassicAnalysisOptions): Promise<ClassicAnalysis> {
  const run = startBlobRun(o.clock);
  const read = await readClassicLogs(o.settings, blobReadOptions(o), {
    clock: o.clock,
    cursors: o.cursors,
    observer: run.intake,
    rejections: o.rejections,
    ...(o.credential ? { credential: o.credential } : {}),
  });
  const result = blobRunResult(o, run, {
    activity: [...(o.extraActivity ?? [])],
    droppedBeforeSince: read.droppedBeforeSince,
  });
  return {
    result,
    ...(read.accountsListed ? { accountsWithRows: read.accountsListed } : {}),
    commit: read.commit,
  };
}
