import { GarbageBetweenFiles } from "../collect-garbage.js";
import type { RecordObserver, RejectionSink } from "../engine/contracts.js";
import type { ActivityEvent } from "../model/activity.js";
import { hasUnseenCallerShortcut, type UnseenCallerShortcut } from "../model/caller-key.js";
import type { StorageRequest } from "../model/storage-request.js";
import { activityEventFromObject } from "./activity-records.js";
import { FileRecordParser, type RecordReader, type RecordSink } from "./formats.js";
import type { FilePiece } from "./byte-ranges.js";
import {
  InputError,
  asText,
  expandInputPaths,
  openFileBytes,
  openFileRange,
  type FileBytes,
} from "./input-files.js";
import { TextEncodingError } from "./text-encoding.js";
import { FileFormatError } from "./file-format-error.js";
import { storageRequestFromClassicFields } from "./classic-log.js";
import { successRowSkim } from "./skim/json-lines-skim.js";
import { SkimAhead, skimJsonLines, type SkimAheadTesting } from "./skim/skim-ahead.js";
import {
  leanStorageRequestFromJsonBytes,
  storageRequestFromJsonBytes,
  storageRequestFromObject,
} from "./storage-records.js";

export { InputError } from "./input-files.js";

/**
 * Records of a batch generator, one by one. A hand-written iterator: an async generator's `yield` costs
 * several promise hops per record, which showed in the benchmark's hot loop.
 */
class FlattenedBatches<T> implements AsyncGenerator<T, undefined, unknown> {
  private batch: T[] = [];
  private pos = 0;

  constructor(private readonly batches: AsyncGenerator<T[], void, unknown>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.pos < this.batch.length) return Promise.resolve({ value: this.batch[this.pos++]!, done: false });
    return this.refill();
  }

  private async refill(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      const r = await this.batches.next();
      if (r.done) {
        this.batch = [];
        this.pos = 0;
        return { value: undefined, done: true };
      }
      if (r.value.length > 0) {
        this.batch = r.value;
        this.pos = 1;
        return { value: r.value[0]!, done: false };
      }
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.batch = [];
    this.pos = 0;
    await this.batches.return();
    return { value: undefined, done: true };
  }

  async throw(err: unknown): Promise<IteratorResult<T, undefined>> {
    this.batch = [];
    this.pos = 0;
    await this.batches.throw(err);
    return { value: undefined, done: true };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

const STORAGE_READER: RecordReader<StorageRequest> = {
  fromObject: storageRequestFromObject,
  fromJsonBytes: storageRequestFromJsonBytes,
  fromClassicFields: storageRequestFromClassicFields,
};
const LEAN_STORAGE_READER: RecordReader<StorageRequest> = {
  fromObject: storageRequestFromObject,
  fromJsonBytes: leanStorageRequestFromJsonBytes,
  skimJsonLines: (chunk, start, end, maxLineBytes, out, decline) =>
    skimJsonLines(chunk, start, end, maxLineBytes, out, decline),
  skimJsonRecord: (bytes, out) => successRowSkim().takeRecord(bytes, out),
  fromClassicFields: storageRequestFromClassicFields,
};
/** LEAN_STORAGE_READER whose skimmed success rows are lent (see scanStorageRequests). */
const LENDING_STORAGE_READER: RecordReader<StorageRequest> = {
  ...LEAN_STORAGE_READER,
  skimJsonLines: (chunk, start, end, maxLineBytes, out, decline) =>
    skimJsonLines(chunk, start, end, maxLineBytes, out, decline, true),
  skimJsonRecord: (bytes, out) => successRowSkim().takeRecord(bytes, out, true),
};
const ACTIVITY_READER: RecordReader<ActivityEvent> = { fromObject: activityEventFromObject };

/** An observer's own failure, carried through the reader's error handling untouched. */
class ObserverFailure {
  constructor(readonly cause: unknown) {}
}

/**
 * Hands each record to `observer` as the parser makes it; offers the skim the observer's shortcut for
 * rows it would only count, when it has one.
 */
function observing(observer: RecordObserver): RecordSink<StorageRequest> {
  const sink: RecordSink<StorageRequest> & Partial<UnseenCallerShortcut> = {
    push(r: StorageRequest): void {
      try {
        observer.observe(r);
      } catch (err) {
        throw new ObserverFailure(err);
      }
    },
  };
  if (hasUnseenCallerShortcut(observer))
    sink.countsOnly = (account, timeMs, keyHash, keyKind) => {
      try {
        return observer.countsOnly(account, timeMs, keyHash, keyKind);
      } catch (err) {
        throw new ObserverFailure(err);
      }
    };
  return sink;
}

export interface ReadProgress {
  file: string;
  /** Bytes of `file` read so far (compressed bytes for .gz). */
  bytes: number;
  totalBytes: number;
}

export interface ReadStorageOptions {
  rejections: RejectionSink;
  onProgress?: (p: ReadProgress) => void;
  /**
   * For the engine: JSON Lines rows that are not 401/403 carry only LEAN_REQUEST_FIELDS
   * (src/collect/storage-records.ts), the rest undefined. Those of ASCII JSON Lines are read by key search
   * (src/collect/skim/json-lines-skim.ts), which does not check the fields it does not read; 401/403 rows,
   * lines it cannot vouch for and other forms are read and checked in full.
   */
  lean?: boolean;
  /**
   * For a one-pass scan on two cores: JSON Lines files read and skimmed a window ahead on a thread of
   * their own (src/collect/skim/skim-ahead.ts); the records are the same. The main thread reads until
   * the thread is ready; tests drive the hand-over and the thread's reads (SkimAheadTesting).
   */
  skimAhead?: boolean | SkimAheadTesting;
}

export interface ReadActivityOptions {
  rejections: RejectionSink;
}

function isZlibError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

/**
 * Streams the records of every file under `paths`, batch by batch (one batch per read chunk). Memory is
 * bounded by one chunk plus one record, whatever the file size.
 */
export async function* readRecordBatches<T>(
  paths: readonly string[],
  reader: RecordReader<T>,
  rejections: RejectionSink,
  onProgress?: (p: ReadProgress) => void,
  /**
   * Where records go instead of the batches (which are then empty). The files are then read ahead
   * (openFileBytes): a scan that hands its records on reads alone. Batches of whole records are not:
   * with reads on the pool, a full-record read of the bench's 108 MB peaked at 104-164 MB against
   * 98-100 MB (BENCHMARKS.md, twenty-sixth round).
   */
  sink?: RecordSink<T>,
  skimAhead: ReadStorageOptions["skimAhead"] = false,
): AsyncGenerator<T[]> {
  const garbage = new GarbageBetweenFiles();
  const files = await expandInputPaths(paths);
  const ahead =
    skimAhead && files.length > 0 ? new SkimAhead(files, skimAhead === true ? {} : skimAhead) : undefined;
  try {
    for (const file of files) {
      garbage.nextFile();
      const parser = new FileRecordParser(file, reader, rejections, undefined, sink);
      const read = await ahead?.bytesOf(file);
      const source = read ? asText(read) : await openFileBytes(file, { readAhead: sink !== undefined });
      yield* readInto(file, source, parser, rejections, onProgress);
    }
  } finally {
    ahead?.stop();
  }
}

/**
 * Runs a reader whose records go to an observer (`observing`): nothing is yielded but the reading itself,
 * and the observer's own failure comes out as it was thrown.
 */
async function drain(batches: AsyncGenerator<unknown[]>): Promise<void> {
  try {
    for await (const batch of batches) void batch;
  } catch (err) {
    throw err instanceof ObserverFailure ? err.cause : err;
  }
}

/** Feeds one source's chunks to its parser, yielding what each chunk completes. */
async function* readInto<T>(
  file: string,
  source: FileBytes,
  parser: FileRecordParser<T>,
  rejections: RejectionSink,
  onProgress?: (p: ReadProgress) => void,
): AsyncGenerator<T[]> {
  try {
    for await (const chunk of source.chunks) {
      parser.push(chunk);
      const batch = parser.batch();
      if (batch) yield batch;
      onProgress?.({ file, bytes: source.bytesRead(), totalBytes: source.totalBytes });
    }
  } catch (err) {
    // Not the file's: passed on for `drain` to unwrap.
    if (err instanceof ObserverFailure) throw err;
    // A damaged .gz, UTF-16 text or capture file: keep what was readable, report the rest, go on with the
    // next file.
    const damage =
      err instanceof TextEncodingError || err instanceof FileFormatError
        ? err.message
        : isZlibError(err)
          ? `gzip data is corrupt or truncated (${err.message})`
          : undefined;
    if (damage === undefined) {
      if (err instanceof InputError) throw err;
      const detail = err instanceof Error ? err.message : String(err);
      throw new InputError(`${file}: read failed (${detail}); check the file and try again`, file);
    }
    rejections.reject({
      file,
      line: 1,
      field: "(file)",
      reason:
        err instanceof FileFormatError && err.wholeFile
          ? damage
          : `${damage}; records after the damage were not read`,
    });
  }
  parser.end();
  const batch = parser.batch();
  if (batch) yield batch;
}

/**
 * The storage requests of one piece of the input (src/collect/byte-ranges.ts), handed to `observer` as
 * scanStorageRequests hands them, read as the whole file would read them except that lines are numbered
 * from the piece's start: `lines` receives how many the piece held, so the caller can renumber.
 */
export async function scanStorageRequestPiece(
  piece: FilePiece,
  opts: ReadStorageOptions,
  observer: RecordObserver,
  lines: (n: number) => void,
): Promise<void> {
  const whole = piece.start === 0 && piece.end === piece.size;
  const source = whole
    ? await openFileBytes(piece.file)
    : await openFileRange(piece.file, piece.start, piece.end);
  const parser = new FileRecordParser(
    piece.file,
    LENDING_STORAGE_READER,
    opts.rejections,
    piece.format,
    observing(observer),
  );
  await drain(readInto(piece.file, source, parser, opts.rejections, opts.onProgress));
  lines(parser.lines);
}

function storageReader(opts: ReadStorageOptions): RecordReader<StorageRequest> {
  return opts.lean ? LEAN_STORAGE_READER : STORAGE_READER;
}

/**
 * Every storage request in `paths` (files or directories, recursive, sorted; `.gz` accepted), whatever
 * the form: Log Analytics exports (JSON array, NDJSON, CSV, Logs API response) or diagnostic-setting
 * archive JSON Lines. Bad records go to `opts.rejections`; rows of every status are yielded.
 * Throws InputError when a path cannot be read at all.
 */
export function readStorageRequests(
  paths: string[],
  opts: ReadStorageOptions,
): AsyncGenerator<StorageRequest> {
  return new FlattenedBatches(
    readRecordBatches(paths, storageReader(opts), opts.rejections, opts.onProgress),
  );
}

/**
 * Every storage request in `paths`, as readStorageRequests reads them with `lean`, handed to `observer`
 * as each is read, in input order: what the one-pass `analyze` does with them. A success row of ASCII
 * JSON Lines is lent: one object, refilled for the next row, whose values are decoded only when asked
 * for, so it is valid only during the call; the observer keeps values, never the record.
 */
export async function scanStorageRequests(
  paths: string[],
  opts: ReadStorageOptions,
  observer: RecordObserver,
): Promise<void> {
  await drain(
    readRecordBatches(
      paths,
      LENDING_STORAGE_READER,
      opts.rejections,
      opts.onProgress,
      observing(observer),
      opts.skimAhead,
    ),
  );
}

/** Same as readStorageRequests, one array per read chunk: fewer async hops for hot loops. */
export function readStorageRequestBatches(
  paths: string[],
  opts: ReadStorageOptions,
): AsyncGenerator<StorageRequest[]> {
  return readRecordBatches(paths, storageReader(opts), opts.rejections, opts.onProgress);
}

/** Every AzureActivity event in `paths`: Log Analytics exports or archived activity-log JSON Lines. */
export function readActivityEvents(
  paths: string[],
  opts: ReadActivityOptions,
): AsyncGenerator<ActivityEvent> {
  return new FlattenedBatches(readRecordBatches(paths, ACTIVITY_READER, opts.rejections));
}
