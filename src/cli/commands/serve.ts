import { parseArgs } from "node:util";
import { z } from "zod";
import { systemClock, type Clock } from "../../clock.js";
import { InputError, readActivityEvents, readStorageRequestBatches } from "../../collect/files.js";
import { RejectionCollector } from "../../collect/rejections.js";
import { createRootCauseExplainer } from "../../correlate/index.js";
import { analyze } from "../../engine/analyze.js";
import type { ActivityEvent } from "../../model/activity.js";
import type { Incident } from "../../model/incident.js";
import { redactSecrets } from "../../redact.js";
import type { IncidentReader } from "../../state/contracts.js";
import { startDashboardServer } from "../../dashboard/server.js";
import { recordsFromAnalysis, SnapshotIncidentReader } from "../../dashboard/snapshot-reader.js";
import { EXIT_OK, UsageError, type CliCommand, type CliIo } from "../command.js";

/**
 * `auth-triage serve`: the dashboard page and its API on 127.0.0.1, over the timer's state (Table storage)
 * or over an analysis of log files done on the spot.
 */

export const DEFAULT_SERVE_PORT = 7071;

export type ServeState = { kind: "memory" } | { kind: "connection-string"; connectionString: string };

export interface ServeArgs {
  state: ServeState;
  logs: string[];
  activity: string[];
  port: number;
}

export const SERVE_HELP = `Usage: auth-triage serve [--state memory|CONNECTION_STRING] [--logs PATH… --activity PATH…] [--port N]

Serves the dashboard (incidents table, charts, incident detail) and its JSON API on 127.0.0.1 only; no
key is needed on loopback. Open the printed URL in a browser; stop with Ctrl+C.

Options:
  --state memory             (default) analyse --logs now and serve the result from memory
  --state CONNECTION_STRING  serve the timer's incident state from Table storage (Azurite or Azure);
                             when it holds no incident yet and --logs are given, the logs are analysed
                             and served instead
  --logs PATH…               Storage log files or folders (JSON array, NDJSON/JSON Lines, CSV, .gz);
                             several paths after one flag, or the flag repeated
  --activity PATH…           AzureActivity exports, used to rank likely causes
  --port N                   port on 127.0.0.1 (default ${DEFAULT_SERVE_PORT}; 0 picks a free one)

Examples:
  auth-triage serve --logs ./storage-logs --activity ./activity.json
  auth-triage serve --state "UseDevelopmentStorage=true" --port 8080`;

const FLAGS = {
  state: { type: "string" },
  logs: { type: "string", multiple: true },
  activity: { type: "string", multiple: true },
  port: { type: "string" },
} as const;

const PATH_LIST_FLAGS = new Set(["logs", "activity"]);

/** Shape of a storage connection string; never echoed back (it may hold an account key). */
const CONNECTION_STRING_RE = /(^|;)\s*(UseDevelopmentStorage=true|AccountName=|TableEndpoint=)/i;

const portSchema = z
  .string()
  .regex(/^\d{1,5}$/, { error: "--port: expected a number from 0 to 65535" })
  .transform(Number)
  .pipe(z.number().max(65535, { error: "--port: expected a number from 0 to 65535" }));

export function parseServeArgs(argv: string[]): ServeArgs {
  let parsed: ReturnType<
    typeof parseArgs<{
      args: string[];
      options: typeof FLAGS;
      allowPositionals: true;
      tokens: true;
      strict: true;
    }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, tokens: true, strict: true });
  } catch (err) {
    throw new UsageError(
      `${err instanceof Error ? err.message : String(err)}. Run 'auth-triage serve --help'.`,
    );
  }
  // `--logs a b c` and `--logs a --logs b` both work: a positional belongs to the last path-list flag.
  const lists: Record<string, string[]> = { logs: [], activity: [] };
  let currentList: string | undefined;
  for (const token of parsed.tokens) {
    if (token.kind === "option") {
      currentList = PATH_LIST_FLAGS.has(token.name) ? token.name : undefined;
      if (currentList && token.value !== undefined) lists[currentList]!.push(token.value);
    } else if (token.kind === "positional") {
      if (!currentList) {
        throw new UsageError(`unexpected argument '${token.value}'. Run 'auth-triage serve --help'.`);
      }
      lists[currentList]!.push(token.value);
    }
  }
  for (const [flag, paths] of Object.entries(lists)) {
    if (paths.some((p) => p.trim() === "")) throw new UsageError(`--${flag}: an empty path`);
  }

  const stateText = parsed.values.state?.trim() ?? "memory";
  let state: ServeState;
  if (stateText.toLowerCase() === "memory") state = { kind: "memory" };
  else if (CONNECTION_STRING_RE.test(stateText))
    state = { kind: "connection-string", connectionString: stateText };
  else {
    throw new UsageError(
      "--state: expected 'memory' or a storage connection string (with AccountName=…, TableEndpoint=… or UseDevelopmentStorage=true)",
    );
  }

  const port = portSchema.safeParse(parsed.values.port ?? String(DEFAULT_SERVE_PORT));
  if (!port.success) throw new UsageError(port.error.issues[0]!.message);

  if (lists["activity"]!.length > 0 && lists["logs"]!.length === 0) {
    throw new UsageError("--activity is only used with --logs (it ranks the causes of the logs' failures)");
  }
  if (state.kind === "memory" && lists["logs"]!.length === 0) {
    throw new UsageError(
      "nothing to serve: give --logs PATH… to analyse, or --state CONNECTION_STRING to serve the timer's state",
    );
  }
  return { state, logs: lists["logs"]!, activity: lists["activity"]!, port: port.data };
}

/** The parts serve takes from the engine and the state store; tests and the local stack can pass their own. */
export interface ServeDeps {
  /** Analyses log files; reports progress and rejected records on `io.stderr`. */
  analyzeLogs(logs: string[], activity: string[], io: CliIo): Promise<Incident[]>;
  /** Opens the timer's state for reading. */
  openState(connectionString: string): Promise<{ reader: IncidentReader; close(): Promise<void> }>;
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  untilStopped?: Promise<unknown>;
  /** Called once listening, with the page URL. */
  onListening?: (url: string) => void;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(signal);
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
  });
}

export async function runServe(args: ServeArgs, io: CliIo, deps: ServeDeps): Promise<number> {
  let reader: IncidentReader | undefined;
  let closeState = async () => {};
  if (args.state.kind === "connection-string") {
    const state = await deps.openState(args.state.connectionString);
    closeState = () => state.close();
    const { total } = await state.reader.list({ limit: 1 });
    if (total > 0 || args.logs.length === 0) {
      reader = state.reader;
      io.stderr.write(`serve: ${total} incident(s) in the state store\n`);
    } else {
      io.stderr.write("serve: the state store has no incident yet; analysing the given logs instead\n");
    }
  }
  if (!reader) {
    const incidents = await deps.analyzeLogs(args.logs, args.activity, io);
    io.stderr.write(`serve: ${incidents.length} incident(s) from the logs\n`);
    reader = new SnapshotIncidentReader(recordsFromAnalysis(incidents));
  }

  const server = await startDashboardServer({ reader, host: "127.0.0.1", port: args.port }).catch(
    async (err: unknown) => {
      await closeState();
      const code = (err as { code?: string }).code;
      if (code === "EADDRINUSE") {
        throw new UsageError(
          `--port ${args.port} is in use on 127.0.0.1; pick another (or 0 for any free port)`,
        );
      }
      throw err;
    },
  );
  io.stdout.write(`Dashboard: ${server.url}/\n`);
  deps.onListening?.(server.url);
  await (deps.untilStopped ?? untilSignal());
  await server.close();
  await closeState();
  return EXIT_OK;
}

/** Rejected records listed on stderr by serve (the full list: `auth-triage analyze`). */
const REJECTIONS_SHOWN = 5;

/**
 * Analyses log files exactly as `auth-triage analyze` does (file readers, clustering, root-cause stage)
 * over the whole span of the data, and reports what was read and rejected on stderr.
 */
export async function analyzeLogFiles(
  logs: readonly string[],
  activityPaths: readonly string[],
  io: CliIo,
  clock: Clock = systemClock,
): Promise<Incident[]> {
  const rejections = new RejectionCollector();
  try {
    const activity: ActivityEvent[] = [];
    if (activityPaths.length > 0) {
      for await (const e of readActivityEvents([...activityPaths], { rejections })) activity.push(e);
    }
    const result = await analyze({
      requests: readStorageRequestBatches([...logs], { rejections }),
      activity,
      window: {},
      clock,
      rejections,
      explainer: createRootCauseExplainer({ clock }),
    });
    const { rows, failures, rejected, rejectedSamples } = result.input;
    io.stderr.write(
      `serve: analysed ${rows} log rows (${failures} 401/403 failures) and ${activity.length} activity events\n`,
    );
    if (rejected > 0) {
      io.stderr.write(`serve: ${rejected} record(s) rejected, e.g.:\n`);
      for (const r of rejectedSamples.slice(0, REJECTIONS_SHOWN)) {
        io.stderr.write(redactSecrets(`  ${r.file}:${r.line} ${r.field}: ${r.reason}\n`));
      }
    }
    return result.incidents;
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
}

/** Opens the timer's Table storage state. The store module is loaded only when `--state` asks for it. */
async function openTableState(
  connectionString: string,
): Promise<{ reader: IncidentReader; close(): Promise<void> }> {
  const { openIncidentReader } = await import("../../state/table.js");
  return openIncidentReader(connectionString);
}

export function serveCommand(deps: Partial<ServeDeps> = {}): CliCommand {
  return {
    name: "serve",
    summary: "Serve the dashboard and its API on 127.0.0.1 (over the timer's state or analysed logs)",
    help: SERVE_HELP,
    run: (argv, io) =>
      runServe(parseServeArgs(argv), io, {
        analyzeLogs: (logs, activity, cliIo) => analyzeLogFiles(logs, activity, cliIo),
        openState: openTableState,
        ...deps,
      }),
  };
}

export default serveCommand();
