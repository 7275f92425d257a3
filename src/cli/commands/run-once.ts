import { parseArgs } from "node:util";
import { expandListFlags } from "./list-flags.js";
import { fixedClock, systemClock } from "../../clock.js";
import { SettingsError } from "../../config/settings.js";
import { sanitizeOutbound } from "../../redact.js";
import { StateStoreError } from "../../state/outage.js";
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_STATE_STORE,
  EXIT_USAGE,
  UsageError,
  type CliCommand,
  type CliIo,
} from "../command.js";

const HELP = `auth-triage run-once: run one timer cycle locally, through exactly the code path of the Azure
Functions timer (settings → analysis → incident lifecycle → state → Teams/webhook delivery).

Usage:
  auth-triage run-once --logs PATH... [--activity PATH...] --webhook URL [--generic-webhook URL]
                       [--state memory|CONNECTION_STRING] [--now ISO] [--dashboard-url URL] [--json]

  --logs PATH...          Storage resource logs (files or directories, as for 'analyze'). Required.
  --activity PATH...      AzureActivity exports or archived activity logs.
  --webhook URL           Teams Workflows trigger URL to post the Adaptive Card to (a secret; never
                          printed). A loopback http URL is accepted for local receivers.
  --generic-webhook URL   Also post the versioned JSON payload (docs/webhook-schema.md) here.
  --state VALUE           memory (default: state lives for this run only) or a storage connection
                          string (e.g. Azurite's) to keep incidents, the notification log and the
                          watermark between runs.
  --now ISO               Run the cycle as if it were this time (replay). A replay at the same time as
                          an earlier run with the same state sends nothing twice.
  --dashboard-url URL     Base URL of the dashboard, for the card's "Open in dashboard" link.
  --json                  Print the cycle report as one JSON object.

Every other TRIAGE_* app setting (thresholds, lookback, repeat/resolve intervals, silences; see
docs/timer.md) is read from the environment, as in Azure.

Warnings and errors go to stderr as "warn: …" / "error: …" lines, also with --json (whose report lists
each notification's error under notificationErrors). When every row lies outside the run's window (e.g.
the bundled samples without --now) a warning says where the data is and which --now reaches it.

Exit status:
  0  the cycle ran and every notification decided was delivered (or none was due)
  1  a notification failed for good (e.g. 4xx, a redirect) or is still pending (kept in state and
     retried by the next run)
  2  usage or settings error, or nothing could be read (every log record rejected)
  3  the state store is unavailable (the message names it: Table storage endpoint or memory)
`;

const SOURCE_SETTINGS = [
  "TRIAGE_WORKSPACE_IDS",
  "TRIAGE_ARCHIVE_ACCOUNT_URL",
  "TRIAGE_LOGS",
  "TRIAGE_ACTIVITY",
];

export function runOnceEnv(
  argv: string[],
  baseEnv: NodeJS.ProcessEnv,
): { env: Record<string, string | undefined>; now?: Date; json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: expandListFlags(argv, ["--logs", "--activity"]),
      options: {
        logs: { type: "string", multiple: true },
        activity: { type: "string", multiple: true },
        webhook: { type: "string" },
        "generic-webhook": { type: "string" },
        state: { type: "string" },
        now: { type: "string" },
        "dashboard-url": { type: "string" },
        json: { type: "boolean" },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  const logs = [...(values.logs ?? [])];
  const activity = [...(values.activity ?? [])];
  if (logs.length === 0)
    throw new UsageError("--logs PATH is required (Storage resource log files or directories)");
  if (
    !values.webhook &&
    !values["generic-webhook"] &&
    !baseEnv.TRIAGE_TEAMS_WEBHOOK_URL &&
    !baseEnv.TRIAGE_WEBHOOK_URL
  ) {
    throw new UsageError(
      "--webhook URL is required (a Teams Workflows URL, or a local receiver such as http://127.0.0.1:PORT/...)",
    );
  }
  let now: Date | undefined;
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (Number.isNaN(now.getTime()))
      throw new UsageError(`--now '${values.now}' is not an ISO time; e.g. 2026-11-20T10:15:00Z`);
  }
  const env: Record<string, string | undefined> = { ...baseEnv };
  for (const k of SOURCE_SETTINGS) delete env[k];
  env.TRIAGE_LOGS = logs.join("\n");
  if (activity.length > 0) env.TRIAGE_ACTIVITY = activity.join("\n");
  if (values.webhook) env.TRIAGE_TEAMS_WEBHOOK_URL = values.webhook;
  if (values["generic-webhook"]) env.TRIAGE_WEBHOOK_URL = values["generic-webhook"];
  if (values["dashboard-url"]) env.TRIAGE_DASHBOARD_URL = values["dashboard-url"];
  const state = values.state ?? "memory";
  delete env.TRIAGE_STATE;
  delete env.TRIAGE_STATE_CONNECTION_STRING;
  delete env.TRIAGE_STATE_TABLE_ENDPOINT;
  if (state.toLowerCase() === "memory") env.TRIAGE_STATE = "memory";
  else env.TRIAGE_STATE_CONNECTION_STRING = state;
  return now ? { env, now, json: values.json ?? false } : { env, json: values.json ?? false };
}

const command: CliCommand = {
  name: "run-once",
  summary: "Run one timer cycle locally (same code path as the Azure timer); --now replays a cycle",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { env, now, json } = runOnceEnv(argv, io.env);
    const { runTimerInvocation, summarizeReport, logInputHealth } = await import("../../timer/runtime.js");
    let report;
    const log = (level: "info" | "warn" | "error", message: string) => {
      if (level !== "info" || !json) io.stderr.write(`${level}: ${message}\n`);
    };
    try {
      report = await runTimerInvocation({
        env,
        clock: now ? fixedClock(now) : systemClock,
        isPastDue: false,
        log,
      });
    } catch (err) {
      if (err instanceof SettingsError) throw new UsageError(err.message);
      if (err instanceof StateStoreError) {
        io.stderr.write(sanitizeOutbound(`error: ${err.message}\n`));
        return EXIT_STATE_STORE;
      }
      throw err;
    }
    io.stdout.write(json ? JSON.stringify(sanitizeOutbound(report)) + "\n" : summarizeReport(report) + "\n");
    if (logInputHealth(report, log).kind === "nothing-read") return EXIT_USAGE;
    return report.notifications.failed > 0 || report.notifications.pending > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};

export default command;
