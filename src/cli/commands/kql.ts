import { parseArgs } from "node:util";
import { systemClock, type Clock } from "../../clock.js";
import { adxFailureClustersQuery, archiveExternalTableCommand } from "../../collect/adx/archive-kql.js";
import { DEFAULT_EVIDENCE_QUERY_CAPS, DEFAULT_PARTIAL_CAPS } from "../../collect/loganalytics/caps.js";
import { rootCauseEvidenceQuery } from "../../collect/loganalytics/evidence.js";
import { LogAnalyticsSettingsSchema } from "../../collect/loganalytics/settings.js";
import {
  accountsWithRowsQuery,
  activityChangesQuery,
  failureClustersQuery,
} from "../../collect/loganalytics/queries.js";
import { DEFAULT_WINDOW_POLICY } from "../../collect/loganalytics/window.js";

/** The evidence lookback the product uses by default (LogAnalyticsSettings.evidenceLookbackMinutes). */
const DEFAULT_EVIDENCE_LOOKBACK_MS =
  LogAnalyticsSettingsSchema.shape.evidenceLookbackMinutes.parse(undefined) * 60_000;
import { EXIT_OK, UsageError, type CliCommand, type CliIo } from "../command.js";
import { parseDuration } from "../duration.js";

const HELP = `auth-triage kql [--since DURATION] [--activity-lookback DURATION] [--account NAME]...
auth-triage kql --target adx --archive-account URL [--since DURATION]

Prints every query 'auth-triage analyze --workspace' and the timer send to Log Analytics, ready to
paste into the portal (Logs blade of the workspace); or, with --target adx, the same code-table query
for Azure Data Explorer over the archive container, with the external table definition. Nothing is
sent anywhere.

  --since DURATION              failures ingested (adx: generated) during this span, ending one
                                minute ago (default 1h; e.g. 30m, 2h, 1d, PT2H)
  --activity-lookback DURATION  AzureActivity read this far before the window (default 2h):
                                changes precede the failures they cause
  --account NAME                the root-cause evidence query for these accounts (repeatable),
                                as the product sends it; without it, a self-contained query that
                                finds the accounts with failures itself
  --target log-analytics|adx    where the queries run (default log-analytics)
  --archive-account URL         adx: the archive account's blob endpoint, for the external table
                                (access by your own identity: Storage Blob Data Reader; no key)

The first query summarises 401/403 failures of StorageBlobLogs, StorageQueueLogs, StorageTableLogs
and StorageFileLogs into one row per cluster (account, service, operation, status, error code,
authentication type), so its result grows with the number of clusters, not of failures. The window is
cut by ingestion_time(), as the timer does. The evidence query reads every request of the failing
accounts, keeps the busiest callers per challenge, and is sent in groups of accounts and halved when
an answer is too big; see docs/log-analytics.md, also for when to move to Azure Data Explorer. The
timer also counts the rows of each storage account in its window (--since, by TimeGenerated), to name
a listed account (TRIAGE_EXPECTED_ACCOUNTS) that sent no logs at all.`;

type Values = {
  since?: string;
  "activity-lookback"?: string;
  account?: string[];
  target?: string;
  "archive-account"?: string;
};

export function kqlCommand(clock: Clock = systemClock): CliCommand {
  return {
    name: "kql",
    summary: "Print every Log Analytics query (or the Azure Data Explorer one), ready to paste",
    help: HELP,
    async run(argv: string[], io: CliIo): Promise<number> {
      let values: Values;
      try {
        ({ values } = parseArgs({
          args: argv,
          options: {
            since: { type: "string" },
            "activity-lookback": { type: "string" },
            account: { type: "string", multiple: true },
            target: { type: "string" },
            "archive-account": { type: "string" },
          },
          strict: true,
          allowPositionals: false,
        }));
      } catch (err) {
        throw new UsageError(
          `${err instanceof Error ? err.message : String(err)}. Run 'auth-triage kql --help'.`,
        );
      }
      const target = values.target ?? "log-analytics";
      if (target !== "log-analytics" && target !== "adx")
        throw new UsageError(`--target: expected log-analytics or adx, got '${target}'`);
      const sinceMs = values.since === undefined ? 3_600_000 : parseDuration("since", values.since);
      const ingestedUntilMs = clock.now().getTime() - DEFAULT_WINDOW_POLICY.settleMs;
      const ingestedAfterMs = ingestedUntilMs - sinceMs;
      if (target === "adx") return printAdx(values, ingestedAfterMs, ingestedUntilMs, io);
      if (values["archive-account"] !== undefined)
        throw new UsageError("--archive-account goes with --target adx");
      const activityLookbackMs =
        values["activity-lookback"] === undefined
          ? 2 * 3_600_000
          : parseDuration("activity-lookback", values["activity-lookback"]);
      const window = {
        ingestedAfterMs,
        ingestedUntilMs,
        generatedAfterMs: ingestedAfterMs - DEFAULT_WINDOW_POLICY.maxIngestionDelayMs,
      };
      const accounts = (values.account ?? []).flatMap((a) => a.split(",")).map((a) => a.trim());
      if (accounts.some((a) => !/^[a-z0-9]{3,24}$/i.test(a)))
        throw new UsageError("--account: a storage account name is 3-24 letters and digits");
      io.stdout.write(`// 1. Storage 401/403 failures, summarised per cluster\n`);
      io.stdout.write(failureClustersQuery(window, DEFAULT_PARTIAL_CAPS) + "\n\n");
      io.stdout.write(`// 2. AzureActivity changes that may explain them\n`);
      io.stdout.write(
        activityChangesQuery(window.generatedAfterMs - activityLookbackMs, ingestedUntilMs) + "\n\n",
      );
      const evidenceFromMs = window.generatedAfterMs - DEFAULT_EVIDENCE_LOOKBACK_MS;
      io.stdout.write(
        `// 3. Root-cause evidence: every request of the failing accounts, busiest callers per challenge\n` +
          `//    (sent in groups of ${DEFAULT_EVIDENCE_QUERY_CAPS.accountsPerQuery} accounts; an answer too big is asked again in halves)\n`,
      );
      io.stdout.write(
        rootCauseEvidenceQuery(accounts.length > 0 ? accounts : "failing", evidenceFromMs, ingestedUntilMs) +
          "\n\n",
      );
      const nowMs = clock.now().getTime();
      io.stdout.write(
        `// 4. Input health (the timer): storage accounts with any row in the window, with their row counts\n`,
      );
      io.stdout.write(accountsWithRowsQuery(nowMs - sinceMs, nowMs) + "\n");
      return EXIT_OK;
    },
  };
}

function printAdx(values: Values, fromMs: number, toMs: number, io: CliIo): number {
  const url = values["archive-account"];
  if (url === undefined)
    throw new UsageError(
      "--target adx needs --archive-account URL (the archive account's blob endpoint, e.g. https://contosologs.blob.core.windows.net)",
    );
  if (values.account !== undefined || values["activity-lookback"] !== undefined)
    throw new UsageError("--account and --activity-lookback go with --target log-analytics");
  let command: string;
  try {
    command = archiveExternalTableCommand(url);
  } catch (err) {
    throw new UsageError(`--archive-account: ${err instanceof Error ? err.message : String(err)}`);
  }
  io.stdout.write(`// 1. Once, in your Azure Data Explorer database: the external table over the archive\n`);
  io.stdout.write(command + "\n\n");
  io.stdout.write(
    `// 2. Storage 401/403 failures, summarised per cluster (the same code table as Log Analytics)\n`,
  );
  io.stdout.write(adxFailureClustersQuery(fromMs, toMs, DEFAULT_PARTIAL_CAPS) + "\n");
  return EXIT_OK;
}

export default kqlCommand();
