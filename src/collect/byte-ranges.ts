import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import { detectFormat, type FileFormat } from "./formats.js";
import { isGzipHead } from "./gzip-head.js";
import { expandInputPaths, InputError } from "./input-files.js";
import { mapOrdered } from "./map-ordered.js";
import {
  FAILURE_ROW_WEIGHT,
  MIN_PART_WORK,
  mayMakeParts,
  sampleScanWork,
  type ScanWork,
  type SizedFile,
} from "./scan-work.js";

/**
 * Splitting the input of one `analyze` into contiguous parts of about equal work, one per thread (the work
 * of a stretch of input is estimated from samples of it: scan-work.ts).
 *
 * Only plain JSON Lines files (NDJSON exports, archive `PT1H.json`) are cut inside: a record never spans
 * a line break there, so a cut just after a line break starts a part on a whole record. Every other form
 * (compressed, CSV, JSON arrays, Logs API responses, classic logs) goes whole to the part it starts in.
 * Parts keep the files' order, so joining their pieces gives the input back byte for byte.
 */
export interface FilePiece {
  file: string;
  /** Byte range [start, end) of the file; a piece never ends inside a line. */
  start: number;
  end: number;
  /** The file's size: the piece that reaches it reads the last line as the file's last. */
  size: number;
  /** Set for a piece that does not start the file: its form, read off the file's head. */
  format?: FileFormat;
}

export type ScanPart = FilePiece[];

const HEAD_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

interface InputFile extends SizedFile {
  /** Uncompressed JSON Lines: may be cut at line breaks. */
  splittable: boolean;
}

/** Files whose heads are read at once: a tree of thousands of hourly blobs must not exhaust file handles. */
const DESCRIBE_CONCURRENCY = 16;

/**
 * Synchronous: sizing thousands of hourly files one thread-pool round trip each took longer than
 * listing them (as reading them did, see readSmallFile in input-files.ts).
 */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch (err) {
    throw new InputError(`${file}: cannot be read (${(err as Error).message})`, file);
  }
}

async function describe(file: string, size: number): Promise<InputFile> {
  const handle = await open(file, "r").catch((err: unknown) => {
    throw new InputError(`${file}: cannot be read (${(err as Error).message})`, file);
  });
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    const splittable = !isGzipHead(bytes) && detectFormat(bytes, bytesRead === size) === "json-lines";
    return { file, size, splittable };
  } finally {
    await handle.close();
  }
}

/** The offset just after the first line break at or after `from` (the file's size when there is none). */
async function nextLineStart(file: string, from: number, size: number): Promise<number> {
  const handle = await open(file, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let at = from; at < size;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      if (bytesRead === 0) break;
      const nl = buf.subarray(0, bytesRead).indexOf(NEWLINE);
      if (nl >= 0) return at + nl + 1;
      at += bytesRead;
    }
    return size;
  } finally {
    await handle.close();
  }
}

/**
 * At most `parts` parts of the files under `paths` (as readStorageRequests expands them), of about equal
 * work as `weigh` estimates it and, unless there is only one, none planned with less than `minPartWork`.
 * The first part is planned `headStart` more work (at most half a part, and never leaving another under
 * `minPartWork`), taken evenly from the others: the thread that reads it starts at once, the others only
 * once their own runtime is up.
 */
export async function planScanParts(
  paths: readonly string[],
  parts: number,
  minPartWork: number = MIN_PART_WORK,
  headStart = 0,
  weigh: (files: readonly SizedFile[]) => ScanWork = sampleScanWork,
): Promise<ScanPart[]> {
  const names = await expandInputPaths(paths);
  const sizes = names.map(sizeOf);
  const total = sizes.reduce((n, size) => n + size, 0);
  const whole = (): ScanPart[] => [
    names.map((file, i) => ({ file, start: 0, end: sizes[i]!, size: sizes[i]! })),
  ];
  if (!mayMakeParts(total, parts, minPartWork)) return whole();
  // A file that cannot hold a part's work is never cut, so its head is not read: a tree of thousands of
  // hourly `PT1H.json` files is planned from their sizes and the blocks weighed.
  const files: InputFile[] = [];
  const described = mapOrdered(names.keys(), DESCRIBE_CONCURRENCY, async (i) =>
    sizes[i]! * FAILURE_ROW_WEIGHT < minPartWork
      ? { file: names[i]!, size: sizes[i]!, splittable: false }
      : describe(names[i]!, sizes[i]!),
  );
  for await (const f of described) files.push(f);
  const work = weigh(files);
  const count = Math.min(parts, Math.floor(work.total / minPartWork));
  if (count < 2) return whole();
  const share = work.total / count;
  // Never so much that another part falls under minPartWork (not worth its thread's start).
  const lead = Math.min(headStart, share / 2, (share - minPartWork) * (count - 1));
  const targetOf = (part: number): number => (part === 0 ? share + lead : share - lead / (count - 1));
  const out: ScanPart[] = [];
  let current: ScanPart = [];
  let filled = 0;
  const close = (): void => {
    if (current.length > 0) out.push(current);
    current = [];
    filled = 0;
  };
  // Where the file being planned starts in the input (its files one after another).
  let fileStart = 0;
  for (const f of files) {
    let start = 0;
    const format: FileFormat | undefined = f.splittable ? "json-lines" : undefined;
    while (start < f.size || (start === 0 && f.size === 0)) {
      const room = targetOf(out.length) - filled;
      const startWork = work.before(fileStart + start);
      const rest = work.before(fileStart + f.size) - startWork;
      if (!f.splittable || rest <= room || out.length === count - 1) {
        current.push(piece(f, start, f.size, format));
        filled += rest;
        break;
      }
      const target = Math.ceil(work.offsetOf(startWork + room)) - fileStart;
      const end = await nextLineStart(f.file, Math.max(start + 1, target), f.size);
      current.push(piece(f, start, end, format));
      start = end;
      close();
    }
    if (filled >= targetOf(out.length) && out.length < count - 1) close();
    fileStart += f.size;
  }
  close();
  return out;
}

function piece(f: InputFile, start: number, end: number, format: FileFormat | undefined): FilePiece {
  const p: FilePiece = { file: f.file, start, end, size: f.size };
  if (start > 0 && format) p.format = format;
  return p;
}
