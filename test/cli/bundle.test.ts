import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planScanParts } from "../../src/collect/byte-ranges.js";
import { MIN_PART_WORK } from "../../src/collect/scan-work.js";
import type { AnalysisResult } from "../../src/engine/analyze.js";
import { SCAN_THREAD_START_WORK } from "../../src/engine/analyze-parallel.js";
import { storageRequestsToNdjson } from "../sim/forms.js";
import { generateScenario } from "../sim/scenarios.js";
import { analyzeJson } from "../support/analyze-json.js";
import { BUILT_CLI, ensureBuiltCli } from "../support/built-cli.js";

const run = promisify(execFile);

// Records every module a thread loads, main thread or another (a scan or skim-ahead thread), one line each.
const LOAD_LOGGER = `
import { registerHooks } from "node:module";
import { appendFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
registerHooks({
  load(url, context, next) {
    appendFileSync(process.env.LOAD_LOG, (isMainThread ? "main " : "scan ") + url + "\\n");
    return next(url, context);
  },
});
`;

let dir: string;
let logs: string;

beforeAll(async () => {
  await ensureBuiltCli();
  dir = await mkdtemp(join(tmpdir(), "cli-bundle-"));
  logs = join(dir, "rows.ndjson");
  // A story repeated until the input is large enough for the CLI to give three threads a part each.
  const story = storageRequestsToNdjson(generateScenario("shared-key-disabled").requests);
  const copies = Math.ceil((3 * MIN_PART_WORK + 1024 * 1024) / story.length);
  await writeFile(logs, story.repeat(copies));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * The JSON report of the built CLI's analyze of `logs` on `threads` threads (two: one pass read ahead on
 * the second; three: three parts), `logger` imported first in each thread.
 */
async function analyzeOn(threads: "2" | "3", logger: string, env: NodeJS.ProcessEnv): Promise<string> {
  const args = ["--import", pathToFileURL(logger).href, BUILT_CLI, "analyze", "--logs", logs];
  const { stdout } = await run(process.execPath, [...args, "--threads", threads, "--format", "json"], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

describe("the installed auth-triage (the bundle in dist/cli/)", () => {
  it("is the build's rolldown output, its scan and skim-ahead threads beside it", () => {
    expect(BUILT_CLI).toMatch(/dist\/cli\/auth-triage\.js$/);
    expect(readFileSync(join(dirname(BUILT_CLI), "scan-worker.js"), "utf8")).toContain("postMessage");
    expect(readFileSync(join(dirname(BUILT_CLI), "skim-ahead-worker.js"), "utf8")).toContain("workerData");
  });

  it("analyzes on two and three threads loading nothing from node_modules, and reports what the sources report", async () => {
    expect(await planScanParts([logs], 3, MIN_PART_WORK, SCAN_THREAD_START_WORK)).toHaveLength(3);
    const reference = await analyzeJson(["--logs", logs, "--threads", "1"]);
    expect(reference.code).toBe(0);
    const { generatedAt: _reference, ...expected } = reference.result;
    expect(expected.input.rows).toBeGreaterThan(0);
    for (const [threads, worker] of [
      ["2", "skim-ahead-worker.js"],
      ["3", "scan-worker.js"],
    ] as const) {
      const logger = join(dir, `load-logger-${threads}.mjs`);
      const loadLog = join(dir, `loaded-${threads}.txt`);
      await writeFile(logger, LOAD_LOGGER);
      const stdout = await analyzeOn(threads, logger, { ...process.env, LOAD_LOG: loadLog });
      const loaded = readFileSync(loadLog, "utf8").trim().split("\n");
      const ours = loaded.filter((line) => !line.includes(" node:") && !line.endsWith(logger));
      const other = ours.filter((line) => line.startsWith("scan "));
      expect(other[0], threads).toBe(`scan ${pathToFileURL(join(dirname(BUILT_CLI), worker)).href}`);
      expect(ours.filter((line) => line.startsWith("main ")).length).toBeGreaterThan(0);
      for (const line of ours) expect(line).toContain(pathToFileURL(dirname(BUILT_CLI)).href + "/");
      const { generatedAt: _bundled, ...bundled } = JSON.parse(stdout) as AnalysisResult;
      expect(bundled, threads).toEqual(expected);
    }
  }, 120_000);

  it("keeps its compiled code in Node's compile cache, and its other threads use the same cache", async () => {
    const logger = join(dir, "cache-logger.mjs");
    const loadLog = join(dir, "cache-dirs.txt");
    // Each module of ours as a thread loads it, with the compile cache directory in force then.
    await writeFile(
      logger,
      `
import { getCompileCacheDir, registerHooks } from "node:module";
import { appendFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
registerHooks({
  load(url, context, next) {
    if (url.startsWith("file:") && !url.includes("cache-logger"))
      appendFileSync(process.env.LOAD_LOG, (isMainThread ? "main " : "scan ") + url.split("/").pop() + " " + getCompileCacheDir() + "\\n");
    return next(url, context);
  },
});
`,
    );
    const temp = join(dir, "tmp");
    await mkdir(temp);
    const { NODE_COMPILE_CACHE: _dir, NODE_DISABLE_COMPILE_CACHE: _off, ...env } = process.env;
    for (const threads of ["2", "3"] as const)
      await analyzeOn(threads, logger, { ...env, XDG_CACHE_HOME: temp, TMPDIR: temp, LOAD_LOG: loadLog });
    // The user's cache, not the shared temporary directory's default.
    const cache = join(temp, "auth-triage", "node-compile-cache");
    expect(await readdir(temp)).toEqual(["auth-triage"]);
    const loaded = readFileSync(loadLog, "utf8").trim().split("\n");
    // The entry compiles before it turns the cache on; the commands it loads after, and the scan thread, use it.
    expect(loaded.find((line) => line.startsWith("main analyze"))).toContain(cache);
    expect(loaded.find((line) => line.startsWith("scan scan-worker.js"))).toContain(cache);
    expect(loaded.find((line) => line.startsWith("scan skim-ahead-worker.js"))).toContain(cache);
    const [version] = await readdir(cache);
    expect((await readdir(join(cache, version!))).length).toBeGreaterThan(1);
  }, 120_000);
});
