import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { analyzeInParallel } from "../../src/engine/analyze-parallel.js";
import type { AnalysisResult } from "../../src/engine/analyze.js";
import {
  prestartScanThreads,
  releaseSpareScanThreads,
  spareScanThreads,
} from "../../src/engine/scan-threads.js";
import { storageRequestsToNdjson } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";

/**
 * Scan threads started ahead (the CLI starts them while it loads the engine): the plan takes them as it
 * would new ones, stops those it does not take, and an idle one holds no process open. Worker threads
 * run the built engine (npm test builds).
 */
const run = promisify(execFile);
const clock = fixedClock("2026-11-21T00:00:00Z");
let dir: string;
let logs: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "scan-threads-"));
  logs = join(dir, "rows.ndjson");
  await writeFile(logs, storageRequestsToNdjson(generateAll({ seed: 5 }).requests));
});
afterAll(async () => {
  releaseSpareScanThreads();
  await rm(dir, { recursive: true, force: true });
});

function onThreads(threads: number): Promise<AnalysisResult | undefined> {
  return analyzeInParallel({
    paths: [logs],
    threads,
    activity: [],
    clock,
    rejections: new RejectionCollector(),
    // Tiny parts, so this small file is cut into as many parts as there are threads.
    minPartWork: 1,
  });
}

describe("scan threads started ahead", () => {
  it("scan the parts they are later given, as threads started then do", async () => {
    const started = await onThreads(3);
    expect(started?.input.rows).toBeGreaterThan(0);
    prestartScanThreads(2);
    expect(spareScanThreads()).toBe(2);
    expect(await onThreads(3)).toEqual(started);
    expect(spareScanThreads()).toBe(0);
  }, 60_000);

  it("that the plan does not take are stopped once it is cut, without an unhandled error", async () => {
    const twoParts = await onThreads(2);
    prestartScanThreads(3);
    expect(await onThreads(2)).toEqual(twoParts);
    expect(spareScanThreads()).toBe(0);
    prestartScanThreads(1);
    releaseSpareScanThreads();
    expect(spareScanThreads()).toBe(0);
    // A stopped spare's end is a rejection nobody awaits: it must not surface as an unhandled one.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }, 60_000);

  it("keep no process alive while they wait", async () => {
    const script = join(dir, "prestart.mjs");
    const built = new URL("../../dist/src/engine/scan-threads.js", import.meta.url).href;
    await writeFile(
      script,
      [
        `const threads = await import(${JSON.stringify(built)});`,
        "threads.prestartScanThreads(2);",
        // Online: the threads started, loaded their modules and wait for a part.
        "await new Promise((resolve) => setTimeout(resolve, 2000));",
        "console.log(threads.spareScanThreads());",
      ].join("\n"),
    );
    const { stdout } = await run(process.execPath, [script], { timeout: 30_000 });
    expect(stdout.trim()).toBe("2");
  }, 60_000);
});
