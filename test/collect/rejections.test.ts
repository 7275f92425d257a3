import { describe, expect, it } from "vitest";
import { REJECTION_SAMPLE_LIMIT, RejectionCollector } from "../../src/collect/rejections.js";
import { readStorage, writeTemp } from "./helpers.js";

describe("RejectionCollector", () => {
  it("counts every rejection and keeps only the first 20 as samples", () => {
    const c = new RejectionCollector();
    for (let i = 1; i <= 10_000; i++) c.reject({ file: "f", line: i, field: "x", reason: "bad" });
    expect(c.count).toBe(10_000);
    expect(c.samples).toHaveLength(REJECTION_SAMPLE_LIMIT);
    expect(c.samples.map((s) => s.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("a file of bad rows is fully counted while the samples stay bounded", async () => {
    const file = await writeTemp("bad.ndjson", "{nope\n".repeat(50_000));
    const { rejections } = await readStorage([file]);
    expect(rejections.count).toBe(50_000);
    const bounded = new RejectionCollector();
    for (const s of rejections.samples) bounded.reject(s);
    expect(bounded.samples).toHaveLength(20);
  });
});
