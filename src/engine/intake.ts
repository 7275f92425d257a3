import { ClusterAggregator } from "../cluster/aggregator.js";
import type { ClusterPartial } from "../model/incident.js";
import type { CallerKeyKind, UnseenCallerShortcut } from "../model/caller-key.js";
import { isAuthFailure, type StorageRequest } from "../model/storage-request.js";
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
 * 401/403 rows the aggregator takes together. A 401/403 is about one row in twenty, and taken alone,
 * between success rows that stream the input through the processor's caches, each found the
 * aggregator's code and clusters gone from them: over the bench's 1 GB in one pass the aggregator took
 * 395-460 ms row by row, 340-400 ms in batches of this size (BENCHMARKS.md, thirty-fifth round). Its
 * result depends only on the order of the 401/403 rows among themselves, which a batch keeps; a
 * success row only counts.
 */
const FAILURE_BATCH = 256;

/**
 * Where every request of a local scan goes: rows outside the window are counted, the rest go to the
 * cluster aggregator and the root-cause observer; the span of every row read is kept for the report.
 * One pass over all rows (`analyze`), each part of a parallel scan (`scanPart`) and the blob readers
 * (`startBlobRun`) use this same step. The observer sees every row as it comes; the aggregator takes
 * 401/403 rows in batches (FAILURE_BATCH), so it is read through `counted()`. A batch holds records,
 * which readers only lend for success rows (scanStorageRequests), never for a 401/403.
 */
export class RequestIntake implements RecordObserver, UnseenCallerShortcut {
  outsideWindow = 0;
  spanFromMs = Number.POSITIVE_INFINITY;
  spanToMs = Number.NEGATIVE_INFINITY;
  private readonly gate: SuccessRowGate | undefined;
  private readonly fromMs: number;
  private readonly toMs: number;
  /** 401/403 rows taken and not yet handed to the aggregator, in the order they came. */
  private readonly waiting: StorageRequest[] = [];

  constructor(
    private readonly aggregator: ClusterAggregator,
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
    if (isAuthFailure(r)) {
      if (this.waiting.push(r) >= FAILURE_BATCH) this.handWaiting();
    } else this.aggregator.countRow(r.timeMs);
    this.observer?.observe(r);
  }

  /** The aggregator, with every row taken so far counted in it. */
  counted(): ClusterAggregator {
    this.handWaiting();
    return this.aggregator;
  }

  private handWaiting(): void {
    const waiting = this.waiting;
    for (let i = 0; i < waiting.length; i++) this.aggregator.observe(waiting[i]!);
    waiting.length = 0;
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
    const a = this.counted();
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
