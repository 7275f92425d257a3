import { closeSync, openSync, readSync } from "node:fs";

/**
 * What scanning the input costs, by where in it, so that planScanParts (byte-ranges.ts) cuts parts of
 * equal work rather than equal bytes. A 401/403 row costs some eight times what a success row does (it
 * is read whole, clustered and kept as evidence, where a success row is skimmed), so the hour of an
 * incident takes several times as long to scan as an hour of the same size before it. Cut by bytes, two
 * threads over a file of 401/403s ended no sooner than one thread did (BENCHMARKS.md, twenty-fifth
 * round): the first part's head start, sized for success rows, was over a second of 401/403s.
 *
 * Work is counted in bytes of success rows: a stretch of success rows weighs its size, one of 401/403s
 * FAILURE_ROW_WEIGHT times its size. The weight of the input (its files one after another) is estimated
 * from blocks read evenly over it, at most SAMPLE_BLOCKS, each standing for the stretch around it: its
 * rows are counted by their JSON status key (`"statusCode":403`, `"StatusCode":"403"`). A block with no
 * such key (CSV, classic logs, a compressed file) weighs its size, as every byte did before.
 */
export interface ScanWork {
  /** The work of the input's first `offset` bytes. */
  before(offset: number): number;
  /** The offset at which the work before it reaches `work` (the input's size past its total). */
  offsetOf(work: number): number;
  readonly total: number;
}

export interface SizedFile {
  file: string;
  size: number;
}

/** A 401/403 row's scan over a success row's, per byte (measured: 25-28 µs against 3-3.3 µs a row). */
export const FAILURE_ROW_WEIGHT = 8;
/**
 * Parts with less work than this (bytes of success rows) are never planned, whatever the threads asked
 * for: under twice this, one pass.
 */
export const MIN_PART_WORK = 8 * 1024 * 1024;

/**
 * Whether `totalBytes` of input may make two or more parts of `minPartWork`: not when it could not
 * hold two parts' work even were every row a 401/403. Told from sizes alone, before anything is read.
 */
export function mayMakeParts(totalBytes: number, parts: number, minPartWork: number): boolean {
  return parts >= 2 && totalBytes * FAILURE_ROW_WEIGHT >= 2 * minPartWork;
}

/** Blocks read to weigh the input: a few milliseconds, and a stretch per block fine enough to cut by. */
export const SAMPLE_BLOCKS = 64;
/** Some twenty rows of 1.5 KB. */
const BLOCK_BYTES = 32 * 1024;
/** A record's status, as archives (`statusCode`), Log Analytics rows and Event Hubs bodies write it. */
const STATUS = /"statusCode"[ \t]*:[ \t]*"?(\d{3})\b/gi;

/** Every byte weighs one: the cut by bytes. */
export function workOfBytes(total: number): ScanWork {
  return weighedStretches(total, [1]);
}

/**
 * The input's work, weighed from blocks read evenly over `files` (in this order). Read synchronously, a
 * file opened once for all its blocks: a thread-pool round trip per block cost more than the reading.
 */
export function sampleScanWork(files: readonly SizedFile[]): ScanWork {
  const total = files.reduce((n, f) => n + f.size, 0);
  const blocks = Math.max(1, Math.min(SAMPLE_BLOCKS, Math.floor(total / BLOCK_BYTES)));
  const stretch = total / blocks;
  const weights: number[] = [];
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  let f = 0;
  let fileStart = 0;
  let fd: number | undefined;
  try {
    for (let i = 0; i < blocks; i++) {
      const middle = (i + 0.5) * stretch;
      while (f < files.length - 1 && fileStart + files[f]!.size <= middle) {
        fileStart += files[f++]!.size;
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      }
      const { file, size } = files[f]!;
      const length = Math.min(BLOCK_BYTES, size);
      const from = Math.max(0, Math.min(Math.floor(middle - fileStart - length / 2), size - length));
      fd ??= openOrUndefined(file);
      // A file that cannot be read now weighs its bytes: reading it says why, where it can name it.
      weights.push(fd === undefined ? 1 : blockWeight(fd, block.subarray(0, length), from));
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return weighedStretches(total, weights);
}

function blockWeight(fd: number, block: Buffer, from: number): number {
  try {
    return weightOf(block.subarray(0, readSync(fd, block, 0, block.length, from)));
  } catch {
    return 1;
  }
}

function openOrUndefined(file: string): number | undefined {
  try {
    return openSync(file, "r");
  } catch {
    return undefined;
  }
}

/** A block's work per byte: 1 for success rows, FAILURE_ROW_WEIGHT for 401/403s. */
export function weightOf(block: Buffer): number {
  let rows = 0;
  let failures = 0;
  for (const m of block.toString("latin1").matchAll(STATUS)) {
    rows++;
    if (m[1] === "401" || m[1] === "403") failures++;
  }
  return rows === 0 ? 1 : 1 + ((FAILURE_ROW_WEIGHT - 1) * failures) / rows;
}

/** `total` bytes in stretches of equal size, the i-th weighing `weights[i]` per byte. */
function weighedStretches(total: number, weights: readonly number[]): ScanWork {
  const stretch = total / weights.length;
  // cumulative[i]: the work before stretch i.
  const cumulative = [0];
  for (const w of weights) cumulative.push(cumulative.at(-1)! + w * stretch);
  const last = weights.length - 1;
  return {
    total: cumulative[weights.length]!,
    before(offset) {
      if (offset <= 0) return 0;
      if (offset >= total) return cumulative[weights.length]!;
      const i = Math.min(last, Math.floor(offset / stretch));
      return cumulative[i]! + weights[i]! * (offset - i * stretch);
    },
    offsetOf(work) {
      if (work <= 0) return 0;
      let i = 0;
      while (i < last && cumulative[i + 1]! <= work) i++;
      return Math.min(total, i * stretch + (work - cumulative[i]!) / weights[i]!);
    },
  };
}
