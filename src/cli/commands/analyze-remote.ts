import type { Clock } from "../../clock.js";
import { InMemoryBlobCursorStore } from "../../collect/archive/cursor.js";
import { parseArchiveSettings } from "../../collect/archive/reader.js";
import type { LogsClientHooks, TokenCredential } from "../../collect/loganalytics/client.js";
import {
  parseLogAnalyticsSettings,
  type LogAnalyticsSettingsInput,
} from "../../collect/loganalytics/settings.js";
import { InMemoryWatermarkStore } from "../../collect/loganalytics/watermark.js";
import type { RejectionCollector } from "../../collect/rejections.js";
import { parseClassicSettings } from "../../collect/classic-source.js";
import { analyzeArchive } from "../../engine/analyze-archive.js";
import { analyzeClassic } from "../../engine/analyze-classic.js";
import { analyzeLogAnalytics } from "../../engine/analyze-log-analytics.js";
import type { AnalysisResult } from "../../engine/analyze.js";
import type { BlobAnalysisOptions } from "../../engine/blob-analysis.js";
import type { ActivityEvent } from "../../model/activity.js";
import { UsageError } from "../command.js";
import type { AnalyzeArgs } from "./analyze-options.js";

/**
 * `auth-triage analyze --workspace …` and `--archive-account …`: the production sources behind the same
 * report as file input. One-off runs: no watermark or cursor is kept, the window is the last `--since`.
 */
export const DEFAULT_SINCE_MS = 3_600_000;

/** Test and advanced hooks: where the sources are and how to authenticate (default: DefaultAzureCredential). */
export interface RemoteSourceDeps {
  credential?: TokenCredential;
  /** Overrides of the Log Analytics settings (endpoint, retries…). */
  logAnalytics?: Partial<LogAnalyticsSettingsInput>;
  logsClientHooks?: LogsClientHooks;
}

/** Settle margin: rows ingested in the last minute may not be visible yet. */
const SETTLE_MS = 60_000;

export async function analyzeWorkspaces(
  args: AnalyzeArgs & { workspaces: string[] },
  fileActivity: readonly ActivityEvent[],
  clock: Clock,
  rejections: RejectionCollector,
  deps: RemoteSourceDeps = {},
): Promise<AnalysisResult> {
  let settings;
  try {
    settings = parseLogAnalyticsSettings({
      workspaceIds: args.workspaces,
      ...(args.cloud ? { cloud: args.cloud } : {}),
      ...deps.logAnalytics,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const sinceMs = args.sinceMs ?? DEFAULT_SINCE_MS;
  // A one-off window in TimeGenerated terms: rows generated in the last --since are ingested after its
  // start too, so the ingestion bound and the TimeGenerated bound coincide.
  const { result } = await analyzeLogAnalytics(settings, {
    clock,
    watermarks: new InMemoryWatermarkStore(),
    ...(deps.credential ? { credential: deps.credential } : {}),
    ...(deps.logsClientHooks ? { clientHooks: deps.logsClientHooks } : {}),
    windowPolicy: {
      settleMs: SETTLE_MS,
      maxIngestionDelayMs: 0,
      initialLookbackMs: sinceMs,
      maxCatchUpMs: sinceMs,
    },
    rejections,
    extraActivity: fileActivity,
  });
  return result;
}

/** A connection string (Azurite, key-based local use) rather than an account's blob endpoint (managed identity). */
const CONNECTION_STRING_RE = /(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)=/i;

/** Settings parsed from command-line values; on any problem, the usage error to show instead. */
function settingsOrUsage<S>(parse: () => S, usage: string): S {
  try {
    return parse();
  } catch {
    throw new UsageError(usage);
  }
}

/**
 * A one-off run over blobs: the window is the last `--since` and nothing is remembered, so every blob of
 * the window is read from the start and records logged before it are dropped.
 */
function oneOffBlobRun<S>(
  settings: S,
  args: AnalyzeArgs,
  activity: readonly ActivityEvent[],
  clock: Clock,
  rejections: RejectionCollector,
  deps: RemoteSourceDeps,
): BlobAnalysisOptions<S> {
  const nowMs = clock.now().getTime();
  return {
    settings,
    window: { fromMs: nowMs - (args.sinceMs ?? DEFAULT_SINCE_MS), toMs: nowMs },
    cursors: new InMemoryBlobCursorStore(),
    dropRecordsBeforeWindow: true,
    extraActivity: activity,
    clock,
    rejections,
    ...(deps.credential ? { credential: deps.credential } : {}),
  };
}

export async function analyzeArchiveAccount(
  args: AnalyzeArgs & { archiveAccount: string },
  activity: readonly ActivityEvent[],
  clock: Clock,
  rejections: RejectionCollector,
  deps: RemoteSourceDeps = {},
): Promise<AnalysisResult> {
  const target = args.archiveAccount;
  const settings = settingsOrUsage(
    () =>
      parseArchiveSettings(
        CONNECTION_STRING_RE.test(target) ? { connectionString: target } : { accountUrl: target },
      ),
    "--archive-account: give the account's blob endpoint URL, e.g. https://contosologs.blob.core.windows.net",
  );
  const { result } = await analyzeArchive(oneOffBlobRun(settings, args, activity, clock, rejections, deps));
  return result;
}

/** `--classic-account URL...`: the `$logs` container of each account, the last `--since`. */
export async function analyzeClassicAccounts(
  args: AnalyzeArgs & { classicAccounts: string[] },
  activity: readonly ActivityEvent[],
  clock: Clock,
  rejections: RejectionCollector,
  deps: RemoteSourceDeps = {},
): Promise<AnalysisResult> {
  const settings = settingsOrUsage(
    () =>
      parseClassicSettings({
        accountUrls: args.classicAccounts.filter((a) => !CONNECTION_STRING_RE.test(a)),
        connectionStrings: args.classicAccounts.filter((a) => CONNECTION_STRING_RE.test(a)),
      }),
    "--classic-account: give each logged account's blob endpoint URL, e.g. https://contoso.blob.core.windows.net",
  );
  const { result } = await analyzeClassic(oneOffBlobRun(settings, args, activity, clock, rejections, deps));
  return result;
}
