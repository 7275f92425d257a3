import { ClusterAggregator } from "../cluster/aggregator.js";
import type { ClusterPartial } from "../model/incident.js";
import type { StorageRequest } from "../model/storage-request.js";
import type { CallerKeyKind, UnseenCallerShortcut } from "../model/caller-key.js";
import { hasSuccessRowGate, type RecordObserver, type SuccessRowGate } from "./contracts.js";

/** What a scan leaves for building the result: everything but the aggregator's working state. */
export interface IntakeSummary {
  partials: ClusterPartial[];
  rows: number;
  failures: number;
  /** Earliest and latest row inside the window (NaN when none), for resolving an open window. */
  minTimeMs: number;
  maxTimeMs: number;
  folded: { failures: number; clusters: number };
  outsideWindow: number;
  /** The span of every row read, absent when none was. */
  dataSpanMs?: { fromMs: number; toMs: number };
}

/**
 * Where every request of a local scan goes: rows outside the window are counted, the rest go to the
 * cluster aggregator and the root-cause observer; the span of every row read is kept for the report.
 * One pass over all rows (`analyze`), each part of a parallel scan (`scanPart`) and the blob readers
 * (`startBlobRun`) use this same step.
 */
export class RequestIntake implements RecordObserver, UnseenCallerShortcut {
  outsideWindow = 0;
  spanFromMs = Number.POSITIVE_INFINITY;
  spanToMs = Number.NEGATIVE_INFINITY;
  private readonly gate: SuccessRowGate | undefined;
  private readonly fromMs: number;
  private readonly toMs: number;

  constructor(
    readonly aggregator: ClusterAggregator,
    private readonly observer: RecordObserver | undefined,
    window: { fromMs?: number | undefined; toMs?: number | undefined } = {},
  ) {
    this.gate = observer !== undefined && hasSuccessRowGate(observer) ? observer : undefined;
    this.fromMs = window.fromMs ?? Number.NEGATIVE_INFINITY;
    this.toMs = window.toMs ?? Number.POSITIVE_INFINITY;
  }

  /**
   * UnseenCallerShortcut: a success row that is outside the window, or that the root-cause observer
   * would drop (or there is none), is counted here as `observe` would count it, and never made.
   */
  countsOnly(account: string, timeMs: number, keyHash: number, keyKind: CallerKeyKind): boolean {
    if (!Number.isFinite(timeMs)) return false;
    const gate = this.gate;
    if (
      !this.outsideWindowAt(timeMs) &&
      this.observer !== undefined &&
      !gate?.dropsSuccessRow(account, keyHash, keyKind)
    )
      return false;
    if (!this.admits(timeMs)) return true;
    this.aggregator.countRow(timeMs);
    gate?.countDroppedRow();
    return true;
  }

  observe(r: StorageRequest): void {
    if (!this.admits(r.timeMs)) return;
    this.aggregator.observe(r);
    this.observer?.observe(r);
  }

  /** Takes a row's time into the span of what was read; false (and counted) when it is outside the window. */
  private admits(timeMs: number): boolean {
    if (timeMs < this.spanFromMs) this.spanFromMs = timeMs;
    if (timeMs > this.spanToMs) this.spanToMs = timeMs;
    if (this.outsideWindowAt(timeMs)) {
      this.outsideWindow++;
      return false;
    }
    return true;
  }

  private outsideWindowAt(timeMs: number): boolean {
    return timeMs < this.fromMs || timeMs > this.toMs;
  }

  /** One request, or a batch of them. */
  takeItem(item: StorageRequest | readonly StorageRequest[]): void {
    if (Array.isArray(item)) for (const r of item as readonly StorageRequest[]) this.observe(r);
    else this.observe(item as StorageRequest);
  }

  /**
   * The summary of the scan, once it is over (nothing may be taken after). Callers keep this, not the
   * intake: the aggregator's working state (top callers, memos) can then be collected before incidents
   * are built.
   */
  summary(): IntakeSummary {
    const a = this.aggregator;
    const out: IntakeSummary = {
      partials: a.finalPartials(),
      rows: a.rows,
      failures: a.failures,
      minTimeMs: a.minTimeMs,
      maxTimeMs: a.maxTimeMs,
      folded: { ...a.folded },
      outsideWindow: this.outsideWindow,
    };
    if (this.spanFromMs <= this.spanToMs) out.dataSpanMs = { fromMs: this.spanFromMs, toMs: this.spanToMs };
    return out;
  }
}
