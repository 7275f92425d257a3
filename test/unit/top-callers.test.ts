import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callerKeyOf, sortCallers, TopCallers, type CallerIdentity } from "../../src/cluster/top-callers.js";
import { compareText } from "../../src/order.js";

/**
 * The space-saving table against a plain model of it: a new caller at capacity replaces the least
 * frequent entry (ties: the greatest key), and its count is added to the newcomer's.
 */
function model(capacity: number, adds: Array<[CallerIdentity, number]>) {
  const entries = new Map<string, { identity: CallerIdentity; count: number }>();
  for (const [identity, count] of adds) {
    const key = callerKeyOf(identity);
    const e = entries.get(key);
    if (e) e.count += count;
    else if (entries.size < capacity) entries.set(key, { identity, count });
    else {
      const [minKey, min] = [...entries].sort(
        ([ka, a], [kb, b]) => a.count - b.count || (ka < kb ? 1 : -1),
      )[0]!;
      entries.delete(minKey);
      entries.set(key, { identity, count: min.count + count });
    }
  }
  return new Map([...entries].map(([k, e]) => [k, e.count]));
}

describe("TopCallers", () => {
  it("evicts the least frequent caller, ties by key, as the model does", () => {
    const caller = fc.record({
      ip: fc.constantFrom("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(caller, fc.integer({ min: 1, max: 3 })), { maxLength: 40 }),
        (capacity, adds) => {
          const top = new TopCallers(capacity);
          adds.forEach(([c, n], i) => top.add(c, i, n));
          const got = new Map(top.summaries().map((s) => [callerKeyOf(s), s.count]));
          expect(got).toEqual(model(capacity, adds));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("sortCallers", () => {
  it("orders callers as the comparator on their keys does: most requests first, ties by key", () => {
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
        const want = [...list].sort(
          (a, b) => b.count - a.count || compareText(callerKeyOf(a), callerKeyOf(b)),
        );
        expect(sortCallers([...list])).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
