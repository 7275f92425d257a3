import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { expandListFlags } from "./list-flags.js";
import { fixedClock } from "../../clock.js";
import { formatDuration, parseDuration } from "../../config/duration.js";
import { loadSettings, SettingsError } from "../../config/settings.js";
import { UsageError, EXIT_OK, type CliCommand, type CliIo } from "../command.js";

const HELP = `auth-triage local: the whole product on this machine, one command, nothing to configure.

Starts Azurite (in memory, telemetry off, free ports) as the state store, a local webhook receiver on
127.0.0.1 that prints what Teams would receive, and the dashboard over the same state; then replays
timer cycles over the logs (by default the bundled, generated samples: samples/logs and
samples/activity), one cycle per interval of log time, through exactly the Azure timer's code path.
The replay stops at the end of the data, so the dashboard shows what was open then; it keeps
serving the dashboard until Ctrl-C.

Usage:
  auth-triage local [--logs PATH...] [--activity PATH...] [--cycles N | --once]
                    [--interval DURATION] [--pause DURATION] [--dashboard-port N]

  --logs PATH...        Storage resource logs (default: samples/logs).
  --activity PATH...    AzureActivity exports (default: samples/activity, when present).
  --cycles N            Run N cycles, then exit.
  --once                Run one cycle at the end of the data (lookback widened to cover all of it), then exit.
  --interval DURATION   Log time between cycles (default 5m, the timer's default schedule).
  --pause DURATION      Wall-clock pause between cycles, to watch it happen (default 1s; 0 for none).
  --dashboard-port N    Port for the dashboard (default: a free port).

TRIAGE_* settings in the environment (thresholds, intervals, silences; docs/timer.md) apply.
Ctrl-C stops everything cleanly (Azurite, receiver, dashboard).
`;

function defaultPath(rel: string): string | undefined {
  const root = checkoutRoot();
  const candidates = [resolve(rel), ...(root === undefined ? [] : [join(root, rel)])];
  return candidates.find((p) => existsSync(p));
}

/**
 * The nearest folder above this module with a package.json: the checkout, whether this runs from src/,
 * from tsc's dist/src/ or from the CLI bundle in dist/cli/.
 */
function checkoutRoot(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

interface LocalArgs {
  logs: string[];
  activity: string[];
  cycles?: number;
  once: boolean;
  intervalMs: number;
  pauseMs: number;
  dashboardPort: number;
}

export function parseLocalArgs(argv: string[]): LocalArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: expandListFlags(argv, ["--logs", "--activity"]),
      options: {
        logs: { type: "string", multiple: true },
        activity: { type: "string", multiple: true },
        cycles: { type: "string" },
        once: { type: "boolean" },
        interval: { type: "string" },
        pause: { type: "string" },
        "dashboard-port": { type: "string" },
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
  if (logs.length === 0) {
    const sample = defaultPath("samples/logs");
    if (!sample)
      throw new UsageError("no --logs given and the bundled samples/logs is missing; pass --logs PATH");
    logs.push(sample);
    const act = defaultPath("samples/activity");
    if (act && activity.length === 0) activity.push(act);
  }
  let cycles: number | undefined;
  if (values.cycles !== undefined) {
    cycles = Number(values.cycles);
    if (!Number.isInteger(cycles) || cycles < 1)
      throw new UsageError(`--cycles '${values.cycles}' must be a whole number ≥ 1`);
  }
  if (values.once && cycles !== undefined) throw new UsageError("use --once or --cycles N, not both");
  const duration = (flag: string, v: string | undefined, fallback: number, allowZero = false): number => {
    if (v === undefined) return fallback;
    if (allowZero && v.trim() === "0") return 0;
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) throw new UsageError(`${flag} '${v}' is not a duration; e.g. 5m, 30s`);
    return ms;
  };
  let dashboardPort = 0;
  if (values["dashboard-port"] !== undefined) {
    dashboardPort = Number(values["dashboard-port"]);
    if (!Number.isInteger(dashboardPort) || dashboardPort < 0 || dashboardPort > 65535) {
      throw new UsageError("--dashboard-port must be a port number (0 picks a free one)");
    }
  }
  const args: LocalArgs = {
    logs,
    activity,
    once: values.once ?? false,
    intervalMs: duration("--interval", values.interval, 5 * 60_000),
    pauseMs: duration("--pause", values.pause, 1_000, true),
    dashboardPort,
  };
  if (cycles !== undefined) args.cycles = cycles;
  return args;
}

/**
 * Replay instants: one per interval from the first interval boundary after the data starts to the first
 * one after it ends, so the dashboard shows what was open at the end of the data (replaying on past it
 * would only resolve everything).
 */
export function replayTimes(
  span: { fromMs: number; toMs: number },
  intervalMs: number,
  cycles?: number,
): number[] {
  const first = Math.floor(span.fromMs / intervalMs) * intervalMs + intervalMs;
  const last = Math.floor(span.toMs / intervalMs) * intervalMs + intervalMs;
  const out: number[] = [];
  for (let t = first; cycles === undefined ? t <= last : out.length < cycles; t += intervalMs) out.push(t);
  return out;
}

const command: CliCommand = {
  name: "local",
  summary:
    "Run the whole product locally: Azurite state, a webhook receiver that prints cards, the dashboard, replayed cycles",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseLocalArgs(argv);
    const out = (s: string) => io.stdout.write(s.endsWith("\n") ? s : s + "\n");
    let stopping = false;
    let wake: (() => void) | undefined;
    const onSigint = () => {
      stopping = true;
      out("\nStopping…");
      wake?.();
    };
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigint);
    const cleanups: Array<() => Promise<void>> = [];
    const pause = (ms: number) =>
      new Promise<void>((r) => {
        if (stopping || ms <= 0) return r();
        const t = setTimeout(r, ms);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    try {
      const [
        { startAzurite },
        { startLocalWebhookReceiver },
        { runTimerInvocation, summarizeReport },
        { createIncidentSource },
        { startLocalDashboard },
      ] = await Promise.all([
        import("../../local/azurite.js"),
        import("../../local/webhook-receiver.js"),
        import("../../timer/runtime.js"),
        import("../../timer/sources.js"),
        import("../../local/dashboard.js"),
      ]);
      out("Starting Azurite (in memory, telemetry off)…");
      const azurite = await startAzurite();
      cleanups.push(() => azurite.stop());
      const receiver = await startLocalWebhookReceiver(out);
      cleanups.push(() => receiver.close());
      out(`Webhook receiver: ${receiver.teamsUrl} (Teams) and ${receiver.webhookUrl} (JSON)`);

      const env: Record<string, string | undefined> = { ...io.env };
      for (const k of [
        "TRIAGE_WORKSPACE_IDS",
        "TRIAGE_ARCHIVE_ACCOUNT_URL",
        "TRIAGE_STATE",
        "TRIAGE_STATE_TABLE_ENDPOINT",
      ])
        delete env[k];
      Object.assign(env, {
        TRIAGE_LOGS: args.logs.join("\n"),
        TRIAGE_ACTIVITY: args.activity.length > 0 ? args.activity.join("\n") : undefined,
        TRIAGE_TEAMS_WEBHOOK_URL: receiver.teamsUrl,
        TRIAGE_WEBHOOK_URL: receiver.webhookUrl,
        TRIAGE_STATE_CONNECTION_STRING: azurite.connectionString,
        APPLICATIONINSIGHTS_CONNECTION_STRING: io.env.APPLICATIONINSIGHTS_CONNECTION_STRING,
      });
      let settings;
      try {
        settings = loadSettings(env);
      } catch (err) {
        if (err instanceof SettingsError) throw new UsageError(err.message);
        throw err;
      }

      const dashboard = await startLocalDashboard(settings.state, args.dashboardPort);
      cleanups.push(() => dashboard.close());
      env.TRIAGE_DASHBOARD_URL = dashboard.url;
      out(`Dashboard: ${dashboard.url}/`);

      const { MemoryTriageStore } = await import("../../state/memory.js");
      // Only to learn the data's time span: the file source reads no cursors.
      const source = await createIncidentSource(settings.source, new MemoryTriageStore(), {
        maxCatchUpMs: settings.maxCatchUpMs,
      });
      const span = await source.span?.();
      if (!span) {
        out("The logs hold no requests; nothing to replay.");
        return EXIT_OK;
      }
      let times: number[];
      if (args.once) {
        times = [span.toMs + 60_000];
        env.TRIAGE_LOOKBACK = formatDuration(
          Math.min(2 * 86_400_000, Math.max(60_000, span.toMs + 60_000 - span.fromMs + 60_000)),
        );
      } else {
        times = replayTimes(span, args.intervalMs, args.cycles);
      }
      out(
        `Replaying ${times.length} cycle(s) over ${new Date(span.fromMs).toISOString()} → ${new Date(span.toMs).toISOString()}, ` +
          `one every ${formatDuration(args.intervalMs)} of log time.`,
      );
      for (const t of times) {
        if (stopping) break;
        const report = await runTimerInvocation({
          env,
          clock: fixedClock(new Date(t)),
          isPastDue: false,
          log: (level, message) => {
            if (level !== "info") io.stderr.write(`${level}: ${message}\n`);
          },
        });
        out(`[cycle ${new Date(t).toISOString()}] ${summarizeReport(report)}`);
        await pause(args.pauseMs);
      }
      const finite = args.once || args.cycles !== undefined;
      if (!finite && !stopping) {
        out(
          `Replay done at the end of the data (${new Date(times.at(-1)!).toISOString()}): the dashboard shows ` +
            `what was open then. Dashboard at ${dashboard.url}/ — Ctrl-C to stop.`,
        );
        await new Promise<void>((r) => {
          if (stopping) return r();
          wake = r;
        });
      }
      return EXIT_OK;
    } finally {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    }
  },
};

export default command;
