import type { CallerSummary } from "../model/incident.js";
import { compareText } from "../order.js";

/**
 * Top-K callers with the space-saving algorithm (Metwally et al.): at most `capacity` entries are kept;
 * a new caller arriving when the table is full replaces the least frequent one and inherits its count
 * as an error bound. Every caller whose true count exceeds total/capacity is guaranteed to be kept,
 * which is what "top callers" needs, in memory that never depends on the number of rows.
 */
export interface CallerIdentity {
  ip?: string;
  userAgent?: string;
  requesterObjectId?: string;
  requesterUpn?: string;
  keySlot?: "key1" | "key2";
}

interface CallerEntry {
  key: string;
  identity: CallerIdentity;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Where the entry is in the heap. */
  at: number;
}

export function callerKeyOf(c: CallerIdentity): string {
  // The separator cannot occur in an IP, a GUID or a key slot; user agents are the last field. Joined,
  // not concatenated: a map lookup of a concatenation flattens it first.
  return [c.ip ?? "", c.requesterObjectId ?? "", c.keySlot ?? "", c.userAgent ?? ""].join("\u0001");
}

/** Whether `a` is evicted before `b`: fewer requests, ties by the greater key, so arrival order does not decide. */
function evictsBefore(a: CallerEntry, b: CallerEntry): boolean {
  return a.count < b.count || (a.count === b.count && a.key > b.key);
}

export class TopCallers {
  /** The entries by key, for lookups. */
  private readonly byKey = new Map<string, CallerEntry>();
  /**
   * The same entries as a binary heap, the next to evict at the root: with a new caller on most 401/403
   * rows, every row past capacity evicts, and finding the least frequent took a comparison with every
   * entry (a string comparison each when the counts tie, as they then do), where the heap takes log k.
   */
  private readonly heap: CallerEntry[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
  }

  get size(): number {
    return this.heap.length;
  }

  /** Counts a request of `identity`, which the table keeps: pass a fresh object, not one reused. */
  add(identity: CallerIdentity, timeMs: number, count = 1): void {
    const key = callerKeyOf(identity);
    const existing = this.byKey.get(key);
    if (existing) {
      existing.count += count;
      if (timeMs < existing.firstSeenMs) existing.firstSeenMs = timeMs;
      if (timeMs > existing.lastSeenMs) existing.lastSeenMs = timeMs;
      if (!existing.identity.requesterUpn && identity.requesterUpn) {
        existing.identity.requesterUpn = identity.requesterUpn;
      }
      // More requests can only move it away from the root.
      this.siftDown(existing.at);
      return;
    }
    const heap = this.heap;
    if (heap.length < this.capacity) {
      const entry = { key, identity, count, firstSeenMs: timeMs, lastSeenMs: timeMs, at: heap.length };
      this.byKey.set(key, entry);
      heap.push(entry);
      this.siftUp(entry.at);
      return;
    }
    const min = heap[0]!;
    this.byKey.delete(min.key);
    const entry = { key, identity, count: min.count + count, firstSeenMs: timeMs, lastSeenMs: timeMs, at: 0 };
    this.byKey.set(key, entry);
    heap[0] = entry;
    this.siftDown(0);
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const entry = heap[at]!;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!evictsBefore(entry, parent)) break;
      heap[at] = parent;
      parent.at = at;
      at = parentAt;
    }
    heap[at] = entry;
    entry.at = at;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[at]!;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && evictsBefore(heap[child + 1]!, heap[child]!)) child++;
      const next = heap[child]!;
      if (!evictsBefore(next, entry)) break;
      heap[at] = next;
      next.at = at;
      at = child;
    }
    heap[at] = entry;
    entry.at = at;
  }

  /**
   * Merge of two summaries (Agarwal et al., "Mergeable summaries"): sum the counts of shared callers,
   * keep the union, then keep the `capacity` largest. Counts of kept callers are exact sums.
   */
  static merge(capacity: number, parts: readonly CallerSummary[][]): CallerSummary[] {
    const byKey = new Map<string, KeyedCaller>();
    for (const list of parts) {
      for (const c of list) {
        const key = callerKeyOf(c);
        const e = byKey.get(key)?.caller;
        if (!e) {
          byKey.set(key, { caller: { ...c }, key });
          continue;
        }
        e.count += c.count;
        if (c.firstSeen < e.firstSeen) e.firstSeen = c.firstSeen;
        if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
        if (!e.requesterUpn && c.requesterUpn) e.requesterUpn = c.requesterUpn;
      }
    }
    return sortedByKey([...byKey.values()]).slice(0, capacity);
  }

  summaries(): CallerSummary[] {
    const keyed: KeyedCaller[] = [];
    for (const e of this.heap) {
      // Identity first, then the figures: the order people read a caller in JSON.
      const s = { ...e.identity } as CallerSummary;
      s.count = e.count;
      s.firstSeen = new Date(e.firstSeenMs).toISOString();
      s.lastSeen = new Date(e.lastSeenMs).toISOString();
      keyed.push({ caller: s, key: e.key });
    }
    return sortedByKey(keyed);
  }
}

/** A caller with its callerKeyOf, made once: merging callers and sorting them made each key twice. */
interface KeyedCaller {
  caller: CallerSummary;
  key: string;
}

/** Most frequent first; ties by identity so output order is stable across runs. */
export function sortCallers(list: CallerSummary[]): CallerSummary[] {
  const sorted = sortedByKey(list.map((c) => ({ caller: c, key: callerKeyOf(c) })));
  for (let i = 0; i < sorted.length; i++) list[i] = sorted[i]!;
  return list;
}

function sortedByKey(keyed: KeyedCaller[]): CallerSummary[] {
  keyed.sort((a, b) => b.caller.count - a.caller.count || compareText(a.key, b.key));
  return keyed.map((k) => k.caller);
}
