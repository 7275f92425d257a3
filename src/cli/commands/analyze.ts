import { systemClock, type Clock } from "../../clock.js";
import { InputError, readActivityEvents, scanStorageRequests } from "../../collect/files.js";
import { RejectionCollector } from "../../collect/rejections.js";
import { logsForWindow } from "../../collect/window-files.js";
import { releaseSkimAhead } from "../../collect/skim/skim-ahead-thread.js";
import { createRootCauseExplainer } from "../../correlate/index.js";
import { analyzeInParallel } from "../../engine/analyze-parallel.js";
import {
  cutsParts,
  defaultScanThreads,
  keepThreadFlags,
  readsAhead,
  releaseSpareScanThreads,
} from "../../engine/scan-threads.js";
import { analyze, withFilesOutsideWindow } from "../../engine/analyze.js";
import type { RootCauseExplainer } from "../../engine/contracts.js";
import type { ActivityEvent } from "../../model/activity.js";
import { inputHealth } from "../../engine/input-health.js";
import type { AnalysisResult } from "../../engine/analyze.js";
import { writeReport } from "../../report/index.js";
import { fullGarbageCollection } from "../../collect-garbage.js";
import { EXIT_OK, EXIT_USAGE, UsageError, type CliCommand, type CliIo } from "../command.js";
import { parseAnalyzeArgs, type AnalyzeArgs } from "./analyze-options.js";
import { bytesNamed } from "./analyze-prestart.js";
import type { RemoteSourceDeps } from "./analyze-remote.js";

const HELP = `auth-triage analyze: cluster Azure Storage 401/403 failures into incidents, each with a verdict,
what to do, and the wrong fix to avoid.

Usage:
  auth-triage analyze --logs PATH... [--activity PATH...] [--from ISO] [--to ISO]
                      [--format text|markdown|json] [--threads N]
  auth-triage analyze --workspace ID [--workspace ID...] [--since DURATION] [--cloud CLOUD]
                      [--activity PATH...] [--format …]
  auth-triage analyze --archive-account URL [--since DURATION] [--activity PATH...] [--format …]
  auth-triage analyze --classic-account URL [--classic-account URL...] [--since DURATION]
                      [--activity PATH...] [--format …]

Inputs (files or directories, read recursively; .gz accepted; the format is detected):
  --logs PATH...      Storage resource logs: Log Analytics exports of StorageBlobLogs, StorageQueueLogs,
                      StorageTableLogs or StorageFileLogs (JSON array, NDJSON, CSV or TSV with a
                      header row, Logs API JSON), diagnostic-setting archives (PT1H.json JSON Lines
                      under insights-logs-storageread|storagewrite|storagedelete/...; pretty-printed
                      records, e.g. saved with jq ., are read too), Event Hubs event bodies
                      ({"records": [...]}, one per line or pretty-printed) and Event Hubs Capture
                      files (.avro), or classic Storage Analytics logs (1.0/2.0 lines, a downloaded
                      $logs tree). UTF-8, or UTF-16 with a byte order mark. A zip, Excel, Parquet or
                      other archive is refused by name, saying what to give instead. Repeat the flag
                      or list several paths after it. Required.
  --workspace ID      Query Log Analytics instead: the workspace's Workspace ID (a GUID). Repeat for
                      several workspaces. Failures are summarised inside Log Analytics; AzureActivity
                      and root-cause evidence are read from the same workspaces. Needs Log Analytics
                      Reader; signs in with DefaultAzureCredential (az login, managed identity…).
  --cloud CLOUD       public (default), china or usgov: the Logs API endpoint and token scope.
  --archive-account URL
                      Read diagnostic-setting archives (PT1H.json blobs in insights-logs-storage*)
                      from this storage account's blob endpoint. Needs Storage Blob Data Reader.
  --classic-account URL
                      Read classic Storage Analytics logs (the $logs container) of this account's
                      blob endpoint; repeat for several accounts. Needs Storage Blob Data Reader on
                      each. Lines carry a request status, not the error code: see docs/inputs.md.
  --since DURATION    With --workspace, --archive-account or --classic-account: the last DURATION
                      (default 1h; e.g. 30m, 6h, 1d, PT2H), ending a minute ago. See
                      docs/log-analytics.md.
  --activity PATH...  AzureActivity exports (JSON, NDJSON, CSV), archived activity logs
                      (insights-activity-logs) or their Event Hubs Capture files, what
                      'az monitor activity-log list' prints or
                      'Get-AzActivityLog | ConvertTo-Json -Depth 5', used to name the change behind
                      each incident.

Window:
  --from ISO          Analyse only requests at or after this time, e.g. 2026-11-20T09:00:00Z.
  --to ISO            Analyse only requests at or before this time. A date-time without a zone is UTC;
                      a date alone means midnight UTC. Without --from/--to the window is the span of
                      the data; rows outside the window are counted as "outside the window". With a
                      window, files whose path names an hour (an archive's y=/m=/d=/h=, $logs',
                      Event Hubs Capture's) are read only for the window's hours and the hour after
                      it, and an archive's other days are not even listed; both are counted.

Speed:
  --threads N         With --logs: scan on N threads (default: the cores this process may use, up to
                      2, the second for input of 64 MB or more). 1 reads in one pass. 2: one pass,
                      the second thread reading the files and skimming their success rows a window
                      ahead (some 10 MB more). 3 or more: the input is cut into parts of equal work
                      (a 401/403 costs some eight times a success), uncompressed JSON Lines files at
                      line breaks, other files whole; each thread keeps its own capped summaries,
                      merged before incidents are built, so memory grows with N (some 20-30 MB a
                      thread), not with the input.

Output:
  --format FORMAT     text (default): a report to paste into a ticket.
                      markdown: the same for chat; log-derived text is escaped.
                      json: exactly one JSON object: window, input {rows, failures, rejected,
                      rejectedSamples, outsideWindow, filesOutsideWindow, dayFoldersOutsideWindow,
                      clusters, activityEvents, dataSpan}, incidents [...],
                      generatedAt, and summarised when a memory cap was reached; streamed.
  -h, --help          Show this help.

Memory is bounded by caps (5,000 clusters, 500 incidents listed, 10,000 callers as evidence); what
goes past a cap is counted exactly and the report says what was summarised (docs/cli.md).

Incidents group the failures that share (account, HTTP status, error code, authentication type) and are
listed most severe first. Records that fail validation are counted and listed (file, line, field,
reason), never silently dropped; they do not stop the run. SAS signatures and other secrets are never
printed. Progress is shown on stderr when stderr is a terminal.

Exit status: 0 on success (incidents or not, and when every row falls outside --from/--to: the report
says where the data is); 2 on a usage error or an unreadable input, with a message saying what to fix,
including an input of which nothing could be read (every record rejected, or no record in --logs: the
report still lists the rejected records).

Examples:
  auth-triage analyze --logs samples/logs --activity samples/activity
  auth-triage analyze --logs export.csv --from 2026-11-20T09:00Z --to 2026-11-20T10:00Z --format json
`;

/** Dependencies a caller may inject (tests); the root-cause stage defaults to createRootCauseExplainer. */
export interface AnalyzeCommandDeps {
  clock?: Clock;
  explainer?: () => RootCauseExplainer | undefined;
  /** Credential, endpoints and client hooks for --workspace / --archive-account (tests). */
  remote?: RemoteSourceDeps;
}

function progressReporter(
  io: CliIo,
): ((p: { file: string; bytes: number; totalBytes: number }) => void) | undefined {
  if (!io.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    const pct = p.totalBytes > 0 ? Math.min(100, Math.round((100 * p.bytes) / p.totalBytes)) : 0;
    const mb = (n: number) => (n / 1_048_576).toFixed(1);
    const name = p.file.length > 60 ? "…" + p.file.slice(-59) : p.file;
    io.stderr.write(`\r\u001b[2Kreading ${name} ${pct}% (${mb(p.bytes)} of ${mb(p.totalBytes)} MB)`);
  };
}

export async function runAnalyze(
  args: AnalyzeArgs,
  io: CliIo,
  deps: AnalyzeCommandDeps = {},
): Promise<number> {
  const rejections = new RejectionCollector();
  const onProgress = progressReporter(io);
  try {
    const activity: ActivityEvent[] = [];
    if (args.activity.length) {
      for await (const e of readActivityEvents(args.activity, { rejections })) activity.push(e);
    }
    const window: { from?: Date; to?: Date } = {};
    if (args.from) window.from = args.from;
    if (args.to) window.to = args.to;
    const clock = deps.clock ?? systemClock;
    if (args.workspaces || args.archiveAccount || args.classicAccounts) {
      // Loaded only for a remote source: its clients and queries were 28 of the 212 modules a local
      // analyze loaded, and 35 of its 170 ms.
      const { analyzeArchiveAccount, analyzeClassicAccounts, analyzeWorkspaces } =
        await import("./analyze-remote.js");
      const result = args.classicAccounts
        ? await analyzeClassicAccounts(
            { ...args, classicAccounts: args.classicAccounts },
            activity,
            clock,
            rejections,
            deps.remote,
          )
        : args.workspaces
          ? await analyzeWorkspaces(
              { ...args, workspaces: args.workspaces },
              activity,
              clock,
              rejections,
              deps.remote,
            )
          : await analyzeArchiveAccount(
              { ...args, archiveAccount: args.archiveAccount! },
              activity,
              clock,
              rejections,
              deps.remote,
            );
      writeReport(result, args.format, io.stdout);
      return exitStatusOf(result, io, false);
    }
    // Files whose path names an hour that cannot hold the window's requests are not read.
    const { files: logs, outside } = await logsForWindow(args.logs, window);
    const threads = args.threads ?? defaultScanThreads();
    // An injected root-cause stage sees every row in one pass; the parallel scan uses the default one.
    const parallel =
      cutsParts(threads) && !deps.explainer && logs.length > 0
        ? await analyzeInParallel({
            paths: logs,
            threads,
            activity,
            window,
            clock,
            rejections,
            ...(onProgress
              ? {
                  onPlanned: (parts: number, bytes: number) =>
                    io.stderr.write(`reading ${(bytes / 1_048_576).toFixed(1)} MB on ${parts} threads…`),
                }
              : {}),
          })
        : undefined;
    if (parallel) {
      if (onProgress) io.stderr.write("\r\u001b[2K");
      const result = withFilesOutsideWindow(parallel, outside);
      writeReport(result, args.format, io.stdout);
      return exitStatusOf(result, io, true);
    }
    // One pass: the scan threads started ahead (analyze-prestart.ts), if any, are not needed; on two
    // threads, the second reads ahead.
    const skimAhead = readsAhead(threads, bytesNamed(logs), args.threads !== undefined);
    if (skimAhead) keepThreadFlags();
    else releaseSkimAhead();
    releaseSpareScanThreads();
    // Root causes from the logs alone (log-seen changes, clock skew) need no activity: always explain.
    const explainer = deps.explainer ? deps.explainer() : createRootCauseExplainer({ clock });
    // One pass only: a parallel analyze peaks while its threads scan, and collecting after it lowered
    // nothing (149-151 MB with and without on two threads, 199-206 MB on four) for some 30 ms.
    const afterScan = fullGarbageCollection();
    const result = await analyze({
      // Each request goes to the engine as it is read; of rows that are not 401/403 the engine reads
      // only a few fields (issue 13).
      requests: (observer) =>
        logs.length === 0
          ? Promise.resolve()
          : scanStorageRequests(
              logs,
              {
                rejections,
                ...(onProgress ? { onProgress } : {}),
                ...(skimAhead ? { skimAhead } : {}),
              },
              observer,
            ),
      activity,
      window,
      clock,
      rejections,
      ...(explainer ? { explainer } : {}),
      ...(afterScan ? { afterScan } : {}),
    });
    if (onProgress) io.stderr.write("\r\u001b[2K");
    const reported = withFilesOutsideWindow(result, outside);
    writeReport(reported, args.format, io.stdout);
    return exitStatusOf(reported, io, true);
  } catch (err) {
    if (onProgress) io.stderr.write("\r\u001b[2K");
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  } finally {
    releaseSpareScanThreads();
    releaseSkimAhead();
  }
}

/**
 * 2 when nothing could be read (every record rejected; with --logs, also no record at all): the report
 * still lists the rejections, and stderr says so in one line for scripts and people alike.
 */
function exitStatusOf(result: AnalysisResult, io: CliIo, files: boolean): number {
  const health = inputHealth({ ...result.input, window: result.window });
  if (health.kind === "nothing-read") {
    io.stderr.write(
      `auth-triage analyze: nothing could be read: all ${health.rejected} record(s) were rejected (see the report)\n`,
    );
    return EXIT_USAGE;
  }
  if (health.kind === "empty" && files) {
    io.stderr.write("auth-triage analyze: nothing could be read: no Storage log records in --logs\n");
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

export function analyzeCommand(deps: AnalyzeCommandDeps = {}): CliCommand {
  return {
    name: "analyze",
    summary: "Cluster 401/403 failures in Storage logs into incidents with verdicts and guidance",
    help: HELP,
    run: (argv, io) => runAnalyze(parseAnalyzeArgs(argv), io, deps),
  };
}

export default analyzeCommand();
