import { parseArgs } from "node:util";
import { systemClock, type Clock } from "../../clock.js";
import { DEFAULT_PARTIAL_CAPS } from "../../collect/loganalytics/caps.js";
import { activityChangesQuery, failureClustersQuery } from "../../collect/loganalytics/queries.js";
import { DEFAULT_WINDOW_POLICY } from "../../collect/loganalytics/window.js";
import { EXIT_OK, UsageError, type CliCommand, type CliIo } from "../command.js";
import { parseDuration } from "../duration.js";

const HELP = `auth-triage kql [--since DURATION] [--activity-lookback DURATION]

Prints the Log Analytics queries 'auth-triage analyze --workspace' runs, ready to paste into the
portal (Logs blade of the workspace). Nothing is sent anywhere.

  --since DURATION              failures ingested during this span, ending one minute ago
                                (default 1h; e.g. 30m, 2h, 1d, PT2H)
  --activity-lookback DURATION  AzureActivity read this far before the window (default 2h):
                                changes precede the failures they cause

The first query summarises 401/403 failures of StorageBlobLogs, StorageQueueLogs, StorageTableLogs
and StorageFileLogs into one row per cluster (account, service, operation, status, error code,
authentication type), so its result grows with the number of clusters, not of failures. The window is
cut by ingestion_time(), as the timer does; see docs/log-analytics.md.`;

export function kqlCommand(clock: Clock = systemClock): CliCommand {
  return {
    name: "kql",
    summary: "Print the Log Analytics queries, ready to paste into the portal",
    help: HELP,
    async run(argv: string[], io: CliIo): Promise<number> {
      let values: { since?: string; "activity-lookback"?: string };
      try {
        ({ values } = parseArgs({
          args: argv,
          options: { since: { type: "string" }, "activity-lookback": { type: "string" } },
          strict: true,
          allowPositionals: false,
        }));
      } catch (err) {
        throw new UsageError(
          `${err instanceof Error ? err.message : String(err)}. Run 'auth-triage kql --help'.`,
        );
      }
      const sinceMs = values.since === undefined ? 3_600_000 : parseDuration("since", values.since);
      const activityLookbackMs =
        values["activity-lookback"] === undefined
          ? 2 * 3_600_000
          : parseDuration("activity-lookback", values["activity-lookback"]);
      const ingestedUntilMs = clock.now().getTime() - DEFAULT_WINDOW_POLICY.settleMs;
      const ingestedAfterMs = ingestedUntilMs - sinceMs;
      const window = {
        ingestedAfterMs,
        ingestedUntilMs,
        generatedAfterMs: ingestedAfterMs - DEFAULT_WINDOW_POLICY.maxIngestionDelayMs,
      };
      io.stdout.write(`// 1. Storage 401/403 failures, summarised per cluster\n`);
      io.stdout.write(failureClustersQuery(window, DEFAULT_PARTIAL_CAPS) + "\n\n");
      io.stdout.write(`// 2. AzureActivity changes that may explain them\n`);
      io.stdout.write(
        activityChangesQuery(window.generatedAfterMs - activityLookbackMs, ingestedUntilMs) + "\n",
      );
      return EXIT_OK;
    },
  };
}

export default kqlCommand();
