import {
  closeSync,
  createReadStream,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  type Dirent,
} from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { createGunzip } from "node:zlib";

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

/** Code-unit order, not locale order: the same tree is read in the same order on every machine. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The files under `dir`, sorted. An archive tree holds a directory per hour (`y=/m=/d=/h=/m=00/`):
 * entry types come with the listing instead of a `stat` per entry, and only a symbolic link is followed
 * with `stat`. Synchronous, as reading small files is (readSmallFile): listing the 12,208 directories of
 * 5,394 hourly files took 300 ms so, against 360-760 ms with eight listings at a time waiting on the file
 * thread pool. The first path in sorted order that cannot be read is the one reported.
 */
function walk(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw describeFsError(err, dir);
  }
  // Hidden files (.DS_Store, editor swap files) are never log exports.
  const visible = entries.filter((e) => !e.name.startsWith(".")).sort((a, b) => byName(a.name, b.name));
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
    if (info.isDirectory()) files.push(...walk(full));
    else if (info.isFile()) files.push(full);
  }
  return files;
}

/**
 * Expands files and directories (recursively, sorted) into the list of files to read, failing with an
 * InputError on the first path that cannot be used.
 */
export async function expandInputPaths(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0)
    throw new InputError("no input paths given; pass at least one file or directory", "");
  const files: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw describeFsError(err, path);
    }
    if (info.isDirectory()) {
      const found = walk(path);
      files.push(...found);
      if (found.length === 0)
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

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Whether a file's first bytes are gzip's magic number. */
export function isGzipHead(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
}
/** Large reads: fewer chunks, fewer async hops in the hot loop. */
export const READ_CHUNK_BYTES = 256 * 1024;
/**
 * Reads under way while the caller works on a chunk: with two, a one-pass analyze of 1 GB still waited
 * 110-145 ms for its reads (CPU profile, idle); with four, 45 (BENCHMARKS.md, eighth round).
 */
const READS_AHEAD = 4;

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
 * Opens a file as a stream of (decompressed) chunks; gzip is detected from the magic bytes. A file of one
 * chunk or less (an archive's hourly `PT1H.json` is about 200 KB) is read at once, synchronously.
 */
export async function openFileBytes(file: string): Promise<FileBytes> {
  const small = readSmallFile(file);
  if (small) return small;
  let handle: FileHandle;
  let totalBytes: number;
  let gzip: boolean;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw describeFsError(err, file);
  }
  try {
    totalBytes = (await handle.stat()).size;
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    gzip = isGzipHead(magic.subarray(0, bytesRead));
  } catch (err) {
    await handle.close();
    throw describeFsError(err, file);
  }
  if (!gzip) return readAhead(handle, 0, totalBytes);
  await handle.close();
  const raw = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const chunks = raw.pipe(createGunzip({ chunkSize: READ_CHUNK_BYTES }));
  // A read error on the file must surface through the gunzip iterator, not as an unhandled event.
  raw.on("error", (err) => chunks.destroy(err));
  return { chunks, bytesRead: () => raw.bytesRead, totalBytes };
}

/**
 * The whole of a file of at most one chunk, read synchronously into a spared buffer (decompressed from
 * there when it is gzip); or undefined for a larger file, which is streamed. Each asynchronous open, stat, read and close
 * waits for the file thread pool: for an archive of 5,394 hourly files, those waits took longer than
 * reading the rows (BENCHMARKS.md). A file this small is in memory or one read away.
 */
function readSmallFile(file: string): FileBytes | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw describeFsError(err, file);
  }
  let buffer: Buffer | undefined;
  try {
    const size = fstatSync(fd).size;
    if (size > READ_CHUNK_BYTES) return undefined;
    buffer = readBuffer();
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0 || (length += n) === buffer.length) break;
    }
    // A whole chunk (the file may have grown since it was sized): streamed instead.
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
  } catch (err) {
    throw describeFsError(err, file);
  } finally {
    closeSync(fd);
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
  try {
    return readAhead(await open(file, "r"), start, end);
  } catch (err) {
    throw describeFsError(err, file);
  }
}

/**
 * Read buffers of files that are done, for the next file: an archive is thousands of small `PT1H.json`
 * files, and four fresh buffers per file (external memory V8 collects for) took more time in garbage
 * collection than reading 1,904 files of 210 MB did (BENCHMARKS.md). Per thread (a module is per
 * isolate), and bounded: a reader holds at most RING_SLOTS at a time.
 */
const sparedBuffers: Buffer[] = [];
/** The chunk being worked on, the one before it (still valid, see FileBytes), and the reads ahead. */
const RING_SLOTS = READS_AHEAD + 2;

/** A read buffer an earlier file gave back, or a new one. */
function readBuffer(): Buffer {
  return sparedBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
}

/** Gives a read buffer back for the next file (at most RING_SLOTS are kept). */
function spare(buffer: Buffer): void {
  if (sparedBuffers.length < RING_SLOTS) sparedBuffers.push(buffer);
}

/**
 * Bytes [start, end) of an open file, with the next reads already under way while the caller works on
 * a chunk (a stream starts one only when asked; waiting for it showed as 6% idle in `analyze`), into a
 * few buffers used in turn: a fresh 256 KiB buffer per chunk cost more in page faults and garbage
 * collection than the read itself. A ring slot gets its buffer when first read into (a file of one chunk
 * needs one), from the buffers earlier files gave back. The file is closed, and its buffers given back,
 * when the chunks are done, or when the caller stops early.
 */
function readAhead(handle: FileHandle, start: number, end: number): FileBytes {
  let bytesRead = 0;
  const size = Math.max(0, Math.min(READ_CHUNK_BYTES, end - start));
  const ring: Buffer[] = [];
  let turn = 0;
  const readAt = (pos: number) => {
    const slot = turn++ % RING_SLOTS;
    const buffer = (ring[slot] ??= readBuffer());
    const read = handle.read(buffer, 0, Math.min(size, end - pos), pos);
    return { slot, chunk: read.then((r) => buffer.subarray(0, r.bytesRead)) };
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    const pending: Array<ReturnType<typeof readAt>> = [];
    let next = start;
    const fill = () => {
      while (pending.length < READS_AHEAD && next < end) {
        pending.push(readAt(next));
        next += Math.min(size, end - next);
      }
    };
    try {
      fill();
      while (pending.length > 0) {
        const { slot, chunk: read } = pending.shift()!;
        const chunk = await read;
        if (chunk.length === 0) break;
        const expected = Math.min(size, end - (start + bytesRead));
        bytesRead += chunk.length;
        if (chunk.length < expected) {
          // A short read (the file shrank, or the system gave less): the reads after it start at the
          // wrong place, so they are dropped, and reading goes on from here into the next buffers.
          for (const p of pending.splice(0)) await p.chunk.catch(() => undefined);
          next = start + bytesRead;
          turn = slot + 1;
        }
        fill();
        yield chunk;
      }
    } finally {
      for (const p of pending) await p.chunk.catch(() => undefined);
      await handle.close();
      // The caller asked past the last chunk (or stopped): none of these is read from any more.
      for (const b of ring.splice(0)) spare(b);
    }
  }
  return { chunks: chunks(), bytesRead: () => bytesRead, totalBytes: end - start };
}
