import { hourOfBlob } from "./archive/paths.js";
import { DAY_MS, HOUR_MS, utcOfParts } from "./blob-window.js";
import { hourOfClassicBlob } from "./classic-source.js";
import { expandInputPaths } from "./input-files.js";

/**
 * The local files of an archive that may hold a window's requests, told by the hour their path names: a
 * diagnostic-setting archive (`…/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`), classic `$logs`
 * (`…/YYYY/MM/DD/hhmm/NNNNNN.log`) or Event Hubs Capture (`…/YYYY/MM/DD/HH/mm/ss.avro`), downloaded with
 * azcopy or Storage Explorer. Months of archive are thousands of such files; an incident's window is a
 * few of them, so the rest are not read (as the `--archive-account` source lists only the window's
 * hours), and an archive's day folders outside the window are not even listed. A file whose path names
 * no hour is read.
 *
 * A record lands in the file of the hour it was received, not generated (storage-logs.md §2), a few
 * minutes and at most about an hour later: the file of the hour after the window is read too.
 */
export const LATE_RECORD_MS = HOUR_MS;

/** What was not read for its time: files by their hour, an archive's day folders, and their span. */
export interface FilesOutsideWindow {
  /** Files listed and not read. */
  files: number;
  /** An archive's day folders (`…/y=YYYY/m=MM/d=DD/`) not even listed; 0 when none. */
  dayFolders: number;
  /** From the start of the first such hour or day to the end of the last (epoch ms). */
  fromMs: number;
  toMs: number;
}

export interface WindowFiles {
  /** The files to read, in the order given. */
  files: string[];
  /** Absent when every file is read. */
  outside?: FilesOutsideWindow;
}

/**
 * An Event Hubs Capture file, named by Capture's default `{Namespace}/{EventHub}/{PartitionId}/{Year}/
 * {Month}/{Day}/{Hour}/{Minute}/{Second}`: it holds what was enqueued from that time, for a capture
 * window of at most 15 minutes, and a record is enqueued minutes after its request, as it is received
 * into an archive's hour.
 */
const CAPTURE_FILE = /\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/\d{2}\/\d{2}\.avro$/i;

function hourOfCaptureFile(name: string): number | undefined {
  return utcOfParts(CAPTURE_FILE.exec(name));
}

/** The start of the hour a log file covers by its path (either separator), or undefined. */
export function hourOfLogPath(path: string): number | undefined {
  const name = path.replaceAll("\\", "/");
  return hourOfBlob(name) ?? hourOfClassicBlob(name) ?? hourOfCaptureFile(name);
}

/**
 * Whether what was received in [startMs, startMs + lengthMs) (an hour's file, a day's folder) may hold
 * requests of [fromMs, toMs]: generated before its end, and at most LATE_RECORD_MS before its start.
 */
export function receivedMayHoldWindow(
  startMs: number,
  lengthMs: number,
  window: { fromMs: number; toMs: number },
): boolean {
  return startMs + lengthMs > window.fromMs && startMs <= window.toMs + LATE_RECORD_MS;
}

/**
 * `files` (expanded input paths) without those whose hour cannot hold a request of the window; what
 * is left out adds to `outside` (what the listing left out, if anything).
 */
export function filesForWindow(
  files: readonly string[],
  window: { fromMs: number; toMs: number },
  outside?: FilesOutsideWindow,
): WindowFiles {
  const kept: string[] = [];
  for (const file of files) {
    const hourMs = hourOfLogPath(file);
    if (hourMs === undefined || receivedMayHoldWindow(hourMs, HOUR_MS, window)) {
      kept.push(file);
      continue;
    }
    outside = spanning(outside, hourMs, hourMs + HOUR_MS);
    outside.files++;
  }
  return outside ? { files: kept, outside } : { files: kept };
}

function spanning(o: FilesOutsideWindow | undefined, fromMs: number, toMs: number): FilesOutsideWindow {
  if (!o) return { files: 0, dayFolders: 0, fromMs, toMs };
  o.fromMs = Math.min(o.fromMs, fromMs);
  o.toMs = Math.max(o.toMs, toMs);
  return o;
}

/** An archive's day folder: `…/y=YYYY/m=MM/d=DD` (either separator). */
const DAY_FOLDER = /[/\\]y=(\d{4})[/\\]m=(\d{2})[/\\]d=(\d{2})$/;

/** The start of the day an archive's day folder holds, or undefined for any other directory. */
function dayOfFolder(path: string): number | undefined {
  return utcOfParts(DAY_FOLDER.exec(path));
}

/**
 * The files to read under `paths` for the window: every file, unexpanded, when there is no window;
 * else the expanded files whose hour may hold its requests.
 */
export async function logsForWindow(
  paths: readonly string[],
  window: { from?: Date; to?: Date },
): Promise<WindowFiles> {
  if (!window.from && !window.to) return { files: [...paths] };
  const ms = {
    fromMs: window.from?.getTime() ?? Number.NEGATIVE_INFINITY,
    toMs: window.to?.getTime() ?? Number.POSITIVE_INFINITY,
  };
  // An archive's day none of whose hours may hold the window's requests is not even listed: months of
  // archive cost their days' folders to list, not their hours'.
  let days: FilesOutsideWindow | undefined;
  const skipsDay = (dir: string): boolean => {
    const dayMs = dayOfFolder(dir);
    if (dayMs === undefined || receivedMayHoldWindow(dayMs, DAY_MS, ms)) return false;
    days = spanning(days, dayMs, dayMs + DAY_MS);
    days.dayFolders++;
    return true;
  };
  const listed = await expandInputPaths(paths, skipsDay);
  return filesForWindow(listed, ms, days);
}
