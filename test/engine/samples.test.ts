import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { AnalysisResult } from "../../src/engine/analyze.js";
import { captureIo } from "../cli/io.js";
import { SAMPLE_SET } from "../sim/sample-set.js";
import { generateScenario, type ScenarioData } from "../sim/scenarios.js";
import { expectMatchesTruth } from "./truth.js";

const ROOT = resolve(import.meta.dirname, "../..");

describe("bundled samples/ (generated)", () => {
  it("are up to date with the simulator and analyse to the scenarios' ground truth", async () => {
    const parts = [...SAMPLE_SET.archive, ...SAMPLE_SET.export].map((n) =>
      generateScenario(n, { seed: SAMPLE_SET.seed, start: SAMPLE_SET.start }),
    );
    const truth: ScenarioData = {
      name: "samples",
      title: "samples",
      stories: [],
      requests: parts.flatMap((p) => p.requests),
      activity: parts.flatMap((p) => p.activity),
      truth: {
        incidents: parts.flatMap((p) => p.truth.incidents),
        rows: parts.reduce((n, p) => n + p.truth.rows, 0),
        failures: parts.reduce((n, p) => n + p.truth.failures, 0),
      },
    };
    const io = captureIo();
    const code = await main(
      [
        "analyze",
        "--logs",
        resolve(ROOT, "samples/logs"),
        "--activity",
        resolve(ROOT, "samples/activity"),
        "--format",
        "json",
      ],
      io,
    );
    expect(io.err()).toBe("");
    expect(code).toBe(0);
    const result = JSON.parse(io.out()) as AnalysisResult;
    expect(result.input.rejected).toBe(0);
    expect(result.input.activityEvents).toBe(truth.activity.length);
    expectMatchesTruth(result, truth);
  });
});
