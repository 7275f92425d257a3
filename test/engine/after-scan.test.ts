import { describe, expect, it } from "vitest";
import { fullGarbageCollection } from "../../src/collect-garbage.js";
import { fixedClock } from "../../src/clock.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze } from "../../src/engine/analyze.js";
import type { RootCauseExplainer } from "../../src/engine/contracts.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { generateAll } from "../sim/scenarios.js";

/**
 * The phase boundary the CLI collects garbage at (src/collect-garbage.ts): once, after the last row
 * is read and before any incident is explained.
 */
describe("analyze's afterScan", () => {
  it("runs once, after every row and before the first incident is explained", async () => {
    const { requests, activity } = generateAll({ seed: 3 });
    const events: string[] = [];
    function* rows(): Generator<StorageRequest> {
      yield* requests;
      events.push("rows read");
    }
    const clock = fixedClock("2026-11-20T12:00:00Z");
    const explainer = createRootCauseExplainer({ clock });
    const result = await analyze({
      requests: rows(),
      activity,
      clock,
      rejections: new RejectionCollector(),
      explainer: {
        observer: explainer.observer,
        explain: (...args: Parameters<RootCauseExplainer["explain"]>) => {
          if (events.at(-1) !== "explaining") events.push("explaining");
          return explainer.explain(...args);
        },
      },
      afterScan: () => events.push("after scan"),
    });
    expect(result.incidents.length).toBeGreaterThan(0);
    expect(events).toEqual(["rows read", "after scan", "explaining"]);
  });

  it("is a real full collection on the runtime", () => {
    const gc = fullGarbageCollection();
    expect(gc).toBeTypeOf("function");
    expect(() => gc!()).not.toThrow();
  });
});
