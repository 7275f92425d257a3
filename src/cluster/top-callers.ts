import { surelyMade } from "../model/caller-count.js";
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

/** FNV-1a hash `h` continued over the UTF-16 code units of `s`. */
function fnvText(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** fnvText over one field, then over U+FFFF (no field's text), so that fields never run together. */
function fnvField(h: number, s: string | undefined): number {
  return fnvText(fnvText(h, s ?? ""), "\uffff");
}

/**
 * A number for a caller: equal callers have equal ones. Of the short fields only (the user agent is long
 * and seldom tells callers of one address apart); sameCaller settles who a number is.
 */
export function callerHash(c: CallerIdentity): number {
  return fnvField(fnvField(fnvField(FNV_OFFSET, c.ip), c.requesterObjectId), c.keySlot);
}

/** A slot's numbers in TopCallers.numbers, NUMBERS per slot. */
const HASH = 0;
const COUNT = 1;
const FIRST_SEEN = 2;
const LAST_SEEN = 3;
/** Where the slot is in the heap. */
const HEAP_AT = 4;
/** What the slot's count took over from the callers evicted from it (space-saving's error bound). */
const OVERCOUNT = 5;
const NUMBERS = 6;

export class TopCallers {
  // One slot per entry: its identity, and its numbers in one array that V8 keeps unboxed. An add reads
  // that array rather than an object per entry met: with a new address on most 401/403 rows every row
  // evicts, and the objects an eviction touched were mostly out of the processor's cache by the cluster's
  // next row. A plain array, not a typed one: a typed array's memory lies outside the heap until a
  // collection finds it unreachable, and with a million accounts, tables come and go by the thousand.
  private readonly identities: CallerIdentity[] = [];
  private readonly numbers: number[] = [];
  /**
   * The slots as a binary heap, the next to evict at the root: log k per eviction, where finding the
   * least frequent took a comparison with every entry.
   */
  private readonly heap: number[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
  }

  get size(): number {
    return this.identities.length;
  }

  /** Counts a request of `identity`, which the table keeps: pass a fresh object, not one reused. */
  add(identity: CallerIdentity, timeMs: number, count = 1): void {
    const hash = callerHash(identity);
    const nums = this.numbers;
    const n = this.identities.length;
    for (let slot = 0; slot < n; slot++) {
      const at = slot * NUMBERS;
      if (nums[at + HASH] !== hash) continue;
      const known = this.identities[slot]!;
      if (!sameCaller(known, identity)) continue;
      nums[at + COUNT]! += count;
      if (timeMs < nums[at + FIRST_SEEN]!) nums[at + FIRST_SEEN] = timeMs;
      if (timeMs > nums[at + LAST_SEEN]!) nums[at + LAST_SEEN] = timeMs;
      if (!known.requesterUpn && identity.requesterUpn) known.requesterUpn = identity.requesterUpn;
      // More requests can only move it away from the root.
      this.siftDown(nums[at + HEAP_AT]!);
      return;
    }
    if (n < this.capacity) {
      this.identities.push(identity);
      nums.push(hash, count, timeMs, timeMs, n, 0);
      this.heap.push(n);
      this.siftUp(n);
      return;
    }
    // The least frequent entry makes way; its count is the newcomer's error bound.
    const slot = this.heap[0]!;
    const at = slot * NUMBERS;
    this.identities[slot] = identity;
    nums[at + HASH] = hash;
    nums[at + OVERCOUNT] = nums[at + COUNT]!;
    nums[at + COUNT]! += count;
    nums[at + FIRST_SEEN] = timeMs;
    nums[at + LAST_SEEN] = timeMs;
    this.siftDown(0);
  }

  /**
   * Whether slot `a` is evicted before slot `b`: fewer requests; ties by the greater hash, then the later
   * caller, so that arrival order does not decide.
   */
  private evictsBefore(a: number, b: number): boolean {
    const nums = this.numbers;
    const ca = nums[a * NUMBERS + COUNT]!;
    const cb = nums[b * NUMBERS + COUNT]!;
    if (ca !== cb) return ca < cb;
    const ha = nums[a * NUMBERS + HASH]!;
    const hb = nums[b * NUMBERS + HASH]!;
    if (ha !== hb) return ha > hb;
    return compareCallers(this.identities[a]!, this.identities[b]!) > 0;
  }

  /** Puts `slot` at heap position `at`. */
  private place(slot: number, at: number): void {
    this.heap[at] = slot;
    this.numbers[slot * NUMBERS + HEAP_AT] = at;
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const slot = heap[at]!;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!this.evictsBefore(slot, parent)) break;
      this.place(parent, at);
      at = parentAt;
    }
    this.place(slot, at);
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const n = heap.length;
    const slot = heap[at]!;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && this.evictsBefore(heap[child + 1]!, heap[child]!)) child++;
      const next = heap[child]!;
      if (!this.evictsBefore(next, slot)) break;
      this.place(next, at);
      at = child;
    }
    this.place(slot, at);
  }

  /**
   * Merge of two summaries (Agarwal et al., "Mergeable summaries"): sum the counts (and overcounts) of
   * shared callers, keep the union, then keep the `capacity` largest counts. A caller's `count −
   * overcount` stays a lower bound of its requests (a part that let it go counted none of them).
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
        const overcount = (e.overcount ?? 0) + (c.overcount ?? 0);
        if (overcount > 0) e.overcount = overcount;
        if (c.firstSeen < e.firstSeen) e.firstSeen = c.firstSeen;
        if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
        if (!e.requesterUpn && c.requesterUpn) e.requesterUpn = c.requesterUpn;
      }
    }
    const kept =
      merged.length > capacity
        ? merged.sort((a, b) => b.count - a.count || compareCallers(a, b)).slice(0, capacity)
        : merged;
    return sortCallers(kept);
  }

  summaries(): CallerSummary[] {
    const out: CallerSummary[] = [];
    this.identities.forEach((identity, slot) => {
      const at = slot * NUMBERS;
      // Identity first, then the figures: the order people read a caller in JSON.
      const s = { ...identity } as CallerSummary;
      s.count = this.numbers[at + COUNT]!;
      const overcount = this.numbers[at + OVERCOUNT]!;
      if (overcount > 0) s.overcount = overcount;
      s.firstSeen = new Date(this.numbers[at + FIRST_SEEN]!).toISOString();
      s.lastSeen = new Date(this.numbers[at + LAST_SEEN]!).toISOString();
      out.push(s);
    });
    return sortCallers(out);
  }
}

/**
 * Most requests surely made first (`count − overcount`), then the larger count; ties by compareCallers so
 * output order is stable across runs. In place.
 */
export function sortCallers(list: CallerSummary[]): CallerSummary[] {
  return list.sort((a, b) => surelyMade(b) - surelyMade(a) || b.count - a.count || compareCallers(a, b));
}
