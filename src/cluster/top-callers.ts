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
  identity: CallerIdentity;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Where the entry is in the heap. */
  at: number;
}

/**
 * The order of callers, wherever they are ranked: by address, object id, key slot, then user agent
 * (code units). Field by field, so that no separator can make two callers one.
 */
export function compareCallers(a: CallerIdentity, b: CallerIdentity): number {
  return (
    compareText(a.ip ?? "", b.ip ?? "") ||
    compareText(a.requesterObjectId ?? "", b.requesterObjectId ?? "") ||
    compareText(a.keySlot ?? "", b.keySlot ?? "") ||
    compareText(a.userAgent ?? "", b.userAgent ?? "")
  );
}

/** Whether two identities are one caller: the fields compareCallers ranks by (not the UPN) are equal. */
function sameCaller(a: CallerIdentity, b: CallerIdentity): boolean {
  return (
    (a.ip ?? "") === (b.ip ?? "") &&
    (a.requesterObjectId ?? "") === (b.requesterObjectId ?? "") &&
    (a.keySlot ?? "") === (b.keySlot ?? "") &&
    (a.userAgent ?? "") === (b.userAgent ?? "")
  );
}

/** Whether `a` is evicted before `b`: fewer requests, ties by the later caller, so arrival order does not decide. */
function evictsBefore(a: CallerEntry, b: CallerEntry): boolean {
  return a.count < b.count || (a.count === b.count && compareCallers(a.identity, b.identity) > 0);
}

/**
 * Items grouped by their caller's address, found again by the other fields: with a new address on most
 * 401/403 rows, a map keyed by the whole identity hashed a new string of some 100 characters per row,
 * where an address is some 12.
 */
class ByAddress<T> {
  private readonly groups = new Map<string, T[]>();

  constructor(private readonly identityOf: (item: T) => CallerIdentity) {}

  find(identity: CallerIdentity): T | undefined {
    const group = this.groups.get(identity.ip ?? "");
    if (group === undefined) return undefined;
    for (const item of group) if (sameCaller(this.identityOf(item), identity)) return item;
    return undefined;
  }

  add(item: T): void {
    const address = this.identityOf(item).ip ?? "";
    const group = this.groups.get(address);
    if (group === undefined) this.groups.set(address, [item]);
    else group.push(item);
  }

  remove(item: T): void {
    const address = this.identityOf(item).ip ?? "";
    const group = this.groups.get(address)!;
    if (group.length === 1) this.groups.delete(address);
    else group.splice(group.indexOf(item), 1);
  }

  values(): T[] {
    return [...this.groups.values()].flat();
  }
}

export class TopCallers {
  /** The entries, for lookups by identity. */
  private readonly entries = new ByAddress<CallerEntry>((e) => e.identity);
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
    const existing = this.entries.find(identity);
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
      const entry = { identity, count, firstSeenMs: timeMs, lastSeenMs: timeMs, at: heap.length };
      this.entries.add(entry);
      heap.push(entry);
      this.siftUp(entry.at);
      return;
    }
    // The least frequent entry makes way, its count the newcomer's error bound.
    const min = heap[0]!;
    this.entries.remove(min);
    const entry = { identity, count: min.count + count, firstSeenMs: timeMs, lastSeenMs: timeMs, at: 0 };
    this.entries.add(entry);
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
    const merged = new ByAddress<CallerSummary>((c) => c);
    for (const list of parts) {
      for (const c of list) {
        const e = merged.find(c);
        if (!e) {
          merged.add({ ...c });
          continue;
        }
        e.count += c.count;
        if (c.firstSeen < e.firstSeen) e.firstSeen = c.firstSeen;
        if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
        if (!e.requesterUpn && c.requesterUpn) e.requesterUpn = c.requesterUpn;
      }
    }
    return sortCallers(merged.values()).slice(0, capacity);
  }

  summaries(): CallerSummary[] {
    const out: CallerSummary[] = [];
    for (const e of this.heap) {
      // Identity first, then the figures: the order people read a caller in JSON.
      const s = { ...e.identity } as CallerSummary;
      s.count = e.count;
      s.firstSeen = new Date(e.firstSeenMs).toISOString();
      s.lastSeen = new Date(e.lastSeenMs).toISOString();
      out.push(s);
    }
    return sortCallers(out);
  }
}

/** Most frequent first; ties by compareCallers so output order is stable across runs. In place. */
export function sortCallers(list: CallerSummary[]): CallerSummary[] {
  return list.sort((a, b) => b.count - a.count || compareCallers(a, b));
}
