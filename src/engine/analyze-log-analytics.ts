import { rootCauseExplainerFromEvidence } from "../collect/loganalytics/explainer.js";
import type { LogAnalyticsSettings } from "../collect/loganalytics/settings.js";
import { collectFromLogAnalytics, type LogAnalyticsSourceDeps } from "../collect/loganalytics/source.js";
import type { ActivityEvent } from "../model/activity.js";
import { resultFromPartials, type AnalysisResult, type RejectionTally } from "./analyze.js";
import { readSlice, type PartialResult } from "./partial-result.js";
import type { RejectionSink } from "./contracts.js";

export interface LogAnalyticsAnalysis {
  result: AnalysisResult;
  /** What was read, as one read slice, for the timer's merge (src/engine/partial-result.ts). */
  slices: PartialResult;
  /** Activity the causes were ranked against. */
  activity: readonly ActivityEvent[];
  /** The union of the ingestion windows read. */
  window: { fromMs: number; toMs: number };
  /** Advances the workspaces' watermarks past the window read; call once the result is safely used. */
  commit(): Promise<void>;
  /** Accounts with any row in `accountsWindow`, when asked and known (src/collect/loganalytics/source.ts). */
  accountsWithRows?: string[];
}

/**
 * The Log Analytics path of the engine, shared by `analyze --workspace` and the timer: clusters and
 * root-cause evidence summarised server-side, then the same result as every other source.
 */
export async function analyzeLogAnalytics(
  settings: LogAnalyticsSettings,
  deps: LogAnalyticsSourceDeps & {
    rejections: RejectionSink & RejectionTally;
    /** Activity from elsewhere (e.g. exported files) added to the workspaces' AzureActivity. */
    extraActivity?: readonly ActivityEvent[];
  },
): Promise<LogAnalyticsAnalysis> {
  const { rejections, extraActivity, ...sourceDeps } = deps;
  const collected = await collectFromLogAnalytics(settings, sourceDeps);
  for (const r of collected.rejected) rejections.reject(r);
  const activity = [...collected.activity, ...(extraActivity ?? [])];
  const slices: PartialResult = {
    slices: [
      readSlice({
        rows: collected.rows,
        failures: collected.failures,
        partials: collected.partials,
        evidence: collected.evidence,
      }),
    ],
  };
  const result = resultFromPartials({
    partials: collected.partials,
    rows: collected.rows,
    failures: collected.failures,
    window: collected.window,
    activity,
    explainer: rootCauseExplainerFromEvidence(collected.evidence, { clock: deps.clock }),
    clock: deps.clock,
    rejections,
  });
  return {
    result,
    slices,
    activity,
    window: collected.window,
    commit: collected.commit,
    ...(collected.accountsWithRows ? { accountsWithRows: collected.accountsWithRows } : {}),
  };
}
