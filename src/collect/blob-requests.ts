import type { RecordObserver, RejectionSink } from "../engine/contracts.js";
import type { StorageRequest } from "../model/storage-request.js";
import {
  type BlobReadSummary,
  type BlobWindowLayout,
  type BlobWindowTarget,
  type WindowBlob,
  type WindowedReadDeps,
  readWindowedBlobs,
} from "./blob-window.js";
import type { RecordLocation } from "./record-location.js";

/**
 * Storage requests from windowed log blobs (./blob-window.ts), shared by every blob source (archive,
 * classic `$logs`): rejection counting, the window up to now, strict UTF-8, blank lines skipped, the
 * optional drop before `sinceMs`, record counting and the observer. A source brings only its layout,
 * its line parser and the file name its rejections use.
 */

/** One decoded, non-blank line → a request, or undefined after rejecting it through `sink`. */
export type BlobLineParser = (
  text: string,
  at: RecordLocation,
  sink: RejectionSink,
) => StorageRequest | undefined;

export interface BlobRequestReadOptions {
  /** Only blobs of hours that end after this are listed. */
  sinceMs: number;
  /** Also drop records generated before `sinceMs` (one-off CLI runs); the timer relies on its cursors. */
  dropRecordsBeforeSince?: boolean;
  closedAfterHours: number;
  listConcurrency?: number;
  downloadConcurrency?: number;
  /** Whether an unterminated last line is a whole record; Azure may omit the last newline. */
  isCompleteLastLine(tail: Buffer): boolean;
  /** The file name rejections use for a blob. */
  fileOf(blob: WindowBlob): string;
  parseLine: BlobLineParser;
}

export interface BlobRequestReadDeps extends WindowedReadDeps {
  /** Receives every parsed request (the engine's aggregator, root-cause observers…). */
  observer: RecordObserver;
}

export interface BlobRequestReadResult {
  blobsListed: number;
  /** Accounts with a log blob in the window (see WindowedReadResult.accountsListed). */
  accountsListed?: string[];
  blobsRead: BlobReadSummary[];
  records: number;
  rejected: number;
  /** Records before `sinceMs` dropped because dropRecordsBeforeSince was set. */
  droppedBeforeSince: number;
  /** List calls made: grows with the window and the logged resources, not with the history kept. */
  listCalls: number;
  /** Bytes downloaded. */
  bytesRead: number;
  /** Advances the blob cursors (conditional on the versions read); call after the records were used. */
  commit(): Promise<void>;
}

export async function readBlobRequests(
  targets: readonly BlobWindowTarget[],
  layout: BlobWindowLayout,
  options: BlobRequestReadOptions,
  deps: BlobRequestReadDeps,
): Promise<BlobRequestReadResult> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let rejected = 0;
  let droppedBeforeSince = 0;
  let records = 0;
  const rejections: RejectionSink = {
    reject: (r) => {
      rejected++;
      deps.rejections.reject(r);
    },
  };
  const read = await readWindowedBlobs(
    targets,
    layout,
    {
      // Blobs of hours that ended before `sinceMs` are not listed; the newest hour may still be written.
      window: { fromMs: options.sinceMs, toMs: Math.max(options.sinceMs, deps.clock.now().getTime()) },
      closedAfterHours: options.closedAfterHours,
      listConcurrency: options.listConcurrency,
      downloadConcurrency: options.downloadConcurrency,
      isCompleteLastLine: options.isCompleteLastLine,
    },
    { clock: deps.clock, cursors: deps.cursors, rejections },
    (blob, bytes, lineNumber) => {
      if (bytes.length === 0) return false;
      const at = { file: options.fileOf(blob), line: lineNumber };
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        rejections.reject({ ...at, field: "(record)", reason: "not valid UTF-8" });
        return false;
      }
      if (text.trim() === "") return false;
      const request = options.parseLine(text, at, rejections);
      if (!request) return false;
      if (options.dropRecordsBeforeSince && request.timeMs < options.sinceMs) {
        droppedBeforeSince++;
        return false;
      }
      records++;
      deps.observer.observe(request);
      return true;
    },
  );
  return {
    blobsListed: read.blobsListed,
    ...(read.accountsListed ? { accountsListed: read.accountsListed } : {}),
    blobsRead: read.blobsRead,
    records,
    rejected,
    droppedBeforeSince,
    listCalls: read.listCalls,
    bytesRead: read.bytesRead,
    commit: read.commit,
  };
}
