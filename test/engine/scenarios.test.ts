import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { analyze, type AnalysisResult } from "../../src/engine/analyze.js";
import type { RejectedRecord } from "../../src/engine/contracts.js";
import { expectMatchesTruth } from "./truth.js";
import { SCENARIOS, generateAll, generateScenario, type ScenarioData } from "../sim/scenarios.js";

function emptyRejections(): { count: number; samples: RejectedRecord[]; reject(r: RejectedRecord): void } {
  return {
    count: 0,
    samples: [],
    reject(r) {
      this.count++;
      this.samples.push(r);
    },
  };
}

async function run(data: ScenarioData): Promise<AnalysisResult> {
  return analyze({
    requests: data.requests,
    activity: data.activity,
    clock: fixedClock("2026-11-20T12:00:00Z"),
    rejections: emptyRejections(),
  });
}

describe("scenario simulator → engine (in memory)", () => {
  it("covers at least 10 of the real failure stories", () => {
    const stories = new Set(SCENARIOS.flatMap((s) => s.stories));
    expect(stories.size).toBeGreaterThanOrEqual(10);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const a = generateScenario("key-rotation-stale-secret", { seed: 7 });
    const b = generateScenario("key-rotation-stale-secret", { seed: 7 });
    const c = generateScenario("key-rotation-stale-secret", { seed: 8 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.requests)).not.toBe(JSON.stringify(c.requests));
  });

  for (const s of SCENARIOS) {
    it(`${s.name}: finds the expected incidents, verdicts and clusters`, async () => {
      const data = generateScenario(s.name);
      expect(data.truth.incidents.length).toBeGreaterThan(0);
      expectMatchesTruth(await run(data), data);
    });
  }

  it("all scenarios together: every incident found, background traffic never becomes one", async () => {
    const data = generateAll({ seed: 3 });
    const result = await run(data);
    expectMatchesTruth(result, data);
    expect(result.incidents.some((i) => i.account === "stquietbackground")).toBe(false);
    expect(result.window).toEqual({
      from: new Date(data.requests[0]!.timeMs).toISOString(),
      to: new Date(data.requests.at(-1)!.timeMs).toISOString(),
    });
  });

  it("key rotation: AccountKey and SAS signed with key1 are separate challenges with different verdicts", async () => {
    const data = generateScenario("key-rotation-stale-secret");
    const result = await run(data);
    const byAuth = Object.fromEntries(result.incidents.map((i) => [i.authType, i]));
    expect(byAuth["AccountKey"]!.decision).toBe("authentication");
    expect(byAuth["SAS"]!.decision).toBe("sas");
    expect(byAuth["AccountKey"]!.callers.every((c) => c.keySlot === "key1")).toBe(true);
    expect(byAuth["AccountKey"]!.operations).toEqual(["DeleteBlob", "GetBlob", "ListBlobs", "PutBlob"]);
  });

  it("SAS time windows: expired and not-yet-valid failures are counted against the request time", async () => {
    const expired = await run(generateScenario("expired-sas"));
    const e = expired.incidents[0]!;
    expect(e.sasWindows.reduce((n, w) => n + w.expired, 0)).toBe(e.count);
    expect(e.sasWindows.reduce((n, w) => n + w.notYetValid, 0)).toBe(0);
    const early = await run(generateScenario("sas-not-yet-valid"));
    const n = early.incidents[0]!;
    expect(n.sasWindows.reduce((c, w) => c + w.notYetValid, 0)).toBe(n.count);
    expect(n.sasWindows.reduce((c, w) => c + w.expired, 0)).toBe(0);
    expect(n.sasWindows.every((w) => w.st && w.se)).toBe(true);
  });

  it("--from/--to: rows outside the window are counted apart and not analysed", async () => {
    const data = generateScenario("rbac-propagation");
    const from = new Date(Date.parse("2026-11-20T09:30:00Z"));
    const result = await analyze({
      requests: data.requests,
      activity: data.activity,
      window: { from },
      clock: fixedClock("2026-11-20T12:00:00Z"),
      rejections: emptyRejections(),
    });
    const inside = data.requests.filter((r) => r.timeMs >= from.getTime());
    expect(result.input.rows).toBe(inside.length);
    expect(result.input.outsideWindow).toBe(data.requests.length - inside.length);
    expect(result.window.from).toBe(from.toISOString());
    // The RBAC failures (minutes 11-18) all lie before the window.
    expect(result.incidents).toEqual([]);
  });
});
