import {
  closeSync,
  createReadStream,
  read as readOnPool,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  type Dirent,
} from "node:fs";
import { join } from "node:path";
import { compareText } from "../order.js";
import { createGunzip } from "node:zlib";
import { peekHead, utf8Chunks } from "./text-encoding.js";
import { avroCaptureBodies, isAvroHead } from "./avro-capture.js";
import { REFUSED_FORM_HEAD_BYTES, refusalOf } from "./refused-forms.js";
import { FileFormatError } from "./file-format-error.js";
import { isGzipHead, startsAsGzip } from "./gzip-head.js";

/**
 * An input that cannot be read at all (missing path, unreadable file, directory without files). Unlike a
 * bad record this stops the run: the message names the path and says what to fix; the CLI exits 2.
 */
export class InputError extends Error {
  override name = "InputError";
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

function describeFsError(err: unknown, path: string): InputError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return new InputError(`${path}: no such file or directory; check the path`, path);
  if (code === "EACCES" || code === "EPERM")
    return new InputError(`${path}: permission denied; make the file readable for this user`, path);
  const detail = err instanceof Error ? err.message : String(err);
  return new InputError(`${path}: cannot be read (${detail}); check the path and its permissions`, path);
}

/**
 * The files under `dir`, sorted. An archive tree holds a directory per hour (`y=/m=/d=/h=/m=00/`):
 * entry types come with the listing instead of a `stat` per entry, and only a symbolic link is followed
 * with `stat`. Synchronous, as reading small files is (readSmallFile): listing the 12,208 directories of
 * 5,394 hourly files took 300 ms so, against 360-760 ms with eight listings at a time waiting on the file
 * thread pool. The first path in sorted order that cannot be read is the one reported.
 */
function walk(dir: string, skipsDirectory?: (path: string) => boolean): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw describeFsError(err, dir);
  }
  // Hidden files (.DS_Store, editor swap files) are never log exports.
  const visible = entries.filter((e) => !e.name.startsWith(".")).sort((a, b) => compareText(a.name, b.name));
  const files: string[] = [];
  for (const entry of visible) {
    const full = join(dir, entry.name);
    let info: { isDirectory(): boolean; isFile(): boolean } = entry;
    if (entry.isSymbolicLink()) {
      try {
        info = statSync(full);
      } catch (err) {
        throw describeFsError(err, full);
      }
    }
    if (info.isDirectory()) {
      if (!skipsDirectory?.(full)) files.push(...walk(full, skipsDirectory));
    } else if (info.isFile()) files.push(full);
  }
  return files;
}

/**
 * Expands files and directories (recursively, sorted) into the list of files to read, failing with an
 * InputError on the first path that cannot be used. A directory below a given one for which
 * `skipsDirectory` says so is not listed (window-files.ts: an archive's days outside the window).
 */
export async function expandInputPaths(
  paths: readonly string[],
  skipsDirectory?: (path: string) => boolean,
): Promise<string[]> {
  if (paths.length === 0)
    throw new InputError("no input paths given; pass at least one file or directory", "");
  const files: string[] = [];
  // A directory whose every file lies in skipped directories is not empty: it is outside the window.
  let skipped = 0;
  const skips = skipsDirectory && ((dir: string) => skipsDirectory(dir) && ++skipped > 0);
  for (const path of paths) {
    let info;
    try {
      // Synchronous, as the walk is: a file list of thousands (an archive's window, a shell glob) took a
      // thread-pool round trip each: 250-350 ms for 5,280 hourly files, 40-46 ms so.
      info = statSync(path);
    } catch (err) {
      throw describeFsError(err, path);
    }
    if (info.isDirectory()) {
      const skippedBefore = skipped;
      const found = walk(path, skips);
      files.push(...found);
      if (found.length === 0 && skipped === skippedBefore)
        throw new InputError(
          `${path}: directory contains no files; point at the exported or downloaded log files`,
          path,
        );
    } else if (info.isFile()) {
      files.push(path);
    } else {
      throw new InputError(`${path}: not a regular file or directory`, path);
    }
  }
  return files;
}

/**
 * Large reads: fewer chunks, fewer hops in the hot loop, and fewer read calls, which cost less per byte
 * when larger: over 1 GB, 1 MiB reads took 90-110 ms of read calls where 256 KiB reads took 200 ms, and
 * the whole scan 7-10% less time (BENCHMARKS.md, thirteenth round). One chunk is also one window of the
 * success-row skim and the longest record.
 */
export const READ_CHUNK_BYTES = 1 << 20;

export interface FileBytes {
  /**
   * Decompressed content, chunk by chunk. A chunk's memory is reused once the chunk after the next one
   * is asked for, and by the next file once the chunks are done: a reader that keeps bytes across
   * chunks keeps a copy (as the line splitter does).
   */
  chunks: AsyncIterable<Buffer>;
  /** Bytes of the file read so far (compressed bytes for .gz), for progress. */
  bytesRead(): number;
  totalBytes: number;
}

/**
 * Opens a file as a stream of (decompressed) chunks of UTF-8: gzip is detected from the magic bytes,
 * UTF-16 from its byte order mark (src/collect/text-encoding.ts), an Event Hubs Capture file from Avro's
 * (src/collect/avro-capture.ts). The file is opened and sized once: a
 * file of one chunk or less (an archive's hourly `PT1H.json` is about 200 KB) is read at once, a larger
 * one chunk by chunk, as it is asked for (readInTurn) or, with `readAhead`, the next chunk read on the
 * file thread pool while this one is handed on (readAhead: for a thread that reads alone).
 */
export async function openFileBytes(file: string, o: { readAhead?: boolean } = {}): Promise<FileBytes> {
  return asText(await openRawFileBytes(file, o.readAhead ?? false));
}

/** A file's raw bytes as the text readers expect (textChunks), as openFileBytes opens them. */
export function asText(bytes: FileBytes): FileBytes {
  return { ...bytes, chunks: textChunks(bytes.chunks) };
}

/** Enough of a file's start to tell its form by: Avro's magic, and those of the forms refused. */
const HEAD_BYTES = Math.max(4, REFUSED_FORM_HEAD_BYTES);

/**
 * The chunks as the UTF-8 text every reader expects: an Event Hubs Capture file's event bodies, a line
 * each (avro-capture.ts); UTF-16 decoded (text-encoding.ts); a zip, Excel workbook, Parquet file or an
 * archive of another compressor refused whole (refused-forms.ts); anything else as it is.
 */
async function* textChunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { head, all } = await peekHead(chunks, HEAD_BYTES);
  const refusal = head && refusalOf(head);
  if (head && isAvroHead(head)) yield* avroCaptureBodies(all);
  else if (refusal) {
    await all.return(undefined);
    throw new FileFormatError(refusal, true);
  } else yield* utf8Chunks(all);
}

async function openRawFileBytes(file: string, ahead: boolean): Promise<FileBytes> {
  const fd = openForReading(file);
  let handedOver = false;
  let size: number;
  try {
    size = fstatSync(fd).size;
    if (size <= READ_CHUNK_BYTES) {
      const small = readSmallFile(fd, size);
      if (small) return small;
      // It grew to a whole chunk or more since it was sized: streamed to its new end.
      size = fstatSync(fd).size;
    }
    if (!startsAsGzip(fd)) {
      handedOver = true;
      return ahead ? readAhead(fd, size) : readInTurn(fd, 0, size);
    }
  } catch (err) {
    throw describeFsError(err, file);
  } finally {
    if (!handedOver) closeSync(fd);
  }
  const raw = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const chunks = raw.pipe(createGunzip({ chunkSize: READ_CHUNK_BYTES }));
  // A read error on the file must surface through the gunzip iterator, not as an unhandled event.
  raw.on("error", (err) => chunks.destroy(err));
  return { chunks, bytesRead: () => raw.bytesRead, totalBytes: size };
}

function openForReading(file: string): number {
  try {
    return openSync(file, "r");
  } catch (err) {
    throw describeFsError(err, file);
  }
}

/**
 * The whole of a file of at most one chunk, read into a spared buffer (decompressed from there when it
 * is gzip); or undefined when it grew to a whole chunk since it was sized, to be streamed instead.
 */
function readSmallFile(fd: number, size: number): FileBytes | undefined {
  let buffer: Buffer | undefined = readBuffer();
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0 || (length += n) === buffer.length) break;
    }
    if (length === buffer.length) return undefined;
    if (isGzipHead(buffer.subarray(0, length))) {
      // Decompressed from a copy of what was read (the buffer goes back below), not read again.
      const chunks = createGunzip({ chunkSize: READ_CHUNK_BYTES });
      chunks.end(Buffer.from(buffer.subarray(0, length)));
      return { chunks, bytesRead: () => length, totalBytes: size };
    }
    const whole = buffer;
    buffer = undefined;
    return { chunks: oneChunk(whole, length), bytesRead: () => length, totalBytes: size };
  } finally {
    if (buffer) spare(buffer);
  }
}

/** The file's one chunk; its buffer is spared for the next file once the chunk is done. */
async function* oneChunk(buffer: Buffer, length: number): AsyncGenerator<Buffer> {
  try {
    if (length > 0) yield buffer.subarray(0, length);
  } finally {
    spare(buffer);
  }
}

/** Bytes [start, end) of an uncompressed file, chunk by chunk (a piece of a split JSON Lines file). */
export async function openFileRange(file: string, start: number, end: number): Promise<FileBytes> {
  return readInTurn(openForReading(file), start, end);
}

/**
 * Read buffers of files that are done, for the next file: an archive is thousands of small `PT1H.json`
 * files, and fresh buffers per file (external memory V8 collects for) took more time in garbage
 * collection than reading 1,904 files of 210 MB did (BENCHMARKS.md). Per thread (a module is per
 * isolate), and bounded: a reader holds at most two at a time.
 */
const sparedBuffers: Buffer[] = [];
const SPARED_BUFFERS = 2;

/** A read buffer an earlier file gave back, or a new one. */
function readBuffer(): Buffer {
  return sparedBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
}

/** Gives a read buffer back for the next file (at most SPARED_BUFFERS are kept). */
function spare(buffer: Buffer): void {
  if (sparedBuffers.length < SPARED_BUFFERS) sparedBuffers.push(buffer);
}

/**
 * Reads ahead (readAhead): two read chunks at a time, as each read wakes a pool thread and the wake-ups,
 * not the copies, were what reads on the pool cost (BENCHMARKS.md, ninth round).
 */
export const READ_AHEAD_CHUNK_BYTES = 2 * READ_CHUNK_BYTES;
/** Buffers of read-ahead files that are done, for the next file (a reader holds three). */
const sparedAheadBuffers: Buffer[] = [];

/** A positioned read on the file thread pool, as `fs.read` makes it (tests wrap it to fail or wait). */
export type PoolRead = (
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
  callback: (err: NodeJS.ErrnoException | null, bytesRead: number) => void,
) => void;

/**
 * An open file of `size` bytes, each chunk handed on while the next is read on the file thread pool:
 * the copy out of the page cache, some 0.15–0.3 s a GB, then runs beside the scan of the chunk before it.
 * For a thread that reads alone (one-pass `analyze`): scan threads that keep every core busy gain nothing
 * from a pool thread more (BENCHMARKS.md, twenty-sixth round). Three buffers in turn: the chunk handed on,
 * the one before it (still valid: see FileBytes) and the one being read. The file is closed, once no
 * read is pending, when the chunks are done or the caller stops early.
 */
export function readAhead(fd: number, size: number, readOn: PoolRead = readOnPool): FileBytes {
  let bytesRead = 0;
  const readAt = (buffer: Buffer, at: number): Promise<number> => {
    if (at >= size) return Promise.resolve(0);
    const read = new Promise<number>((resolve, reject) =>
      readOn(fd, buffer, 0, Math.min(buffer.length, size - at), at, (err, n) =>
        err ? reject(err) : resolve(n),
      ),
    );
    // A read that fails while its chunk is not yet asked for is not an unhandled rejection (which would
    // end the process): its error comes out when the chunk is asked for.
    read.catch(() => undefined);
    return read;
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    const buffers: Buffer[] = [];
    const bufferOf = (turn: number): Buffer =>
      (buffers[turn % 3] ??= sparedAheadBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_AHEAD_CHUNK_BYTES));
    let pending = readAt(bufferOf(0), 0);
    try {
      for (let turn = 0; ; turn++) {
        const n = await pending;
        // The file shrank: what is left of it is not there.
        if (n === 0) break;
        bytesRead += n;
        pending = readAt(bufferOf(turn + 1), bytesRead);
        // Handed on a read chunk at a time, as the synchronous reads are: a parser's batch is a chunk's
        // records, and twice as many per batch took the peak of a full-record read from 100 MB to
        // 112-198 MB (the read's chunk before the last is the buffer's first half, still valid).
        const buffer = buffers[turn % 3]!;
        for (let at = 0; at < n; at += READ_CHUNK_BYTES)
          yield buffer.subarray(at, Math.min(n, at + READ_CHUNK_BYTES));
      }
    } finally {
      await pending.catch(() => undefined);
      closeSync(fd);
      for (const b of buffers) if (sparedAheadBuffers.length < 3) sparedAheadBuffers.push(b);
    }
  }
  return { chunks: chunks(), bytesRead: () => bytesRead, totalBytes: size };
}

/**
 * Bytes [start, end) of an open file, each chunk read when it is asked for, synchronously, into two
 * buffers used in turn (the chunk asked for and the one before it, still valid: see FileBytes). Reads
 * on the file thread pool, four ahead, cost more than they saved: each woke a pool thread, and the
 * wake-ups took 150-310 ms of a thread's time per GB against some 75 ms for the copies themselves
 * (BENCHMARKS.md, ninth round); the kernel reads ahead of a file read in order anyway. The file is
 * closed, and its buffers given back, when the chunks are done, or when the caller stops early.
 */
function readInTurn(fd: number, start: number, end: number): FileBytes {
  let bytesRead = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    const buffers: Buffer[] = [];
    try {
      for (let turn = 0; start + bytesRead < end; turn++) {
        const buffer = (buffers[turn & 1] ??= readBuffer());
        const n = readSync(
          fd,
          buffer,
          0,
          Math.min(buffer.length, end - start - bytesRead),
          start + bytesRead,
        );
        // The file shrank: what is left of the range is not there.
        if (n === 0) break;
        bytesRead += n;
        yield buffer.subarray(0, n);
      }
    } finally {
      closeSync(fd);
      for (const b of buffers) spare(b);
    }
  }
  return { chunks: chunks(), bytesRead: () => bytesRead, totalBytes: end - start };
}
