import type { CallerSummary } from "../model/incident.js";

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
  /** Over-estimation bound inherited from an evicted entry (0 when the count is exact). */
  error: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

export function callerKeyOf(c: CallerIdentity): string {
  // The separator cannot occur in an IP, a GUID or a key slot; user agents are the last field.
  return [c.ip ?? "", c.requesterObjectId ?? "", c.keySlot ?? "", c.userAgent ?? ""].join("\u0001");
}

export class TopCallers {
  private readonly entries = new Map<string, CallerEntry>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
  }

  get size(): number {
    return this.entries.size;
  }

  add(identity: CallerIdentity, timeMs: number, count = 1): void {
    this.addEntry(callerKeyOf(identity), identity, count, 0, timeMs, timeMs);
  }

  private addEntry(
    key: string,
    identity: CallerIdentity,
    count: number,
    error: number,
    firstSeenMs: number,
    lastSeenMs: number,
  ): void {
    const existing = this.entries.get(key);
    if (existing) {
      existing.count += count;
      existing.error += error;
      if (firstSeenMs < existing.firstSeenMs) existing.firstSeenMs = firstSeenMs;
      if (lastSeenMs > existing.lastSeenMs) existing.lastSeenMs = lastSeenMs;
      if (!existing.identity.requesterUpn && identity.requesterUpn) {
        existing.identity.requesterUpn = identity.requesterUpn;
      }
      return;
    }
    if (this.entries.size < this.capacity) {
      this.entries.set(key, { identity: { ...identity }, count, error, firstSeenMs, lastSeenMs });
      return;
    }
    const minKey = this.minKey();
    const min = this.entries.get(minKey)!;
    this.entries.delete(minKey);
    this.entries.set(key, {
      identity: { ...identity },
      count: min.count + count,
      error: min.count + error,
      firstSeenMs,
      lastSeenMs,
    });
  }

  /** The least frequent caller's key; called per eviction, so it walks the entries without allocating. */
  private minKey(): string {
    let minKey = "";
    let min: CallerEntry | undefined;
    this.entries.forEach((e, k) => {
      // Ties break on the key so the evicted entry does not depend on insertion order.
      if (!min || e.count < min.count || (e.count === min.count && k > minKey)) {
        min = e;
        minKey = k;
      }
    });
    return minKey;
  }

  /**
   * Merge of two summaries (Agarwal et al., "Mergeable summaries"): sum the counts of shared callers,
   * keep the union, then keep the `capacity` largest. Counts of kept callers are exact sums.
   */
  static merge(capacity: number, parts: readonly CallerSummary[][]): CallerSummary[] {
    const byKey = new Map<string, CallerSummary>();
    for (const list of parts) {
      for (const c of list) {
        const key = callerKeyOf(c);
        const e = byKey.get(key);
        if (!e) {
          byKey.set(key, { ...c });
          continue;
        }
        e.count += c.count;
        if (c.firstSeen < e.firstSeen) e.firstSeen = c.firstSeen;
        if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
        if (!e.requesterUpn && c.requesterUpn) e.requesterUpn = c.requesterUpn;
      }
    }
    return sortCallers([...byKey.values()]).slice(0, capacity);
  }

  summaries(): CallerSummary[] {
    const out: CallerSummary[] = [];
    for (const e of this.entries.values()) {
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

/** Most frequent first; ties by identity so output order is stable across runs. */
export function sortCallers(list: CallerSummary[]): CallerSummary[] {
  return list.sort((a, b) => b.count - a.count || callerKeyOf(a).localeCompare(callerKeyOf(b)));
}
