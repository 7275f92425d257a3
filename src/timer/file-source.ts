import type { Clock } from "../clock.js";
import { readActivityEvents, readStorageRequestBatches } from "../collect/files.js";
import { RejectionCollector } from "../collect/rejections.js";
import { resultFromSlices } from "../engine/analyze.js";
import { mergeResults, SlicingObserver } from "../engine/partial-result.js";
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
    // One time slice per minute of the window [from, to): the timer merges them into what earlier,
    // overlapping runs saw, counting each failure once.
    // Everything before the window is one more slice, [0, from): an incident first seen now is rebuilt
    // with its earlier failures and its account's past (causes compare callers with it), as one pass
    // over the files would; for an incident already stored it nests in what it holds and adds nothing.
    const slicer = new SlicingObserver(window);
    const past = new SlicingObserver({ fromMs: 0, toMs: window.fromMs }, {}, window.fromMs);
    const accounts = new Set<string>();
    let rowsScanned = 0;
    let outsideWindow = 0;
    let spanFromMs = Infinity;
    let spanToMs = -Infinity;
    for await (const batch of readStorageRequestBatches([...this.logs], { rejections, lean: true })) {
      for (const r of batch) {
        rowsScanned++;
        // Which accounts have rows in the window (input-health names a listed account that has none).
        if (accounts.size < MAX_ACCOUNTS_SEEN && r.timeMs >= window.fromMs && r.timeMs < window.toMs)
          accounts.add(r.account.toLowerCase());
        if (r.timeMs < spanFromMs) spanFromMs = r.timeMs;
        if (r.timeMs > spanToMs) spanToMs = r.timeMs;
        if (r.timeMs < window.fromMs || r.timeMs >= window.toMs) outsideWindow++;
        if (r.timeMs < window.fromMs) past.observe(r);
        else slicer.observe(r);
      }
    }
    const inWindow = slicer.result();
    const slices = mergeResults(inWindow, past.result());
    const result = resultFromSlices({ result: inWindow, window, activity, clock, rejections, outsideWindow });
    return {
      incidents: result.incidents,
      rowsScanned,
      failures: result.input.failures,
      clusters: result.input.clusters,
      rejected: result.input.rejected,
      slices,
      activity,
      outsideWindow: result.input.outsideWindow,
      ...(spanFromMs <= spanToMs ? { dataSpan: { fromMs: spanFromMs, toMs: spanToMs } } : {}),
      activityEvents: result.input.activityEvents,
      // Past the cap the set is incomplete: say nothing rather than name accounts that did send logs.
      ...(accounts.size < MAX_ACCOUNTS_SEEN ? { accountsWithRows: [...accounts].sort() } : {}),
    };
  }

  async span(): Promise<AnalysisWindowMs | undefined> {
    const rejections = new RejectionCollector();
    let fromMs = Infinity;
    let toMs = -Infinity;
    for await (const batch of readStorageRequestBatches([...this.logs], { rejections, lean: true })) {
      for (const r of batch) {
        if (r.timeMs < fromMs) fromMs = r.timeMs;
        if (r.timeMs > toMs) toMs = r.timeMs;
      }
    }
    return Number.isFinite(fromMs) ? { fromMs, toMs } : undefined;
  }
}
