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

/**
 * The order of callers, wherever they are listed: by address, object id, key slot, then user agent
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

/** Whether two identities are one caller: the fields compareCallers orders by (not the UPN) are equal. */
function sameCaller(a: CallerIdentity, b: CallerIdentity): boolean {
  return (
    (a.ip ?? "") === (b.ip ?? "") &&
    (a.requesterObjectId ?? "") === (b.requesterObjectId ?? "") &&
    (a.keySlot ?? "") === (b.keySlot ?? "") &&
    (a.userAgent ?? "") === (b.userAgent ?? "")
  );
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(h: number, s: string | undefined): number {
  if (s !== undefined) for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return Math.imul(h ^ 0xffff, FNV_PRIME);
}

/**
 * A number for a caller: equal callers have equal ones. Of the short fields only (the user agent is long
 * and seldom tells callers of one address apart); sameCaller settles who a number is.
 */
export function callerHash(c: CallerIdentity): number {
  return fnv(fnv(fnv(FNV_OFFSET, c.ip), c.requesterObjectId), c.keySlot);
}

export class TopCallers {
  // One slot per entry, in columns: an add reads a few small arrays rather than an object per entry met
  // (with a new address on most 401/403 rows, every row evicts, and the objects an eviction touched were
  // mostly out of the processor's cache by the cluster's next row).
  private readonly identities: CallerIdentity[] = [];
  private readonly hashes: Int32Array;
  private readonly counts: Float64Array;
  private readonly firstSeenMs: Float64Array;
  private readonly lastSeenMs: Float64Array;
  /**
   * The slots as a binary heap, the next to evict at the root (log k per eviction, where finding the
   * least frequent took a comparison with every entry), and where each slot is in it.
   */
  private readonly heap: Int32Array;
  private readonly heapAt: Int32Array;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
    this.hashes = new Int32Array(capacity);
    this.counts = new Float64Array(capacity);
    this.firstSeenMs = new Float64Array(capacity);
    this.lastSeenMs = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.heapAt = new Int32Array(capacity);
  }

  get size(): number {
    return this.identities.length;
  }

  /** Counts a request of `identity`, which the table keeps: pass a fresh object, not one reused. */
  add(identity: CallerIdentity, timeMs: number, count = 1): void {
    const hash = callerHash(identity);
    const n = this.identities.length;
    for (let slot = 0; slot < n; slot++) {
      if (this.hashes[slot] !== hash) continue;
      const known = this.identities[slot]!;
      if (!sameCaller(known, identity)) continue;
      this.counts[slot]! += count;
      if (timeMs < this.firstSeenMs[slot]!) this.firstSeenMs[slot] = timeMs;
      if (timeMs > this.lastSeenMs[slot]!) this.lastSeenMs[slot] = timeMs;
      if (!known.requesterUpn && identity.requesterUpn) known.requesterUpn = identity.requesterUpn;
      // More requests can only move it away from the root.
      this.siftDown(this.heapAt[slot]!);
      return;
    }
    if (n < this.capacity) {
      this.fill(n, identity, hash, count, timeMs);
      this.heap[n] = n;
      this.heapAt[n] = n;
      this.siftUp(n);
      return;
    }
    // The least frequent entry makes way; its count is the newcomer's error bound.
    const slot = this.heap[0]!;
    this.fill(slot, identity, hash, this.counts[slot]! + count, timeMs);
    this.siftDown(0);
  }

  private fill(slot: number, identity: CallerIdentity, hash: number, count: number, timeMs: number): void {
    this.identities[slot] = identity;
    this.hashes[slot] = hash;
    this.counts[slot] = count;
    this.firstSeenMs[slot] = timeMs;
    this.lastSeenMs[slot] = timeMs;
  }

  /**
   * Whether slot `a` is evicted before slot `b`: fewer requests; ties by the greater hash, then the later
   * caller, so that arrival order does not decide.
   */
  private evictsBefore(a: number, b: number): boolean {
    const ca = this.counts[a]!;
    const cb = this.counts[b]!;
    if (ca !== cb) return ca < cb;
    const ha = this.hashes[a]!;
    const hb = this.hashes[b]!;
    if (ha !== hb) return ha > hb;
    return compareCallers(this.identities[a]!, this.identities[b]!) > 0;
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const slot = heap[at]!;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!this.evictsBefore(slot, parent)) break;
      heap[at] = parent;
      this.heapAt[parent] = at;
      at = parentAt;
    }
    heap[at] = slot;
    this.heapAt[slot] = at;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const n = this.identities.length;
    const slot = heap[at]!;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && this.evictsBefore(heap[child + 1]!, heap[child]!)) child++;
      const next = heap[child]!;
      if (!this.evictsBefore(next, slot)) break;
      heap[at] = next;
      this.heapAt[next] = at;
      at = child;
    }
    heap[at] = slot;
    this.heapAt[slot] = at;
  }

  /**
   * Merge of two summaries (Agarwal et al., "Mergeable summaries"): sum the counts of shared callers,
   * keep the union, then keep the `capacity` largest. Counts of kept callers are exact sums.
   */
  static merge(capacity: number, parts: readonly CallerSummary[][]): CallerSummary[] {
    const byHash = new Map<number, CallerSummary[]>();
    const merged: CallerSummary[] = [];
    for (const list of parts) {
      for (const c of list) {
        const hash = callerHash(c);
        const same = byHash.get(hash);
        const e = same?.find((m) => sameCaller(m, c));
        if (!e) {
          const copy = { ...c };
          if (same) same.push(copy);
          else byHash.set(hash, [copy]);
          merged.push(copy);
          continue;
        }
        e.count += c.count;
        if (c.firstSeen < e.firstSeen) e.firstSeen = c.firstSeen;
        if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
        if (!e.requesterUpn && c.requesterUpn) e.requesterUpn = c.requesterUpn;
      }
    }
    return sortCallers(merged).slice(0, capacity);
  }

  summaries(): CallerSummary[] {
    const out: CallerSummary[] = [];
    this.identities.forEach((identity, slot) => {
      // Identity first, then the figures: the order people read a caller in JSON.
      const s = { ...identity } as CallerSummary;
      s.count = this.counts[slot]!;
      s.firstSeen = new Date(this.firstSeenMs[slot]!).toISOString();
      s.lastSeen = new Date(this.lastSeenMs[slot]!).toISOString();
      out.push(s);
    });
    return sortCallers(out);
  }
}

/** Most frequent first; ties by compareCallers so output order is stable across runs. In place. */
export function sortCallers(list: CallerSummary[]): CallerSummary[] {
  return list.sort((a, b) => b.count - a.count || compareCallers(a, b));
}
