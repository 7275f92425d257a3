import type { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { RecordObserver, RejectionSink } from "../engine/contracts.js";
import type { BlobCursorStore } from "./archive/cursor.js";
import {
  type BlobWindowLayout,
  type BlobWindowTarget,
  blobFile,
  utcOfParts,
  utcParts,
} from "./blob-window.js";
import { type BlobRequestReadResult, readBlobRequests } from "./blob-requests.js";
import {
  classicFieldName,
  isWholeClassicLine,
  splitClassicLine,
  storageRequestFromClassicFields,
} from "./classic-log.js";
import type { TokenCredential } from "./loganalytics/client.js";
import type { RecordLocation } from "./record-location.js";
import type { StorageRequest } from "../model/storage-request.js";
import { blobWindowSettingsShape, parseSourceSettings } from "./settings-parse.js";

/**
 * The classic-logs source: the `$logs` container of one or more storage accounts (Storage Analytics
 * logging), read with the managed identity (Storage Blob Data Reader on each account). Only the hours of
 * the window are listed, blobs download in parallel (bounded) and each is read from its cursor, as the
 * archive source does (./blob-window.ts); lines are parsed by ./classic-log.ts.
 */
export const CLASSIC_LOGS_CONTAINER = "$logs";

const CLASSIC_BLOB = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\d{2}\/[^/]+\.log$/;

/** `blob/2024/05/01/1000/000000.log` → the hour it covers; undefined for anything else. */
export function hourOfClassicBlob(name: string): number | undefined {
  return utcOfParts(CLASSIC_BLOB.exec(name));
}

/** `$logs` layout: roots `blob/`, `queue/`, `table/`; below them `YYYY/MM/DD/hhmm/NNNNNN.log`. */
export const CLASSIC_LAYOUT: BlobWindowLayout = {
  isTimeSegment: (segment) => /^\d{4}\/$/.test(segment),
  // `hh` without the minutes: Storage Analytics writes `hh00`, and the prefix covers any minute folder.
  hourPrefix: (hourMs) => {
    const { y, m, d, h } = utcParts(hourMs);
    return `${y}/${m}/${d}/${h}`;
  },
  dayPrefix: (dayMs) => {
    const { y, m, d } = utcParts(dayMs);
    return `${y}/${m}/${d}/`;
  },
  hourOf: hourOfClassicBlob,
  // Each account keeps its own `$logs`.
  accountOf: (blob) => blob.target.accountName.toLowerCase(),
};

export const ClassicSettingsSchema = z
  .object({
    /** Blob endpoints of the logged accounts, e.g. https://contoso.blob.core.windows.net (managed identity). */
    accountUrls: z.array(z.string().url()).default([]),
    /** For Azurite or key-based local use; never logged. */
    connectionStrings: z.array(z.string().min(1)).default([]),
    ...blobWindowSettingsShape,
  })
  .strict()
  .refine((s) => s.accountUrls.length + s.connectionStrings.length > 0, {
    message: "give at least one account: accountUrls (managed identity) or connectionStrings (Azurite/local)",
  });

export type ClassicSettings = z.output<typeof ClassicSettingsSchema>;

export function parseClassicSettings(input: unknown): ClassicSettings {
  return parseSourceSettings(ClassicSettingsSchema, input, "classic logs");
}

export interface ClassicReadDeps {
  clock: Clock;
  cursors: BlobCursorStore;
  observer: RecordObserver;
  rejections: RejectionSink;
  /** Defaults to DefaultAzureCredential for `accountUrls`. */
  credential?: TokenCredential;
}

export interface ClassicReadOptions {
  sinceMs: number;
  /** Also drop lines logged before `sinceMs` (one-off CLI runs); the timer relies on its cursors. */
  dropRecordsBeforeSince?: boolean;
}

export interface ClassicReadResult extends BlobRequestReadResult {
  accounts: number;
}

/** One client per logged account, in the order given (URLs, then connection strings). */
export async function createClassicClients(
  settings: ClassicSettings,
  credential?: TokenCredential,
): Promise<BlobServiceClient[]> {
  const { BlobServiceClient } = await import("@azure/storage-blob");
  const clients: BlobServiceClient[] = [];
  if (settings.accountUrls.length > 0) {
    const token = credential ?? new (await import("@azure/identity")).DefaultAzureCredential();
    for (const url of settings.accountUrls) clients.push(new BlobServiceClient(url, token));
  }
  for (const cs of settings.connectionStrings) clients.push(BlobServiceClient.fromConnectionString(cs));
  return clients;
}

/** A complete classic line has its version's field count; anything else may still be being written. */
function isCompleteClassicLine(tail: Buffer): boolean {
  const fields = splitClassicLine(tail.toString("utf8").replace(/\r$/, ""));
  return Array.isArray(fields) && isWholeClassicLine(fields);
}

/** One classic line (BOM stripped) → a request; field problems are rejected with the field's name. */
function parseClassicLine(text: string, at: RecordLocation, sink: RejectionSink): StorageRequest | undefined {
  const fields = splitClassicLine(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (!Array.isArray(fields)) {
    sink.reject({ ...at, field: classicFieldName(fields.field), reason: fields.problem });
    return undefined;
  }
  return storageRequestFromClassicFields(fields, at, sink);
}

export async function readClassicLogs(
  settings: ClassicSettings,
  options: ClassicReadOptions,
  deps: ClassicReadDeps,
  clients?: readonly BlobServiceClient[],
): Promise<ClassicReadResult> {
  const services = clients ?? (await createClassicClients(settings, deps.credential));
  const targets: BlobWindowTarget[] = services.map((service) => ({
    accountName: service.accountName,
    container: service.getContainerClient(CLASSIC_LOGS_CONTAINER),
  }));
  const read = await readBlobRequests(
    targets,
    CLASSIC_LAYOUT,
    {
      ...options,
      closedAfterHours: settings.closedAfterHours,
      listConcurrency: settings.listConcurrency,
      downloadConcurrency: settings.downloadConcurrency,
      isCompleteLastLine: isCompleteClassicLine,
      // Rejections name the account too: several accounts share the `$logs/…` blob names.
      fileOf: (blob) => `${blob.target.accountName}/${blobFile(blob)}`,
      parseLine: parseClassicLine,
    },
    deps,
  );
  return { accounts: targets.length, ...read };
}
