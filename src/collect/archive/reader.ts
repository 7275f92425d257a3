import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { z } from "zod";
import { commitAll } from "../commit-all.js";
import type { Clock } from "../../clock.js";
import type { RecordObserver, RejectionSink } from "../../engine/contracts.js";
import type { TokenCredential } from "../loganalytics/client.js";
import { type BlobCursor, type BlobCursorStore, BlobCursorConflictError } from "./cursor.js";
import { STORAGE_LOG_CONTAINERS, blobKey, hourOfBlob } from "./paths.js";
import { parseArchiveLine } from "./record.js";

/**
 * Reads Storage diagnostic logs archived to a storage account: new and grown `PT1H.json` blobs of the
 * insights-logs-storage* containers, each from where the previous run stopped (BlobCursorStore). Only
 * complete lines are consumed; an incomplete last line waits for the next run, unless the blob's hour is
 * long closed, when it is reported as truncated.
 */
export const ArchiveSettingsSchema = z
  .object({
    /** Blob endpoint of the archive account, e.g. https://contosologs.blob.core.windows.net (managed identity). */
    accountUrl: z.string().url().optional(),
    /** For Azurite or key-based local use; never logged. */
    connectionString: z.string().min(1).optional(),
    containers: z
      .array(z.string().min(3))
      .min(1)
      .default([...STORAGE_LOG_CONTAINERS]),
    /** A blob whose hour started more than this long ago no longer grows; a partial last line there is truncated. */
    closedAfterHours: z.number().int().min(1).max(48).default(3),
  })
  .strict()
  .refine((s) => (s.accountUrl === undefined) !== (s.connectionString === undefined), {
    message: "give exactly one of accountUrl (managed identity) or connectionString (Azurite/local)",
  });

export type ArchiveSettings = z.output<typeof ArchiveSettingsSchema>;

export function parseArchiveSettings(input: unknown): ArchiveSettings {
  const parsed = ArchiveSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`);
    throw new Error(`invalid archive settings:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

export interface ArchiveReadDeps {
  clock: Clock;
  cursors: BlobCursorStore;
  /** Receives every parsed request (the engine's aggregator, root-cause observers…). */
  observer: RecordObserver;
  rejections: RejectionSink;
  /** Defaults to DefaultAzureCredential when `accountUrl` is used. */
  credential?: TokenCredential;
}

export interface ArchiveReadOptions {
  /** Only blobs of hours that end after this are listed. */
  sinceMs: number;
  /**
   * Also drop records generated before `sinceMs` (one-off CLI runs). The timer leaves this off: its
   * cursors already guarantee each record is read once, and a late record must still count.
   */
  dropRecordsBeforeSince?: boolean;
}

export interface BlobReadSummary {
  container: string;
  name: string;
  fromOffset: number;
  toOffset: number;
  records: number;
  /** Bytes of an incomplete last line left for the next run. */
  pendingBytes: number;
}

export interface ArchiveReadResult {
  blobsListed: number;
  blobsRead: BlobReadSummary[];
  records: number;
  rejected: number;
  /** Records before `sinceMs` dropped because dropRecordsBeforeSince was set. */
  droppedBeforeSince: number;
  /** Advances the blob cursors (conditional on the versions read); call after the records were used. */
  commit(): Promise<void>;
}

export async function createBlobServiceClient(
  settings: ArchiveSettings,
  credential?: TokenCredential,
): Promise<BlobServiceClient> {
  const { BlobServiceClient } = await import("@azure/storage-blob");
  if (settings.connectionString) return BlobServiceClient.fromConnectionString(settings.connectionString);
  const tokenCredential = credential ?? new (await import("@azure/identity")).DefaultAzureCredential();
  return new BlobServiceClient(settings.accountUrl!, tokenCredential);
}

const NEWLINE = 0x0a;
const HOUR_MS = 3_600_000;

interface LineSink {
  line(bytes: Buffer, lineNumber: number): void;
}

/** Splits a byte stream into lines without decoding across chunk borders; returns the unterminated tail. */
async function consumeLines(
  stream: NodeJS.ReadableStream,
  firstLineNumber: number,
  sink: LineSink,
): Promise<{ consumedBytes: number; lines: number; tail: Buffer }> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let consumedBytes = 0;
  let lineNumber = firstLineNumber;
  for await (const raw of stream) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : (raw as Buffer);
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      const line = pendingLength > 0 ? Buffer.concat([...pending, piece]) : piece;
      consumedBytes += line.length + 1;
      pending = [];
      pendingLength = 0;
      sink.line(line, lineNumber++);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      pending.push(Buffer.from(rest));
      pendingLength += rest.length;
    }
  }
  return { consumedBytes, lines: lineNumber - firstLineNumber, tail: Buffer.concat(pending) };
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export async function readArchive(
  settings: ArchiveSettings,
  options: ArchiveReadOptions,
  deps: ArchiveReadDeps,
  client?: BlobServiceClient,
): Promise<ArchiveReadResult> {
  const service = client ?? (await createBlobServiceClient(settings, deps.credential));
  const nowMs = deps.clock.now().getTime();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const result: Omit<ArchiveReadResult, "commit"> = {
    blobsListed: 0,
    blobsRead: [],
    records: 0,
    rejected: 0,
    droppedBeforeSince: 0,
  };
  const rejections: RejectionSink = {
    reject: (r) => {
      result.rejected++;
      deps.rejections.reject(r);
    },
  };
  const pendingCommits: Array<() => Promise<void>> = [];

  for (const container of settings.containers) {
    const containerClient: ContainerClient = service.getContainerClient(container);
    if (!(await containerClient.exists())) continue;
    for await (const item of containerClient.listBlobsFlat()) {
      const hourMs = hourOfBlob(item.name);
      if (hourMs === undefined || hourMs + HOUR_MS <= options.sinceMs) continue;
      result.blobsListed++;
      const key = blobKey(service.accountName, container, item.name);
      const file = `${container}/${item.name}`;
      const stored = await deps.cursors.get(key);
      const cursor = stored?.cursor;
      const size = item.properties.contentLength ?? 0;
      const etag = item.properties.etag ?? "";
      const closed = hourMs + settings.closedAfterHours * HOUR_MS <= nowMs;
      const unchanged = cursor !== undefined && cursor.blobEtag === etag && cursor.blobSize === size;
      // An unchanged blob is skipped, unless a partial last line waits there and the hour has closed.
      if (unchanged && (cursor.offset === size || !closed)) continue;
      let fromOffset = cursor?.offset ?? 0;
      let firstLine = (cursor?.lines ?? 0) + 1;
      if (size < fromOffset) {
        rejections.reject({
          file,
          line: 0,
          field: "(blob)",
          reason: `blob shrank from ${fromOffset} to ${size} bytes (replaced?); read again from the start`,
        });
        fromOffset = 0;
        firstLine = 1;
      }
      if (size === fromOffset && cursor) {
        // Nothing past the offset (only the ETag changed, or a pending partial line vanished): remember
        // the blob as it is; a range read at the end of a blob would be refused (416).
        const unchanged: BlobCursor = { ...cursor, blobEtag: etag, blobSize: size };
        pendingCommits.push(async () => void (await deps.cursors.set(key, unchanged, stored?.version)));
        continue;
      }
      const download = await containerClient.getBlobClient(item.name).download(fromOffset);
      let records = 0;
      const handleLine = (bytes: Buffer, lineNumber: number) => {
        const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
        if (end === 0) return;
        let text: string;
        try {
          text = decoder.decode(bytes.subarray(0, end));
        } catch {
          rejections.reject({ file, line: lineNumber, field: "(record)", reason: "not valid UTF-8" });
          return;
        }
        if (text.trim() === "") return;
        const request = parseArchiveLine(text, { file, line: lineNumber }, rejections);
        if (!request) return;
        if (options.dropRecordsBeforeSince && request.timeMs < options.sinceMs) {
          result.droppedBeforeSince++;
          return;
        }
        records++;
        deps.observer.observe(request);
      };
      const { consumedBytes, lines, tail } = await consumeLines(download.readableStreamBody!, firstLine, {
        line: handleLine,
      });
      let toOffset = fromOffset + consumedBytes;
      let lineCount = firstLine - 1 + lines;
      let pendingBytes = tail.length;
      if (tail.length > 0) {
        // A last line without its newline is complete when it parses; Azure may not end the final record.
        if (isCompleteJson(tail.toString("utf8")) || closed) {
          if (!isCompleteJson(tail.toString("utf8"))) {
            rejections.reject({
              file,
              line: lineCount + 1,
              field: "(record)",
              reason: `truncated last line (${tail.length} bytes) in a blob whose hour is closed`,
            });
          } else handleLine(tail, lineCount + 1);
          toOffset += tail.length;
          lineCount += 1;
          pendingBytes = 0;
        }
      }
      const blobEtag = download.etag ?? etag;
      const next: BlobCursor = {
        offset: toOffset,
        blobEtag,
        blobSize: toOffset + pendingBytes,
        lines: lineCount,
      };
      result.records += records;
      result.blobsRead.push({ container, name: item.name, fromOffset, toOffset, records, pendingBytes });
      pendingCommits.push(async () => void (await deps.cursors.set(key, next, stored?.version)));
    }
  }

  return {
    ...result,
    commit: () =>
      commitAll(
        pendingCommits,
        (err) => (err instanceof BlobCursorConflictError ? err.blobKey : undefined),
        (keys) => new BlobCursorConflictError(keys),
      ),
  };
}
