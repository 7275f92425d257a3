import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { planScanParts } from "../../src/collect/byte-ranges.js";
import { expandInputPaths } from "../../src/collect/input-files.js";
import { scanStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import {
  filesForWindow,
  receivedMayHoldWindow,
  hourOfLogPath,
  LATE_RECORD_MS,
  logsForWindow,
} from "../../src/collect/window-files.js";
import { parseAnalyzeArgs } from "../../src/cli/commands/analyze-options.js";
import { runAnalyze } from "../../src/cli/commands/analyze.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze, type AnalysisResult } from "../../src/engine/analyze.js";
import {
  archivePathOf,
  storageRequestsToArchiveJsonLines,
  toArchiveRecord,
  writeArchiveTree,
} from "../sim/forms.js";
import { recordBodies, writeCaptureFile } from "../support/eventhubs-capture.js";
import { generateAll } from "../sim/scenarios.js";
import { captureIo } from "../cli/io.js";

/**
 * A downloaded archive is read only for the hours that may hold the window's requests: the hour in each
 * file's path, and the hour after the window (a record lands in the file of the hour it was received).
 */
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const ARCHIVE = (h: string) =>
  `insights-logs-storageread/resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ACCT/BLOBSERVICES/DEFAULT/y=2024/m=05/d=01/h=${h}/m=00/PT1H.json`;

describe("hourOfLogPath", () => {
  it("reads the hour of archive and classic $logs paths, either separator, and nothing else", () => {
    expect(hourOfLogPath(`/data/${ARCHIVE("10")}`)).toBe(at("2024-05-01T10:00:00Z"));
    expect(hourOfLogPath(`C:\\logs\\${ARCHIVE("23").replaceAll("/", "\\")}`)).toBe(
      at("2024-05-01T23:00:00Z"),
    );
    expect(hourOfLogPath("/d/$logs/blob/2024/05/01/0900/000001.log")).toBe(at("2024-05-01T09:00:00Z"));
    expect(hourOfLogPath("/d/ns/insights-logs-storageread/0/2024/05/01/13/55/00.avro")).toBe(
      at("2024-05-01T13:00:00Z"),
    );
    for (const other of [
      "/d/export.ndjson",
      "/d/y=2024/m=05/d=01/h=10/PT1H.json",
      "/d/2024/05/01/x.log",
      "/d/2024/05/01/13/capture.avro",
    ])
      expect(hourOfLogPath(other)).toBeUndefined();
  });
});

describe("receivedMayHoldWindow", () => {
  it("keeps the hours the window touches and the hour after it, no other", () => {
    const window = { fromMs: at("2024-05-01T10:00:00Z"), toMs: at("2024-05-01T11:30:00Z") };
    const hours = [8, 9, 10, 11, 12, 13].filter((h) =>
      receivedMayHoldWindow(at("2024-05-01T00:00:00Z") + h * HOUR, HOUR, window),
    );
    // Hour 9 ends as the window starts; hour 12 may hold 11:xx requests received late.
    expect(hours).toEqual([10, 11, 12]);
    expect(LATE_RECORD_MS).toBe(HOUR);
  });
});

describe("filesForWindow", () => {
  it("drops the files whose hour cannot hold the window's requests, counting them and their hours", () => {
    const files = ["a.ndjson", ...["07", "09", "10", "11", "12", "15"].map((h) => `/x/${ARCHIVE(h)}`)];
    const got = filesForWindow(files, {
      fromMs: at("2024-05-01T10:15:00Z"),
      toMs: at("2024-05-01T10:45:00Z"),
    });
    expect(got.files).toEqual(["a.ndjson", `/x/${ARCHIVE("10")}`, `/x/${ARCHIVE("11")}`]);
    expect(got.outside).toEqual({
      files: 4,
      dayFolders: 0,
      fromMs: at("2024-05-01T07:00:00Z"),
      toMs: at("2024-05-01T16:00:00Z"),
    });
    expect(filesForWindow(files, { fromMs: -Infinity, toMs: Infinity })).toEqual({ files });
  });
});

describe("analyze --logs over a downloaded archive with --from/--to", () => {
  // The stories span under an hour: four copies two hours apart make an archive of some eight.
  const stories = generateAll({ seed: 5 });
  const data = {
    requests: [0, 1, 2, 3].flatMap((k) =>
      stories.requests.map((r) => ({ ...r, timeMs: r.timeMs + 2 * k * HOUR })),
    ),
  };
  const clock = fixedClock("2026-11-21T00:00:00Z");
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "window-files-"));
    await writeArchiveTree(data.requests, root);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The engine over every file under `dir`, nothing left unread. */
  async function everyFile(window: { from: Date; to: Date }, dir = root): Promise<AnalysisResult> {
    const rejections = new RejectionCollector();
    return analyze({
      requests: (observer) => scanStorageRequests([dir], { rejections }, observer),
      activity: [],
      window,
      clock,
      rejections,
      explainer: createRootCauseExplainer({ clock }),
    });
  }

  /** `analyze --logs dir ARGS --format json`, as the CLI runs it, with the test's clock. */
  async function cli(args: string[], dir = root): Promise<{ code: number; result: AnalysisResult }> {
    const io = captureIo();
    const code = await runAnalyze(parseAnalyzeArgs(["--logs", dir, ...args, "--format", "json"]), io, {
      clock,
    });
    return { code, result: JSON.parse(io.out()) as AnalysisResult };
  }

  it("reads only the window's hours and reports what one pass over every file reports", async () => {
    const times = data.requests.map((r) => r.timeMs).sort((a, b) => a - b);
    const first = times[0]!;
    const last = times.at(-1)!;
    expect(last - first).toBeGreaterThan(6 * HOUR);
    let split = 0;
    for (const [fromMs, toMs] of [
      [first + (last - first) / 4, first + (3 * (last - first)) / 4],
      [first + HOUR + 17_000, first + 2 * HOUR - 1_000],
      [last - HOUR / 2, last],
    ] as const) {
      const window = { from: new Date(fromMs), to: new Date(toMs) };
      const expected = await everyFile(window);
      const { code, result } = await cli([
        "--from",
        window.from.toISOString(),
        "--to",
        window.to.toISOString(),
      ]);
      expect(code).toBe(0);
      expect(result.incidents).toEqual(expected.incidents);
      expect(result.input.rows).toBe(expected.input.rows);
      expect(result.input.failures).toBe(expected.input.failures);
      expect(result.window).toEqual(expected.window);
      // The rows of the files not read are the rows outside the window it no longer counts.
      const all = await expandInputPaths([root]);
      const { files: kept, outside } = filesForWindow(all, { fromMs, toMs });
      expect(outside!.files).toBe(all.length - kept.length);
      expect(result.input.filesOutsideWindow).toBe(outside!.files);
      let unread = 0;
      for (const file of all.filter((f) => !kept.includes(f)))
        unread += (await readFile(file, "utf8")).split("\n").filter(Boolean).length;
      expect(unread).toBeGreaterThan(0);
      expect(result.input.outsideWindow + unread).toBe(expected.input.outsideWindow);
      expect(result.input.dataSpan!.from <= expected.input.dataSpan!.from).toBe(true);
      // On two threads (the files read cut into two parts where they hold the work): the same report.
      split += (await planScanParts(kept, 2)).length === 2 ? 1 : 0;
      const threaded = await cli([
        "--from",
        window.from.toISOString(),
        "--to",
        window.to.toISOString(),
        "--threads",
        "2",
      ]);
      expect(threaded.result).toEqual(result);
    }
    expect(split).toBeGreaterThan(0);
  });

  it("reads a request that landed late, in the next hour's file", async () => {
    const late = join(root, "..", `late-${Date.now()}`);
    const request = data.requests.find((r) => r.statusCode === 403)!;
    const generated = { ...request, timeMs: at("2024-05-01T10:59:30Z") };
    // Received at 11:00:40: Storage wrote it to the file of hour 11.
    const file = join(late, archivePathOf({ ...generated, timeMs: at("2024-05-01T11:00:40Z") }));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, storageRequestsToArchiveJsonLines([generated]));
    try {
      const window = { from: new Date("2024-05-01T10:00:00Z"), to: new Date("2024-05-01T10:59:59Z") };
      const { files } = await logsForWindow([late], window);
      expect(files).toEqual([file]);
      const { result } = await cli(["--from", "2024-05-01T10:00:00Z", "--to", "2024-05-01T10:59:59Z"], late);
      expect(result.input.failures).toBe(1);
      expect(result.input.filesOutsideWindow).toBeUndefined();
    } finally {
      await rm(late, { recursive: true, force: true });
    }
  });

  it("reads Event Hubs Capture files of the window's hours only", async () => {
    const capture = join(root, "..", `capture-${Date.now()}`);
    const request = data.requests.find((r) => r.statusCode === 403)!;
    const files = ["10/55/00", "15/00/00"].map((t) =>
      join(capture, "ns", "hub", "0", "2024", "05", "01", `${t}.avro`),
    );
    try {
      for (const [i, file] of files.entries()) {
        await mkdir(dirname(file), { recursive: true });
        const timeMs = at(i === 0 ? "2024-05-01T10:54:00Z" : "2024-05-01T14:58:00Z");
        writeCaptureFile(file, { bodies: recordBodies([toArchiveRecord({ ...request, timeMs })], 1) });
      }
      const { result } = await cli(
        ["--from", "2024-05-01T10:00:00Z", "--to", "2024-05-01T11:00:00Z"],
        capture,
      );
      expect(result.input).toMatchObject({ rows: 1, failures: 1, outsideWindow: 0, filesOutsideWindow: 1 });
    } finally {
      await rm(capture, { recursive: true, force: true });
    }
  });

  it("says where the archive is when the window misses every day of it, and exits 0", async () => {
    const window = ["--from", "2031-01-01T00:00:00Z", "--to", "2031-01-01T01:00:00Z"];
    const { code, result } = await cli(window);
    const io = captureIo();
    await runAnalyze(parseAnalyzeArgs(["--logs", root, ...window]), io, { clock });
    const text = io.out();
    expect(code).toBe(0);
    expect(result.input.rows).toBe(0);
    expect(result.input.outsideWindow).toBe(0);
    // Not one day folder was listed: none is counted as files, each as a day folder.
    const days = new Set((await expandInputPaths([root])).map((f) => /^(.*[/\\]d=\d{2})[/\\]/.exec(f)![1]));
    expect(result.input.filesOutsideWindow).toBeUndefined();
    expect(result.input.dayFoldersOutsideWindow).toBe(days.size);
    const times = data.requests.map((r) => r.timeMs);
    const dayOf = (t: number) => Math.floor(t / (24 * HOUR)) * 24 * HOUR;
    expect(result.input.dataSpan).toEqual({
      from: new Date(dayOf(Math.min(...times))).toISOString(),
      to: new Date(dayOf(Math.max(...times)) + 24 * HOUR).toISOString(),
    });
    expect(text).toContain(`All ${days.size} archive day folder(s) lie outside the window`);
    expect(text).toContain("archive day folders outside the window (not read): " + days.size);
  });

  it("lists only the days that may hold the window's requests, over an archive of several days", async () => {
    const week = join(root, "..", `week-${Date.now()}`);
    // The stories on four days, a day apart.
    const requests = [0, 1, 2, 3].flatMap((d) =>
      stories.requests.map((r) => ({ ...r, timeMs: r.timeMs + d * 24 * HOUR })),
    );
    await writeArchiveTree(requests, week);
    try {
      const first = Math.min(...requests.map((r) => r.timeMs));
      // Half an hour of the second day's stories: its day listed (and the next when the hour after the
      // window crosses midnight); then the second and third days.
      for (const [fromMs, toMs, days] of [
        [first + 24 * HOUR, first + 24 * HOUR + HOUR / 2, 1],
        [first + 24 * HOUR, first + 3 * 24 * HOUR, 2],
      ] as const) {
        const window = { from: new Date(fromMs), to: new Date(toMs) };
        const expected = await everyFile(window, week);
        const { result } = await cli(
          ["--from", window.from.toISOString(), "--to", window.to.toISOString(), "--threads", "1"],
          week,
        );
        expect(result.incidents).toEqual(expected.incidents);
        expect(result.input.rows).toBe(expected.input.rows);
        expect(result.input.rows).toBeGreaterThan(0);
        // Each logged resource has a day folder a day: those of the days outside were not listed.
        const roots = new Set(
          (await expandInputPaths([week])).map((f) => /^(.*)[/\\]y=\d{4}[/\\]/.exec(f)![1]),
        );
        const listedDays = days;
        expect(result.input.dayFoldersOutsideWindow).toBeGreaterThanOrEqual(
          roots.size * (4 - listedDays - 1),
        );
        expect(result.input.dayFoldersOutsideWindow).toBeLessThanOrEqual(roots.size * (4 - listedDays));
      }
    } finally {
      await rm(week, { recursive: true, force: true });
    }
  });
});
