import { ClusterAggregator } from "../cluster/aggregator.js";
import type { StorageRequest } from "../model/storage-request.js";
import type { RecordObserver } from "./contracts.js";

/**
 * Where every request of a local scan goes: rows outside the window are counted, the rest go to the
 * cluster aggregator and the root-cause observer; the span of every row read is kept for the report.
 * One pass over all rows (`analyze`) and each part of a parallel scan (`scanPart`) use this same step.
 */
export class RequestIntake {
  outsideWindow = 0;
  spanFromMs = Number.POSITIVE_INFINITY;
  spanToMs = Number.NEGATIVE_INFINITY;
  private readonly fromMs: number;
  private readonly toMs: number;

  constructor(
    readonly aggregator: ClusterAggregator,
    private readonly observer: RecordObserver | undefined,
    window: { fromMs?: number | undefined; toMs?: number | undefined } = {},
  ) {
    this.fromMs = window.fromMs ?? Number.NEGATIVE_INFINITY;
    this.toMs = window.toMs ?? Number.POSITIVE_INFINITY;
  }

  take(r: StorageRequest): void {
    if (r.timeMs < this.spanFromMs) this.spanFromMs = r.timeMs;
    if (r.timeMs > this.spanToMs) this.spanToMs = r.timeMs;
    if (r.timeMs < this.fromMs || r.timeMs > this.toMs) {
      this.outsideWindow++;
      return;
    }
    this.aggregator.observe(r);
    this.observer?.observe(r);
  }

  /** One request, or a batch of them. */
  takeItem(item: StorageRequest | readonly StorageRequest[]): void {
    if (Array.isArray(item)) for (const r of item as readonly StorageRequest[]) this.take(r);
    else this.take(item as StorageRequest);
  }

  /** The span of every row read, or undefined when none was. */
  dataSpanMs(): { fromMs: number; toMs: number } | undefined {
    return this.spanFromMs <= this.spanToMs ? { fromMs: this.spanFromMs, toMs: this.spanToMs } : undefined;
  }
}
