import { describe, expect, it } from "vitest";
import {
  fullGarbageCollection,
  GarbageBetweenFiles,
  YoungCollectionHelpers,
} from "../../src/collect-garbage.js";
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

describe("GarbageBetweenFiles", () => {
  const MB = 1024 * 1024;
  /** A heap at `start`; each next file sets what it holds, and a collection leaves `after` in it. */
  function between(start: number) {
    const collections: number[] = [];
    let used = start;
    let after = start;
    const garbage = new GarbageBetweenFiles(
      () => used,
      () => () => {
        collections.push(used);
        used = after;
      },
    );
    garbage.nextFile();
    return {
      collections,
      nextFile(heapNow: number, afterCollection = heapNow) {
        used = heapNow;
        after = afterCollection;
        garbage.nextFile();
      },
    };
  }

  it("counts the first 40 MB from an empty heap", () => {
    const g = between(10 * MB);
    g.nextFile(41 * MB, 30 * MB);
    expect(g.collections).toEqual([41 * MB]);
  });

  it("collects before a file once the heap holds more than 40 MB over the last baseline, then counts from there", () => {
    const g = between(10 * MB);
    g.nextFile(35 * MB);
    expect(g.collections).toEqual([]);
    g.nextFile(51 * MB, 20 * MB);
    expect(g.collections).toEqual([51 * MB]);
    g.nextFile(55 * MB);
    expect(g.collections).toEqual([51 * MB]);
    g.nextFile(61 * MB, 22 * MB);
    expect(g.collections).toEqual([51 * MB, 61 * MB]);
  });

  it("never collects before the first file, whatever the heap holds", () => {
    let collections = 0;
    const garbage = new GarbageBetweenFiles(
      () => 500 * MB,
      () => () => collections++,
    );
    garbage.nextFile();
    expect(collections).toBe(0);
  });

  it("does nothing where the runtime gives no collection", () => {
    let used = 0;
    const garbage = new GarbageBetweenFiles(
      () => used,
      () => undefined,
    );
    garbage.nextFile();
    used = 100 * MB;
    expect(() => garbage.nextFile()).not.toThrow();
  });
});

describe("YoungCollectionHelpers", () => {
  it("sets V8's flag on each change only, and never in a process not started without helpers", () => {
    const flags: string[] = [];
    const helpers = new YoungCollectionHelpers(true, (f) => flags.push(f));
    helpers.set(false);
    helpers.set(true);
    helpers.set(true);
    helpers.set(false);
    expect(flags).toEqual(["--parallel-scavenge", "--no-parallel-scavenge"]);
    const untouched: string[] = [];
    const elsewhere = new YoungCollectionHelpers(false, (f) => untouched.push(f));
    elsewhere.set(true);
    elsewhere.set(false);
    expect(untouched).toEqual([]);
  });
});
