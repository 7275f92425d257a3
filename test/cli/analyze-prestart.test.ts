import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readsAheadToPrestart, scanThreadsToPrestart } from "../../src/cli/commands/analyze-prestart.js";
import { FAILURE_ROW_WEIGHT, MIN_PART_WORK } from "../../src/collect/scan-work.js";
import { defaultScanThreads, SKIM_AHEAD_MIN_BYTES } from "../../src/engine/scan-threads.js";

/**
 * What `auth-triage analyze` starts ahead, told from its flags and the sizes of the files named: on two
 * threads the skim-ahead thread, once the input is worth it (or they are asked for); from three, as many
 * scan threads as the plan may cut parts for, none where it surely cuts none.
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

describe("threads started ahead for analyze", () => {
  it("with the default threads (two here): the skim-ahead thread once the input is large enough", async () => {
    const big = await sized("big.jsonl", SKIM_AHEAD_MIN_BYTES);
    const small = await sized("small.jsonl", SKIM_AHEAD_MIN_BYTES - 1);
    const two = defaultScanThreads() === 2;
    expect(readsAheadToPrestart(["--logs", big])).toBe(two);
    expect(readsAheadToPrestart(["--logs", small])).toBe(false);
    expect(scanThreadsToPrestart(["--logs", big])).toBe(0);
  });

  it("with --threads 2: the skim-ahead thread whatever the size, and no scan thread", async () => {
    const small = await sized("tiny.jsonl", 1);
    const empty = await sized("empty.jsonl", 0);
    expect(readsAheadToPrestart(["--logs", small, "--threads", "2"])).toBe(true);
    expect(readsAheadToPrestart(["--logs", empty, "--threads", "2"])).toBe(false);
    expect(scanThreadsToPrestart(["--logs", small, "--threads", "2"])).toBe(0);
  });

  it("with --threads N from 3: N - 1 scan threads once each part may hold the least a part holds", async () => {
    const half = await sized("half.jsonl", Math.ceil(leastFor(MIN_PART_WORK) / 2));
    const other = await sized("other.jsonl", Math.ceil(leastFor(MIN_PART_WORK) / 2));
    expect(scanThreadsToPrestart(["--logs", half, "--threads", "4"])).toBe(0);
    expect(scanThreadsToPrestart(["--logs", half, other, "--threads", "4"])).toBe(3);
    expect(scanThreadsToPrestart(["--threads", "3", "--logs", half, "--logs", other])).toBe(2);
    expect(scanThreadsToPrestart(["--logs", half, other, "--threads", "1"])).toBe(0);
    expect(readsAheadToPrestart(["--logs", half, other, "--threads", "3"])).toBe(false);
    expect(readsAheadToPrestart(["--logs", half, other, "--threads", "1"])).toBe(false);
  });

  it("for a directory, whose files the plan lists", async () => {
    const tree = join(dir, "tree");
    await mkdir(tree);
    expect(readsAheadToPrestart(["--logs", tree, "--threads", "2"])).toBe(true);
    expect(scanThreadsToPrestart(["--logs", tree, "--threads", "3"])).toBe(2);
  });

  it("none for flags the command refuses, paths that cannot be read, or other sources", async () => {
    const big = await sized("big2.jsonl", SKIM_AHEAD_MIN_BYTES);
    for (const [threads, prestarted] of [
      ["2", readsAheadToPrestart],
      ["3", scanThreadsToPrestart],
    ] as const) {
      const none = (argv: string[]) => expect(Number(prestarted(argv)), argv.join(" ")).toBe(0);
      none(["--logs", big, "--threads", "0"]);
      none(["--logs", big, "--threads", "999"]);
      none(["--logs", big, "--threads", threads, "--no-such-flag"]);
      none(["--logs", big, "--threads", threads, "--help"]);
      none(["--logs", join(dir, "missing.jsonl"), "--threads", threads]);
      none(["--workspace", "x", "--logs", big, "--threads", threads]);
      none(["--archive-account", "https://a.blob.core.windows.net", "--threads", threads]);
      none([]);
    }
  });
});
