import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { planScanParts } from "../../src/collect/byte-ranges.js";
import { FAILURE_ROW_WEIGHT, workOfBytes, type SizedFile } from "../../src/collect/scan-work.js";
import { readActivityEvents, readStorageRequestBatches } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze, type AnalysisResult, type AnalysisWindow } from "../../src/engine/analyze.js";
import { analyzeInParallel } from "../../src/engine/analyze-parallel.js";
import { main } from "../../src/cli/main.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import {
  activityEventsToLogAnalyticsJsonArray,
  storageRequestsToArchiveJsonLines,
  storageRequestsToCsv,
  storageRequestsToNdjson,
  writeArchiveTree,
} from "../sim/forms.js";
import { generateAll, type ScenarioData } from "../sim/scenarios.js";
import { captureIo } from "../cli/io.js";

/**
 * `analyze --threads N` cuts the input into parts scanned on worker threads and merged by the one merge.
 * Within the caps it must give exactly what one pass gives: every story, every splittable form, windows,
 * and rejected lines numbered as in the whole file. Worker threads run the built engine (npm test builds).
 */
const data: ScenarioData = generateAll({ seed: 21 });
const clock = fixedClock("2026-11-21T00:00:00Z");
let dir: string;
let activityDir: string;
let activity: ActivityEvent[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallel-scan-"));
  activityDir = join(dir, "activity");
  await mkdir(activityDir);
  await writeFile(
    join(activityDir, "AzureActivity.json"),
    activityEventsToLogAnalyticsJsonArray(data.activity),
  );
  activity = [];
  for await (const e of readActivityEvents([activityDir], { rejections: new RejectionCollector() }))
    activity.push(e);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function onePass(paths: string[], window?: AnalysisWindow): Promise<AnalysisResult> {
  const rejections = new RejectionCollector();
  return analyze({
    requests: readStorageRequestBatches(paths, { rejections, lean: true }),
    activity,
    clock,
    rejections,
    explainer: createRootCauseExplainer({ clock }),
    ...(window ? { window } : {}),
  });
}

async function inParallel(
  paths: string[],
  threads: number,
  window?: AnalysisWindow,
): Promise<AnalysisResult> {
  const result = await analyzeInParallel({
    paths,
    threads,
    activity,
    clock,
    rejections: new RejectionCollector(),
    // Tiny parts, so these small files are cut into as many parts as there are threads.
    minPartWork: 1,
    ...(window ? { window } : {}),
  });
  expect(result, "the input was cut into several parts").toBeDefined();
  return result!;
}

const FORMS: Record<string, (root: string) => Promise<void>> = {
  NDJSON: (root) => writeFile(join(root, "rows.ndjson"), storageRequestsToNdjson(data.requests)),
  "archive JSON Lines, one file": (root) =>
    writeFile(join(root, "PT1H.json"), storageRequestsToArchiveJsonLines(data.requests)),
  "archive tree (many files, some cut)": async (root) => {
    await writeArchiveTree(data.requests, root);
  },
  "gzipped NDJSON next to plain NDJSON (.gz is never cut)": async (root) => {
    const half = Math.floor(data.requests.length / 2);
    await writeFile(
      join(root, "a.ndjson.gz"),
      gzipSync(storageRequestsToNdjson(data.requests.slice(0, half))),
    );
    await writeFile(join(root, "b.ndjson"), storageRequestsToNdjson(data.requests.slice(half)));
  },
  "CSV next to NDJSON (CSV is never cut)": async (root) => {
    const half = Math.floor(data.requests.length / 2);
    await writeFile(join(root, "a.csv"), storageRequestsToCsv(data.requests.slice(0, half)));
    await writeFile(join(root, "b.ndjson"), storageRequestsToNdjson(data.requests.slice(half)));
  },
};

describe("a parallel analyze gives what one pass gives", () => {
  Object.entries(FORMS).forEach(([name, write], k) => {
    it(name, async () => {
      const root = join(dir, `form-${k}`);
      await mkdir(root, { recursive: true });
      await write(root);
      const expected = await onePass([root]);
      expect(expected.incidents.length).toBeGreaterThan(3);
      for (const threads of [2, 3]) expect(await inParallel([root], threads)).toEqual(expected);
    });
  });

  it("with --from/--to cutting through the data", async () => {
    const root = join(dir, "window");
    await mkdir(root, { recursive: true });
    await FORMS["NDJSON"]!(root);
    const times = data.requests.map((r) => r.timeMs).sort((a, b) => a - b);
    const window = {
      from: new Date(times[Math.floor(times.length / 4)]!),
      to: new Date(times[Math.floor((3 * times.length) / 4)]!),
    };
    const expected = await onePass([root], window);
    expect(expected.input.outsideWindow).toBeGreaterThan(0);
    expect(await inParallel([root], 3, window)).toEqual(expected);
  });

  it("numbers rejected lines as in the whole file, counts all of them, keeps the same samples", async () => {
    const root = join(dir, "bad");
    await mkdir(root, { recursive: true });
    const lines = storageRequestsToNdjson(data.requests).trimEnd().split("\n");
    // Bad lines all through the file (more than the sample keeps), and a truncated last line.
    for (let i = 5; i < lines.length; i += Math.floor(lines.length / 40))
      lines[i] = `{"TimeGenerated": "nope", ${i}`;
    const file = join(root, "rows.ndjson");
    await writeFile(file, lines.join("\n") + "\n" + lines[1]!.slice(0, 40));
    const parts = await planScanParts([file], 3, 1);
    expect(parts.map((p) => p[0]!.start > 0)).toEqual([false, true, true]);
    const expected = await onePass([root]);
    expect(expected.input.rejected).toBeGreaterThan(40);
    const got = await inParallel([root], 3);
    expect(got.input.rejectedSamples).toEqual(expected.input.rejectedSamples);
    expect(got).toEqual(expected);
  });

  it("gives the first part, read by the thread that starts at once, its head start from the others", async () => {
    const file = join(dir, "form-0", "rows.ndjson");
    const text = await readFile(file, "latin1");
    const size = text.length;
    // Every byte weighing one, the parts' work is their size.
    const bytes = (files: readonly SizedFile[]) => workOfBytes(files.reduce((n, f) => n + f.size, 0));
    const sizes = async (threads: number, headStart: number) =>
      (await planScanParts([file], threads, 1, headStart, bytes)).map((p) =>
        p.reduce((n, x) => n + x.end - x.start, 0),
      );
    // A cut lands within one line of its target.
    const line = Math.max(...text.split("\n").map((l) => l.length + 1));
    for (const threads of [2, 3]) {
      const share = size / threads;
      const even = await sizes(threads, 0);
      const lead = Math.floor(share / 4);
      const ahead = await sizes(threads, lead);
      expect(ahead.reduce((a, b) => a + b, 0)).toBe(size);
      expect(Math.abs(ahead[0]! - (share + lead))).toBeLessThan(line);
      // Each cut lands up to a line past its target; the last part, the rest, is short by all of them.
      ahead.slice(1).forEach((other, k) => {
        const cuts = k === threads - 2 ? threads - 1 : 1;
        expect(Math.abs(other - (share - lead / (threads - 1)))).toBeLessThan(cuts * line);
      });
      expect(ahead[0]!).toBeGreaterThan(even[0]! + lead - line);
      // At most half a part: the others never shrink below half of theirs.
      const capped = await sizes(threads, size);
      expect(Math.abs(capped[0]! - 1.5 * share)).toBeLessThan(line);
    }
    // Nor below the smallest part worth a thread: two parts of a file 2.5 such parts long.
    const minPart = Math.floor(size / 2.5);
    const planned = (await planScanParts([file], 2, minPart, size, bytes)).map((p) =>
      p.reduce((n, x) => n + x.end - x.start, 0),
    );
    expect(planned).toHaveLength(2);
    expect(planned[1]!).toBeGreaterThan(minPart - line);
    expect(planned[0]!).toBeGreaterThan(size / 2);
  });

  it("cuts parts of equal work, a 401/403 row weighing more than a success row", async () => {
    // An incident's hour after a quiet one: as many bytes of 401/403 rows as of success rows.
    const root = join(dir, "incident");
    await mkdir(root, { recursive: true });
    const line = (status: number, i: number) =>
      `{"time":"2024-05-01T00:00:${String(i % 60).padStart(2, "0")}.0000000Z","resourceId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default","operationName":"GetBlob","statusCode":${status},"statusText":"${status === 200 ? "Success" : "AuthorizationFailure"}","callerIpAddress":"10.0.0.${i % 8}:443","identity":{"type":"SAS"},"properties":{"accountName":"acct","serviceType":"blob"},"uri":"https://acct.blob.core.windows.net/c/${i}"}`;
    const half = 4000;
    const rows = [
      ...Array.from({ length: half }, (_, i) => line(200, i)),
      ...Array.from({ length: half }, (_, i) => line(403, i)),
    ];
    const file = join(root, "rows.jsonl");
    await writeFile(file, rows.join("\n") + "\n");
    const size = (await readFile(file)).length;
    const parts = await planScanParts([file], 2, 1);
    const first = parts[0]!.reduce((n, x) => n + x.end - x.start, 0);
    // The quiet half weighs half of its size in failures' terms: the first part takes it and the part of
    // the incident that makes the work even, (W - 1) / 2W of it.
    const expected = size / 2 + (size / 2) * ((FAILURE_ROW_WEIGHT - 1) / (2 * FAILURE_ROW_WEIGHT));
    // Within the stretch one sampled block stands for (a 64th of the file) and a line.
    expect(Math.abs(first - expected)).toBeLessThan(size / 64 + 400);
    // By bytes the cut would be at the middle: these parts are uneven in size, even in work.
    expect(first).toBeGreaterThan(size * 0.6);
    expect(await inParallel([root], 2)).toEqual(await onePass([root]));
  });

  it("plans as many parts as the work holds, not the bytes: 401/403s make parts sooner", async () => {
    const root = join(dir, "part-work");
    await mkdir(root, { recursive: true });
    const successes = data.requests.filter((r) => r.statusCode !== 401 && r.statusCode !== 403);
    const failures = data.requests.filter((r) => r.statusCode === 401 || r.statusCode === 403);
    const quiet = join(root, "quiet.jsonl");
    const incident = join(root, "incident.jsonl");
    await writeFile(quiet, storageRequestsToArchiveJsonLines(successes));
    await writeFile(incident, storageRequestsToArchiveJsonLines(failures));
    const quietBytes = (await readFile(quiet)).length;
    const incidentBytes = (await readFile(incident)).length;
    // A part must hold the work of 40% of the quiet file: it makes two parts, not three.
    expect(await planScanParts([quiet], 4, quietBytes * 0.4)).toHaveLength(2);
    // Over 51% of it, one part: the bytes of two parts, not their work.
    expect(await planScanParts([quiet], 4, quietBytes * 0.51)).toHaveLength(1);
    // The 401/403s, a fraction of those bytes, weigh FAILURE_ROW_WEIGHT parts of their size.
    const minPart = (incidentBytes * FAILURE_ROW_WEIGHT) / 3.5;
    expect(incidentBytes).toBeLessThan(minPart);
    expect(await planScanParts([incident], 4, minPart)).toHaveLength(3);
  });

  it("cuts only after line breaks, and the pieces join back to the input", async () => {
    const file = join(dir, "form-0", "rows.ndjson");
    const bytes = await readFile(file);
    for (const [threads, headStart] of [
      [2, 0],
      [3, 0],
      [7, 0],
      [3, 5_000],
    ] as const) {
      const parts = await planScanParts([file], threads, 1, headStart);
      expect(parts.length).toBe(threads);
      const pieces = parts.flat();
      expect(pieces[0]!.start).toBe(0);
      expect(pieces.at(-1)!.end).toBe(bytes.length);
      for (let i = 1; i < pieces.length; i++) {
        expect(pieces[i]!.start).toBe(pieces[i - 1]!.end);
        expect(bytes[pieces[i]!.start - 1]).toBe(0x0a);
      }
    }
  });
});

describe("auth-triage analyze --threads", () => {
  it("rejects a thread count that is not a whole number from 1 to 64", async () => {
    for (const bad of ["0", "x", "1.5", "65"]) {
      const io = captureIo();
      const code = await main(["analyze", "--logs", activityDir, "--threads", bad], io);
      expect(code).toBe(2);
      expect(io.err()).toContain("--threads");
    }
  });

  it("with --threads 2 reads a small input in one pass and reports it as usual", async () => {
    const root = join(dir, "form-0");
    const runs = await Promise.all(
      ["1", "2"].map(async (threads) => {
        const io = captureIo();
        const code = await main(["analyze", "--logs", root, "--threads", threads, "--format", "json"], io);
        expect(code).toBe(0);
        const { generatedAt: _at, ...rest } = JSON.parse(io.out()) as AnalysisResult;
        return rest;
      }),
    );
    expect(runs[1]).toEqual(runs[0]);
  });

  it("cuts parts only when three threads or more are asked for: two read one pass ahead", async () => {
    // Some 24 MB of the stories: over the 24 MiB of work three parts need.
    const root = join(dir, "default-threads");
    await mkdir(root, { recursive: true });
    const text = storageRequestsToNdjson(data.requests);
    await writeFile(join(root, "rows.ndjson"), text.repeat(Math.ceil(24_000_000 / text.length)));
    const planned = async (args: string[]) => {
      const io = captureIo({ stderrIsTTY: true });
      expect(await main(["analyze", "--logs", root, "--format", "json", ...args], io)).toBe(0);
      return /on (\d+) threads/.exec(io.err())?.[1];
    };
    expect(await planned([])).toBeUndefined();
    expect(await planned(["--threads", "2"])).toBeUndefined();
    expect(await planned(["--threads", "3"])).toBe("3");
  });
});
