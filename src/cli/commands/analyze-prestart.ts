import { statSync } from "node:fs";
import { MIN_PART_WORK, mayMakeParts } from "../../collect/scan-work.js";
import { prestartSkimAhead } from "../../collect/skim/skim-ahead-thread.js";
import {
  cutsParts,
  defaultScanThreads,
  prestartScanThreads,
  readsAhead,
  setThreadFlags,
} from "../../engine/scan-threads.js";
import { parseAnalyzeFlags, parseThreads } from "./analyze-flags.js";

/**
 * Starts the threads `auth-triage analyze` is likely to use, before the CLI loads the engine: the
 * threads' isolates and modules then load beside the main thread's. A guess from the flags and the sizes
 * of the paths named; the run decides, and releases what it does not use. Flags that do not parse start
 * nothing: the command reports them.
 */
export function prestartAnalyzeScanThreads(argv: readonly string[]): void {
  if (readsAheadToPrestart(argv)) {
    setThreadFlags();
    prestartSkimAhead();
  }
  const count = scanThreadsToPrestart(argv);
  if (count > 0) prestartScanThreads(count);
}

/** How many scan threads to start ahead for `auth-triage analyze argv`: none unless it may cut parts. */
export function scanThreadsToPrestart(argv: readonly string[]): number {
  const local = localRunOf(argv);
  if (!local || !cutsParts(local.threads)) return 0;
  return mayMakeParts(local.bytes, local.threads, MIN_PART_WORK) ? local.threads - 1 : 0;
}

/** Whether to start the skim-ahead thread for `auth-triage analyze argv` (readsAhead). */
export function readsAheadToPrestart(argv: readonly string[]): boolean {
  const local = localRunOf(argv);
  return local !== undefined && readsAhead(local.threads, local.bytes, !local.defaultThreads);
}

/** The threads and bytes of an analyze of local files; undefined for other sources or flags refused. */
function localRunOf(
  argv: readonly string[],
): { threads: number; defaultThreads: boolean; bytes: number } | undefined {
  let flags: ReturnType<typeof parseAnalyzeFlags>;
  let threads: number;
  try {
    flags = parseAnalyzeFlags([...argv]);
    threads = flags.values.threads === undefined ? defaultScanThreads() : parseThreads(flags.values.threads);
  } catch {
    return undefined;
  }
  const { values, lists } = flags;
  if (lists.logs.length === 0 || values.workspace || values["archive-account"] || values["classic-account"])
    return undefined;
  return { threads, defaultThreads: values.threads === undefined, bytes: bytesNamed(lists.logs) };
}

/**
 * The bytes of the files named; a directory counts as large enough (a tree of hourly files is planned
 * from its files, and listing it here would list it twice), a path that cannot be read as nothing.
 */
export function bytesNamed(paths: readonly string[]): number {
  let total = 0;
  for (const path of paths) {
    try {
      const stat = statSync(path);
      if (stat.isDirectory()) return Number.POSITIVE_INFINITY;
      if (stat.isFile()) total += stat.size;
    } catch {
      // The command reports it.
    }
  }
  return total;
}
