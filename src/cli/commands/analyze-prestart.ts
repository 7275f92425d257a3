import { statSync } from "node:fs";
import { MIN_PART_WORK, mayMakeParts } from "../../collect/scan-work.js";
import {
  defaultScanThreads,
  DEFAULT_THREADS_MIN_PART_WORK,
  prestartScanThreads,
} from "../../engine/scan-threads.js";
import { parseAnalyzeFlags, parseThreads } from "./analyze-flags.js";

/**
 * Starts the scan threads `auth-triage analyze` is likely to cut its input for, before the CLI loads
 * the engine: the threads' isolates and modules then load beside the main thread's. A guess from the
 * flags and the sizes of the paths named; the plan decides, and releases what it does not use. Flags
 * that do not parse start nothing: the command reports them.
 */
export function prestartAnalyzeScanThreads(argv: readonly string[]): void {
  const count = scanThreadsToPrestart(argv);
  if (count > 0) prestartScanThreads(count);
}

/** How many scan threads to start ahead for `auth-triage analyze argv`: none unless it may cut parts. */
export function scanThreadsToPrestart(argv: readonly string[]): number {
  let flags: ReturnType<typeof parseAnalyzeFlags>;
  let threads: number;
  try {
    flags = parseAnalyzeFlags([...argv]);
    threads = flags.values.threads === undefined ? defaultScanThreads() : parseThreads(flags.values.threads);
  } catch {
    return 0;
  }
  const { values, lists } = flags;
  if (lists.logs.length === 0 || values.workspace || values["archive-account"] || values["classic-account"])
    return 0;
  const minPartWork = values.threads === undefined ? DEFAULT_THREADS_MIN_PART_WORK : MIN_PART_WORK;
  return mayMakeParts(bytesNamed(lists.logs), threads, minPartWork) ? threads - 1 : 0;
}

/**
 * The bytes of the files named; a directory counts as large enough (a tree of hourly files is planned
 * from its files, and listing it here would list it twice), a path that cannot be read as nothing.
 */
function bytesNamed(paths: readonly string[]): number {
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
