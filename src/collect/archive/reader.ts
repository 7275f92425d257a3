import type { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import { type BlobReadSummary, blobFile } from "../blob-window.js";
import { type BlobRequestReadResult, readBlobRequests } from "../blob-requests.js";
import type { Clock } from "../../clock.js";
import type { RecordObserver, RejectionSink } from "../../engine/contracts.js";
import type { TokenCredential } from "../loganalytics/client.js";
import type { BlobCursorStore } from "./cursor.js";
import { ARCHIVE_LAYOUT, STORAGE_LOG_CONTAINERS } from "./paths.js";
import { parseArchiveLine } from "./record.js";
import { blobWindowSettingsShape, parseSourceSettings } from "../settings-parse.js";

/**
 * Reads Storage diagnostic logs archived to a storage account: new and grown `PT1H.json` blobs of the
 * insights-logs-storage* containers, each from where the previous run stopped (BlobCursorStore). Only the
 * hours of the window are listed, and blobs download in parallel (bounded): see ../blob-window.ts. Only
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
    ...blobWindowSettingsShape,
  })
  .strict()
  .refine((s) => (s.accountUrl === undefined) !== (s.connectionString === undefined), {
    message: "give exactly one of accountUrl (managed identity) or connectionString (Azurite/local)",
  });

export type ArchiveSettings = z.output<typeof ArchiveSettingsSchema>;

export function parseArchiveSettings(input: unknown): ArchiveSettings {
  return parseSourceSettings(ArchiveSettingsSchema, input, "archive");
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

export type { BlobReadSummary };

export type ArchiveReadResult = BlobRequestReadResult;

export async function createBlobServiceClient(
  settings: ArchiveSettings,
  credential?: TokenCredential,
): Promise<BlobServiceClient> {
  const { BlobServiceClient } = await import("@azure/storage-blob");
  if (settings.connectionString) return BlobServiceClient.fromConnectionString(settings.connectionString);
  const tokenCredential = credential ?? new (await import("@azure/identity")).DefaultAzureCredential();
  return new BlobServiceClient(settings.accountUrl!, tokenCredential);
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
  const targets = settings.containers.map((name) => ({
    accountName: service.accountName,
    container: service.getContainerClient(name),
  }));
  return readBlobRequests(
    targets,
    ARCHIVE_LAYOUT,
    {
      ...options,
      closedAfterHours: settings.closedAfterHours,
      listConcurrency: settings.listConcurrency,
      downloadConcurrency: settings.downloadConcurrency,
      isCompleteLastLine: (tail) => isCompleteJson(tail.toString("utf8")),
      fileOf: blobFile,
      parseLine: parseArchiveLine,
    },
    deps,
  );
}
