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

// Records every module a thread loads, main thread or scan thread, one line each.
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
  // A story repeated until the input is large enough for the CLI to give a second thread a part.
  const story = storageRequestsToNdjson(generateScenario("shared-key-disabled").requests);
  const copies = Math.ceil((2 * MIN_PART_WORK + 1024 * 1024) / story.length);
  await writeFile(logs, story.repeat(copies));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The JSON report of the built CLI's analyze of `logs` on two threads, `logger` imported first in each thread. */
async function analyzeOnTwoThreads(logger: string, env: NodeJS.ProcessEnv): Promise<string> {
  const args = ["--import", pathToFileURL(logger).href, BUILT_CLI, "analyze", "--logs", logs];
  const { stdout } = await run(process.execPath, [...args, "--threads", "2", "--format", "json"], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

describe("the installed auth-triage (the bundle in dist/cli/)", () => {
  it("is the build's rolldown output, its scan thread beside it", () => {
    expect(BUILT_CLI).toMatch(/dist\/cli\/auth-triage\.js$/);
    expect(readFileSync(join(dirname(BUILT_CLI), "scan-worker.js"), "utf8")).toContain("postMessage");
  });

  it("analyzes on two threads loading nothing from node_modules, and reports what the sources report", async () => {
    expect(await planScanParts([logs], 2, MIN_PART_WORK, SCAN_THREAD_START_WORK)).toHaveLength(2);
    const logger = join(dir, "load-logger.mjs");
    const loadLog = join(dir, "loaded.txt");
    await writeFile(logger, LOAD_LOGGER);
    const stdout = await analyzeOnTwoThreads(logger, { ...process.env, LOAD_LOG: loadLog });
    const loaded = readFileSync(loadLog, "utf8").trim().split("\n");
    const ours = loaded.filter((line) => !line.includes(" node:") && !line.endsWith(logger));
    const scanThread = ours.filter((line) => line.startsWith("scan "));
    expect(scanThread[0]).toBe(`scan ${pathToFileURL(join(dirname(BUILT_CLI), "scan-worker.js")).href}`);
    expect(ours.filter((line) => line.startsWith("main ")).length).toBeGreaterThan(0);
    for (const line of ours) expect(line).toContain(pathToFileURL(dirname(BUILT_CLI)).href + "/");

    const { generatedAt: _bundled, ...bundled } = JSON.parse(stdout) as AnalysisResult;
    const reference = await analyzeJson(["--logs", logs, "--threads", "1"]);
    expect(reference.code).toBe(0);
    const { generatedAt: _reference, ...expected } = reference.result;
    expect(bundled).toEqual(expected);
    expect(bundled.input.rows).toBeGreaterThan(0);
  }, 120_000);

  it("keeps its compiled code in Node's compile cache, and its scan thread uses the same cache", async () => {
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
    await analyzeOnTwoThreads(logger, { ...env, XDG_CACHE_HOME: temp, TMPDIR: temp, LOAD_LOG: loadLog });
    // The user's cache, not the shared temporary directory's default.
    const cache = join(temp, "auth-triage", "node-compile-cache");
    expect(await readdir(temp)).toEqual(["auth-triage"]);
    const loaded = readFileSync(loadLog, "utf8").trim().split("\n");
    // The entry compiles before it turns the cache on; the commands it loads after, and the scan thread, use it.
    expect(loaded.find((line) => line.startsWith("main analyze"))).toContain(cache);
    expect(loaded.find((line) => line.startsWith("scan scan-worker.js"))).toContain(cache);
    const [version] = await readdir(cache);
    expect((await readdir(join(cache, version!))).length).toBeGreaterThan(1);
  }, 120_000);
});
