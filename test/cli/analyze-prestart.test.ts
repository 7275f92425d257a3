import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanThreadsToPrestart } from "../../src/cli/commands/analyze-prestart.js";
import { FAILURE_ROW_WEIGHT, MIN_PART_WORK } from "../../src/collect/scan-work.js";
import { defaultScanThreads, DEFAULT_THREADS_MIN_PART_WORK } from "../../src/engine/scan-threads.js";

/**
 * What `auth-triage analyze` starts ahead, told from its flags and the sizes of the files named: as
 * many threads as the plan may cut parts for, none where it surely cuts none.
 */
let dir: string;
/** Sparse files: sizes without the bytes. */
const sized = async (name: string, bytes: number): Promise<string> => {
  const path = join(dir, name);
  const file = await open(path, "w");
  await file.truncate(bytes);
  await file.close();
  return path;
};
/** The least input that may make two parts of `minPartWork`. */
const leastFor = (minPartWork: number): number => Math.ceil((2 * minPartWork) / FAILURE_ROW_WEIGHT);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "analyze-prestart-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("scan threads started ahead for analyze", () => {
  it("with the default threads: one less than they are, once the files may make two parts", async () => {
    const big = await sized("big.jsonl", leastFor(DEFAULT_THREADS_MIN_PART_WORK));
    const small = await sized("small.jsonl", leastFor(DEFAULT_THREADS_MIN_PART_WORK) - 1);
    expect(scanThreadsToPrestart(["--logs", big])).toBe(defaultScanThreads() - 1);
    expect(scanThreadsToPrestart(["--logs", small])).toBe(0);
  });

  it("with --threads N: N - 1 once each part may hold the least a part holds", async () => {
    const half = await sized("half.jsonl", Math.ceil(leastFor(MIN_PART_WORK) / 2));
    const other = await sized("other.jsonl", Math.ceil(leastFor(MIN_PART_WORK) / 2));
    expect(scanThreadsToPrestart(["--logs", half, "--threads", "4"])).toBe(0);
    expect(scanThreadsToPrestart(["--logs", half, other, "--threads", "4"])).toBe(3);
    expect(scanThreadsToPrestart(["--threads", "3", "--logs", half, "--logs", other])).toBe(2);
    expect(scanThreadsToPrestart(["--logs", half, other, "--threads", "1"])).toBe(0);
  });

  it("for a directory, whose files the plan lists", async () => {
    const tree = join(dir, "tree");
    await mkdir(tree);
    expect(scanThreadsToPrestart(["--logs", tree, "--threads", "2"])).toBe(1);
  });

  it("none for flags the command refuses, paths that cannot be read, or other sources", async () => {
    const big = await sized("big2.jsonl", leastFor(DEFAULT_THREADS_MIN_PART_WORK));
    expect(scanThreadsToPrestart(["--logs", big, "--threads", "0"])).toBe(0);
    expect(scanThreadsToPrestart(["--logs", big, "--threads", "999"])).toBe(0);
    expect(scanThreadsToPrestart(["--logs", big, "--threads", "2", "--no-such-flag"])).toBe(0);
    expect(scanThreadsToPrestart(["--logs", big, "--threads", "2", "--help"])).toBe(0);
    expect(scanThreadsToPrestart(["--logs", join(dir, "missing.jsonl"), "--threads", "2"])).toBe(0);
    expect(scanThreadsToPrestart(["--workspace", "x", "--logs", big, "--threads", "2"])).toBe(0);
    expect(scanThreadsToPrestart(["--archive-account", "https://a.blob.core.windows.net"])).toBe(0);
    expect(scanThreadsToPrestart([])).toBe(0);
  });
});
