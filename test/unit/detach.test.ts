import fc from "fast-check";
import { getHeapStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { fullGarbageCollection } from "../../src/collect-garbage.js";
import { detach, SharedCopies } from "../../src/detach.js";

/** Heap bytes that `make` leaves reachable (through what it returns), measured between full collections. */
function retainedBytes(make: () => unknown): number {
  const gc = fullGarbageCollection();
  expect(gc, "a full collection must be available to measure").toBeDefined();
  gc!();
  const before = getHeapStatistics().used_heap_size;
  const kept = make();
  gc!();
  const after = getHeapStatistics().used_heap_size;
  expect(kept).toBeDefined();
  return after - before;
}

describe("detach", () => {
  it("copies a slice to an equal string", () => {
    const line = `{"userAgentHeader":"azsdk-js-storage-blob/12.17.0 (NODE-VERSION v20.11.0; Linux)"}`;
    const slice = line.slice(20, -2);
    expect(detach(slice)).toBe(slice);
    expect(detach("short")).toBe("short");
  });
});

describe("detach, memory", () => {
  // A line per value, each 64 KB: what a value that kept its line would hold on to.
  const cutFromLines = (n: number, keep: (s: string) => string) =>
    Array.from({ length: n }, (_, i) =>
      keep(
        `${"x".repeat(65_536)}caller-${String(i).padStart(8, "0")}-identity${"y".repeat(64)}`.slice(
          65_536,
          65_536 + 40,
        ),
      ),
    );

  it("keeps none of the line a value was cut from", () => {
    const lines = 200;
    // A plain slice keeps its 64 KB line: 12.8 MB here.
    expect(retainedBytes(() => cutFromLines(lines, (s) => s))).toBeGreaterThan(lines * 65_536);
    expect(retainedBytes(() => cutFromLines(lines, detach))).toBeLessThan(lines * 1024);
  });

  it("is one flat string, not a view on a fresh copy", () => {
    // 40 characters: some 56 bytes flat; a view on a copy adds its own 20-32 bytes.
    const values = 20_000;
    const perValue = retainedBytes(() => cutFromLines(values, detach)) / values;
    expect(perValue).toBeLessThan(72);
  });
});

describe("SharedCopies", () => {
  it("gives equal values for equal inputs and holds each distinct value once", () => {
    const shared = new SharedCopies(8);
    const line = "2023-11-03|2023-11-03|AzCopy/10.22.2 Azure-Storage/0.15|AzCopy/10.22.2 Azure-Storage/0.15";
    const [a, b, c, d] = line.split("|") as [string, string, string, string];
    expect(shared.of(a)).toBe("2023-11-03");
    expect(shared.of(b)).toBe("2023-11-03");
    expect(shared.of(c)).toBe(d);
    expect(shared.of(d)).toBe(c);
    expect(shared.size).toBe(2);
  });

  it("stops sharing past its cap but still answers every value", () => {
    const shared = new SharedCopies(3);
    const values = Array.from({ length: 10 }, (_, i) => `user-agent/${i}.0 (a long enough value)`);
    for (const v of values) expect(shared.of(v)).toBe(v);
    for (const v of values) expect(shared.of(v)).toBe(v);
    expect(shared.size).toBe(3);
  });
});

describe("detach, every string", () => {
  it("is exact for control characters, quotes, backslashes and lone surrogates", () => {
    const odd = 'a "quoted" \\ value\u0000\u001f\t\n with \ud800 and \udfff and 😀 and é';
    expect(detach(odd)).toBe(odd);
    expect(detach(odd.slice(3, 40))).toBe(odd.slice(3, 40));
  });

  it("gives back the same text for any UTF-16 string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.nat(20), (s, cut) => {
        const slice = s.slice(Math.min(cut, s.length));
        expect(detach(slice)).toBe(slice);
      }),
    );
  });
});
