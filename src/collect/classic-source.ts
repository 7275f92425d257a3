import type { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { RecordObserver, RejectionSink } from "../engine/contracts.js";
import type { BlobCursorStore } from "./archive/cursor.js";
import {
  type BlobReadSummary,
  type BlobWindowLayout,
  type BlobWindowTarget,
  blobFile,
  readWindowedBlobs,
  utcParts,
} from "./blob-window.js";
import {
  classicFieldName,
  isWholeClassicLine,
  splitClassicLine,
  storageRequestFromClassicFields,
} from "./classic-log.js";
import type { TokenCredential } from "./loganalytics/client.js";

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
  const m = CLASSIC_BLOB.exec(name);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
  return Number.isNaN(ms) ? undefined : ms;
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
};

export const ClassicSettingsSchema = z
  .object({
    /** Blob endpoints of the logged accounts, e.g. https://contoso.blob.core.windows.net (managed identity). */
    accountUrls: z.array(z.string().url()).default([]),
    /** For Azurite or key-based local use; never logged. */
    connectionStrings: z.array(z.string().min(1)).default([]),
    /** A blob whose hour started more than this long ago no longer grows; a partial last line there is truncated. */
    closedAfterHours: z.number().int().min(1).max(48).default(3),
    listConcurrency: z.number().int().min(1).max(64).default(8),
    downloadConcurrency: z.number().int().min(1).max(64).default(8),
  })
  .strict()
  .refine((s) => s.accountUrls.length + s.connectionStrings.length > 0, {
    message: "give at least one account: accountUrls (managed identity) or connectionStrings (Azurite/local)",
  });

export type ClassicSettings = z.output<typeof ClassicSettingsSchema>;

export function parseClassicSettings(input: unknown): ClassicSettings {
  const parsed = ClassicSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`);
    throw new Error(`invalid classic logs settings:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
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

export interface ClassicReadResult {
  accounts: number;
  blobsListed: number;
  blobsRead: BlobReadSummary[];
  records: number;
  rejected: number;
  droppedBeforeSince: number;
  listCalls: number;
  bytesRead: number;
  /** Advances the blob cursors (conditional on the versions read); call after the records were used. */
  commit(): Promise<void>;
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

export async function readClassicLogs(
  settings: ClassicSettings,
  options: ClassicReadOptions,
  deps: ClassicReadDeps,
  clients?: readonly BlobServiceClient[],
): Promise<ClassicReadResult> {
  const services = clients ?? (await createClassicClients(settings, deps.credential));
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
  const targets: BlobWindowTarget[] = services.map((service) => ({
    accountName: service.accountName,
    container: service.getContainerClient(CLASSIC_LOGS_CONTAINER),
  }));
  const read = await readWindowedBlobs(
    targets,
    CLASSIC_LAYOUT,
    {
      window: { fromMs: options.sinceMs, toMs: Math.max(options.sinceMs, deps.clock.now().getTime()) },
      closedAfterHours: settings.closedAfterHours,
      listConcurrency: settings.listConcurrency,
      downloadConcurrency: settings.downloadConcurrency,
      isCompleteLastLine: isCompleteClassicLine,
    },
    { clock: deps.clock, cursors: deps.cursors, rejections },
    (blob, bytes, lineNumber) => {
      if (bytes.length === 0) return false;
      // Rejections name the account too: several accounts share the `$logs/…` blob names.
      const file = `${blob.target.accountName}/${blobFile(blob)}`;
      const at = { file, line: lineNumber };
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        rejections.reject({ ...at, field: "(record)", reason: "not valid UTF-8" });
        return false;
      }
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === "") return false;
      const fields = splitClassicLine(text);
      if (!Array.isArray(fields)) {
        rejections.reject({ ...at, field: classicFieldName(fields.field), reason: fields.problem });
        return false;
      }
      const request = storageRequestFromClassicFields(fields, at, rejections);
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
    accounts: targets.length,
    blobsListed: read.blobsListed,
    blobsRead: read.blobsRead,
    records,
    rejected,
    droppedBeforeSince,
    listCalls: read.listCalls,
    bytesRead: read.bytesRead,
    commit: read.commit,
  };
}
