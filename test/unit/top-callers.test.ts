import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callerHash, sortCallers, TopCallers, type CallerIdentity } from "../../src/cluster/top-callers.js";
import { callerCountText } from "../../src/model/caller-count.js";
import type { CallerSummary } from "../../src/model/incident.js";
import { compareText } from "../../src/order.js";

/**
 * A caller's fields joined: for the values below (no control characters), comparing these compares the
 * fields one by one, as the product ranks callers.
 */
function keyOf(c: CallerIdentity): string {
  return [c.ip ?? "", c.requesterObjectId ?? "", c.keySlot ?? "", c.userAgent ?? ""].join("\u0001");
}

/**
 * The space-saving table against a plain model of it: a new caller at capacity replaces the least
 * frequent entry (ties: the greatest callerHash, then the greatest key), and its count is added to the
 * newcomer's.
 */
function model(capacity: number, adds: Array<[CallerIdentity, number]>) {
  const entries = new Map<string, { identity: CallerIdentity; count: number }>();
  for (const [identity, count] of adds) {
    const key = keyOf(identity);
    const e = entries.get(key);
    if (e) e.count += count;
    else if (entries.size < capacity) entries.set(key, { identity, count });
    else {
      const [minKey, min] = [...entries].sort(
        ([ka, a], [kb, b]) =>
          a.count - b.count || callerHash(b.identity) - callerHash(a.identity) || (ka < kb ? 1 : -1),
      )[0]!;
      entries.delete(minKey);
      entries.set(key, { identity, count: min.count + count });
    }
  }
  return new Map([...entries].map(([k, e]) => [k, e.count]));
}

describe("TopCallers", () => {
  it("evicts the least frequent caller, ties by hash then key, as the model does", () => {
    // Callers sharing an address, told apart by their other fields, and callers without one.
    const caller = fc.record(
      {
        ip: fc.constantFrom("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.10"),
        requesterObjectId: fc.constantFrom("0a", "0b"),
        keySlot: fc.constantFrom("key1" as const, "key2" as const),
        userAgent: fc.constantFrom("azsdk-js/12", "azsdk-net/12"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(caller, fc.integer({ min: 1, max: 3 })), { maxLength: 40 }),
        (capacity, adds) => {
          const top = new TopCallers(capacity);
          adds.forEach(([c, n], i) => top.add(c, i, n));
          const got = new Map(top.summaries().map((s) => [keyOf(s), s.count]));
          expect(got).toEqual(model(capacity, adds));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("a caller's count past the table's capacity", () => {
  const ip = fc.integer({ min: 0, max: 11 }).map((n) => `10.0.0.${n}`);

  it("is an upper bound, and count − overcount a lower bound, of its requests; one pass or merged parts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(ip, fc.integer({ min: 0, max: 3 })), { maxLength: 60 }),
        (capacity, rows) => {
          const truth = new Map<string, number>();
          for (const [address] of rows) truth.set(address, (truth.get(address) ?? 0) + 1);
          const one = new TopCallers(capacity);
          const parts = [0, 1, 2, 3].map(() => new TopCallers(capacity));
          rows.forEach(([address, part], i) => {
            one.add({ ip: address }, i);
            parts[part]!.add({ ip: address }, i);
          });
          for (const c of one.summaries()) {
            expect(c.count - (c.overcount ?? 0)).toBeLessThanOrEqual(truth.get(c.ip!)!);
            expect(c.count).toBeGreaterThanOrEqual(truth.get(c.ip!)!);
            expect(c.overcount === undefined || c.overcount > 0).toBe(true);
          }
          for (const c of TopCallers.merge(
            capacity,
            parts.map((p) => p.summaries()),
          ))
            expect(c.count - (c.overcount ?? 0)).toBeLessThanOrEqual(truth.get(c.ip!)!);
          // Within its capacity the table is exact.
          if (truth.size <= capacity)
            expect(one.summaries().every((c) => c.overcount === undefined)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads 'at least N' where it is a bound, and is listed by what it surely made", () => {
    const top = new TopCallers(2);
    for (const address of ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3"])
      top.add({ ip: address }, 0);
    // 10.0.0.3 took 10.0.0.2's slot and its one request.
    const [first, second] = top.summaries();
    expect(first).toMatchObject({ ip: "10.0.0.1", count: 3 });
    expect(first!.overcount).toBeUndefined();
    expect(second).toMatchObject({ ip: "10.0.0.3", count: 2, overcount: 1 });
    expect(callerCountText(first!)).toBe("3");
    expect(callerCountText(second!)).toBe("at least 1");
    const seen = { firstSeen: "2026-12-01T00:00:00.000Z", lastSeen: "2026-12-01T00:00:00.000Z" };
    expect(
      sortCallers([
        { ip: "10.0.0.9", count: 27, overcount: 26, ...seen },
        { ip: "10.0.0.8", count: 5, ...seen },
      ]).map((c) => c.ip),
    ).toEqual(["10.0.0.8", "10.0.0.9"]);
  });
});

describe("TopCallers.merge", () => {
  it("sums the counts of each caller across parts and keeps the largest, as the model does", () => {
    const summary = fc.record(
      {
        ip: fc.constantFrom("10.0.0.1", "10.0.0.2", "10.0.0.10"),
        userAgent: fc.constantFrom("azsdk-js/12", "curl/8"),
        keySlot: fc.constantFrom("key1" as const, "key2" as const),
        count: fc.integer({ min: 1, max: 5 }),
        firstSeen: fc.constantFrom("2026-12-01T00:00:00.000Z", "2026-12-01T01:00:00.000Z"),
        lastSeen: fc.constantFrom("2026-12-01T02:00:00.000Z", "2026-12-01T03:00:00.000Z"),
      },
      { requiredKeys: ["count", "firstSeen", "lastSeen"] },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.uniqueArray(summary, { selector: keyOf, maxLength: 8 }), { maxLength: 4 }),
        (capacity, parts) => {
          const byKey = new Map<string, CallerSummary>();
          for (const c of parts.flat()) {
            const e = byKey.get(keyOf(c));
            if (!e) byKey.set(keyOf(c), { ...c });
            else {
              e.count += c.count;
              if (c.firstSeen < e.firstSeen) e.firstSeen = c.firstSeen;
              if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
            }
          }
          const want = [...byKey.values()]
            .sort((a, b) => b.count - a.count || compareText(keyOf(a), keyOf(b)))
            .slice(0, capacity);
          expect(TopCallers.merge(capacity, parts)).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps callers apart whose fields would read the same joined", () => {
    const seen = { count: 1, firstSeen: "2026-12-01T00:00:00.000Z", lastSeen: "2026-12-01T00:00:00.000Z" };
    const merged = TopCallers.merge(5, [
      [{ ip: "10.0.0.1\u0001oid", ...seen }],
      [{ ip: "10.0.0.1", requesterObjectId: "oid", ...seen }],
    ]);
    expect(merged.map((c) => c.count)).toEqual([1, 1]);
    const top = new TopCallers(5);
    top.add({ ip: "10.0.0.1\u0001oid" }, 0);
    top.add({ ip: "10.0.0.1", requesterObjectId: "oid" }, 0);
    expect(top.size).toBe(2);
  });
});

describe("sortCallers", () => {
  it("orders callers as the comparator on their joined fields does: most requests first, ties by fields", () => {
    const caller = fc.record(
      {
        ip: fc.constantFrom("10.0.0.1", "10.0.0.10", "10.0.0.2"),
        userAgent: fc.constantFrom("azsdk-js/12", "azsdk-net/12", "curl/8"),
        keySlot: fc.constantFrom("key1" as const, "key2" as const),
        count: fc.integer({ min: 1, max: 3 }),
        firstSeen: fc.constant("2026-12-01T00:00:00.000Z"),
        lastSeen: fc.constant("2026-12-01T00:00:00.000Z"),
      },
      { requiredKeys: ["count", "firstSeen", "lastSeen"] },
    );
    fc.assert(
      fc.property(fc.array(caller, { maxLength: 30 }), (list) => {
        const want = [...list].sort((a, b) => b.count - a.count || compareText(keyOf(a), keyOf(b)));
        expect(sortCallers([...list])).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
