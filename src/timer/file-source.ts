import type { Clock } from "../clock.js";
import { readActivityEvents, readStorageRequestBatches } from "../collect/files.js";
import { RejectionCollector } from "../collect/rejections.js";
import { createRootCauseExplainer } from "../correlate/index.js";
import { analyze } from "../engine/analyze.js";
import type { ActivityEvent } from "../model/activity.js";
import type { AnalysisWindowMs, IncidentSource, SourceAnalysis } from "./source.js";

/** Distinct accounts remembered per analysis (memory bounded by a cap, never by rows). */
const MAX_ACCOUNTS_SEEN = 10_000;

/**
 * Local files through the local engine: the source of `run-once`, the local stack and tests. Each
 * analysis streams the files again (they may have grown) and keeps only the window's rows; activity
 * events are read once per analysis too, because root causes need the changes before onset.
 */
export class FileIncidentSource implements IncidentSource {
  constructor(
    private readonly logs: readonly string[],
    private readonly activityPaths: readonly string[],
  ) {}

  describe(): string {
    return `files (${this.logs.length} log path(s), ${this.activityPaths.length} activity path(s))`;
  }

  async analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis> {
    const rejections = new RejectionCollector();
    const activity: ActivityEvent[] = [];
    if (this.activityPaths.length > 0) {
      for await (const e of readActivityEvents([...this.activityPaths], { rejections })) activity.push(e);
    }
    // Which accounts have rows in the window (input-health names a listed account that has none).
    const accounts = new Set<string>();
    const batches = readStorageRequestBatches([...this.logs], { rejections });
    const requests = async function* () {
      for await (const batch of batches) {
        for (const r of batch) {
          if (accounts.size < MAX_ACCOUNTS_SEEN && r.timeMs >= window.fromMs && r.timeMs < window.toMs)
            accounts.add(r.account.toLowerCase());
        }
        yield batch;
      }
    };
    const result = await analyze({
      requests: requests(),
      activity,
      // The engine's bounds are inclusive; the window is [from, to).
      window: { from: new Date(window.fromMs), to: new Date(window.toMs - 1) },
      clock,
      rejections,
      explainer: createRootCauseExplainer({ clock }),
    });
    return {
      incidents: result.incidents,
      rowsScanned: result.input.rows + result.input.outsideWindow,
      failures: result.input.failures,
      clusters: result.input.clusters,
      rejected: result.input.rejected,
      activityEvents: result.input.activityEvents,
      // Past the cap the set is incomplete: say nothing rather than name accounts that did send logs.
      ...(accounts.size < MAX_ACCOUNTS_SEEN ? { accountsWithRows: [...accounts].sort() } : {}),
    };
  }

  async span(): Promise<AnalysisWindowMs | undefined> {
    const rejections = new RejectionCollector();
    let fromMs = Infinity;
    let toMs = -Infinity;
    for await (const batch of readStorageRequestBatches([...this.logs], { rejections })) {
      for (const r of batch) {
        if (r.timeMs < fromMs) fromMs = r.timeMs;
        if (r.timeMs > toMs) toMs = r.timeMs;
      }
    }
    return Number.isFinite(fromMs) ? { fromMs, toMs } : undefined;
  }
}
