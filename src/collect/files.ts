import type { RejectionSink } from "../engine/contracts.js";
import type { ActivityEvent } from "../model/activity.js";
import type { StorageRequest } from "../model/storage-request.js";
import { activityEventFromObject } from "./activity-records.js";
import { FileRecordParser, type RecordMapper } from "./formats.js";
import { InputError, expandInputPaths, openFileBytes } from "./input-files.js";
import { storageRequestFromObject } from "./storage-records.js";

export { InputError } from "./input-files.js";

export interface ReadProgress {
  file: string;
  /** Bytes of `file` read so far (compressed bytes for .gz). */
  bytes: number;
  totalBytes: number;
}

export interface ReadStorageOptions {
  rejections: RejectionSink;
  onProgress?: (p: ReadProgress) => void;
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
  map: RecordMapper<T>,
  rejections: RejectionSink,
  onProgress?: (p: ReadProgress) => void,
): AsyncGenerator<T[]> {
  const files = await expandInputPaths(paths);
  for (const file of files) {
    const source = await openFileBytes(file);
    const parser = new FileRecordParser(file, map, rejections);
    try {
      for await (const chunk of source.chunks) {
        parser.push(chunk);
        if (parser.out.length > 0) yield parser.out.splice(0);
        onProgress?.({ file, bytes: source.bytesRead(), totalBytes: source.totalBytes });
      }
    } catch (err) {
      if (!isZlibError(err)) {
        if (err instanceof InputError) throw err;
        const detail = err instanceof Error ? err.message : String(err);
        throw new InputError(`${file}: read failed (${detail}); check the file and try again`, file);
      }
      // A damaged .gz: keep what was readable, report the rest, go on with the next file.
      rejections.reject({
        file,
        line: 1,
        field: "(file)",
        reason: `gzip data is corrupt or truncated (${err.message}); records after the damage were not read`,
      });
    }
    parser.end();
    if (parser.out.length > 0) yield parser.out.splice(0);
  }
}

/**
 * Every storage request in `paths` (files or directories, recursive, sorted; `.gz` accepted), whatever
 * the form: Log Analytics exports (JSON array, NDJSON, CSV, Logs API response) or diagnostic-setting
 * archive JSON Lines. Bad records go to `opts.rejections`; rows of every status are yielded.
 * Throws InputError when a path cannot be read at all.
 */
export async function* readStorageRequests(
  paths: string[],
  opts: ReadStorageOptions,
): AsyncGenerator<StorageRequest> {
  for await (const batch of readRecordBatches(paths, storageRequestFromObject, opts.rejections, opts.onProgress)) {
    yield* batch;
  }
}

/** Same as readStorageRequests, one array per read chunk: fewer async hops for hot loops. */
export function readStorageRequestBatches(
  paths: string[],
  opts: ReadStorageOptions,
): AsyncGenerator<StorageRequest[]> {
  return readRecordBatches(paths, storageRequestFromObject, opts.rejections, opts.onProgress);
}

/** Every AzureActivity event in `paths`: Log Analytics exports or archived activity-log JSON Lines. */
export async function* readActivityEvents(
  paths: string[],
  opts: ReadActivityOptions,
): AsyncGenerator<ActivityEvent> {
  for await (const batch of readRecordBatches(paths, activityEventFromObject, opts.rejections)) {
    yield* batch;
  }
}
