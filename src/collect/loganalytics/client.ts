import type { LogsQueryClient, LogsQueryClientOptions, LogsTable } from "@azure/monitor-query-logs";
import { redactSecrets } from "../../redact.js";
import type { IngestionWindow } from "./queries.js";
import { endpointAndScope, type LogAnalyticsSettings } from "./settings.js";
import { splitWindow } from "./window.js";

/**
 * Running one query robustly: bounded retries with jittered backoff on 429/5xx (honouring Retry-After),
 * 204 read as "no rows", and a truncated (PartialFailure) or timed-out window split in halves.
 */

/** The credential type LogsQueryClient accepts (any @azure/identity credential). */
export type TokenCredential = ConstructorParameters<typeof LogsQueryClient>[0];

/** Test and advanced hooks of the SDK client; production passes none. */
export type LogsClientHooks = Pick<LogsQueryClientOptions, "httpClient" | "additionalPolicies">;

export async function createLogsQueryClient(
  settings: LogAnalyticsSettings,
  credential?: TokenCredential,
  hooks: LogsClientHooks = {},
): Promise<LogsQueryClient> {
  // Loaded lazily: the SDKs are heavy and the timer's cold start only pays for them when it queries.
  const { LogsQueryClient } = await import("@azure/monitor-query-logs");
  const tokenCredential = credential ?? new (await import("@azure/identity")).DefaultAzureCredential();
  const { endpoint, scope } = endpointAndScope(settings);
  return new LogsQueryClient(tokenCredential, {
    endpoint,
    // The SDK ignores `audience` (reference §5): the scope is what reaches a sovereign cloud.
    credentials: { scopes: [scope] },
    // Retries are ours (below), so that attempts are bounded and counted in one place.
    retryOptions: { maxRetries: 0 },
    ...hooks,
  });
}

export class LogAnalyticsQueryError extends Error {
  override name = "LogAnalyticsQueryError";
  constructor(
    readonly workspaceId: string,
    readonly queryName: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    message: string,
  ) {
    super(redactSecrets(`workspace ${workspaceId}, query ${queryName}: ${message}`));
  }
}

export interface RetryDeps {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const realRetryDeps: RetryDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export type QueryOutcome =
  | { kind: "complete"; tables: LogsTable[] }
  | { kind: "truncated"; code: string; message: string; partialTables: LogsTable[] }
  | { kind: "timeout"; message: string };

interface HttpFailure {
  statusCode: number | undefined;
  code: string | undefined;
  message: string;
  retryAfterMs: number | undefined;
}

function httpFailureOf(err: unknown): HttpFailure | undefined {
  if (!(err instanceof Error) || err.name !== "RestError") return undefined;
  const e = err as Error & {
    statusCode?: number;
    code?: string;
    response?: { headers?: { get(name: string): string | undefined } };
    details?: { error?: { code?: string; message?: string } };
  };
  const headers = e.response?.headers;
  return {
    statusCode: e.statusCode,
    code: e.details?.error?.code ?? e.code,
    message: e.details?.error?.message ?? e.message,
    retryAfterMs: retryAfterMs(
      headers?.get("retry-after-ms") ?? headers?.get("x-ms-retry-after-ms"),
      headers?.get("retry-after"),
    ),
  };
}

/** Retry-After in ms: `retry-after-ms`, or Retry-After as seconds or an HTTP date. */
export function retryAfterMs(
  msHeader: string | undefined,
  header: string | undefined,
  nowMs = Date.now(),
): number | undefined {
  if (msHeader && /^\d+$/.test(msHeader.trim())) return Number(msHeader.trim());
  if (!header) return undefined;
  const h = header.trim();
  if (/^\d+(\.\d+)?$/.test(h)) return Math.round(Number(h) * 1000);
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The SDK throws this TypeError on a 204 (empty workspace) instead of returning no tables (reference §5). */
function isEmptyWorkspaceTypeError(err: unknown): boolean {
  return err instanceof TypeError && /reading 'error'/.test(err.message);
}

function isRetryable(status: number | undefined): boolean {
  return status === 408 || status === 429 || (status !== undefined && status >= 500 && status !== 504);
}

export function backoffMs(
  attempt: number,
  retryAfter: number | undefined,
  settings: LogAnalyticsSettings,
  random: () => number,
): number {
  const exponential = Math.min(settings.maxBackoffMs, settings.baseBackoffMs * 2 ** (attempt - 1));
  // Full jitter on the exponential part so that many functions hitting one workspace spread out.
  const jittered = exponential / 2 + (random() * exponential) / 2;
  if (retryAfter === undefined) return Math.round(jittered);
  // The server said when: wait at least that, plus a little jitter, within the cap.
  return Math.round(
    Math.min(
      Math.max(retryAfter, 0) + random() * settings.baseBackoffMs * 0.1,
      Math.max(settings.maxBackoffMs, retryAfter),
    ),
  );
}

export async function runQueryOnce(
  client: LogsQueryClient,
  settings: LogAnalyticsSettings,
  workspaceId: string,
  queryName: string,
  query: string,
  timespan: { startTime: Date; endTime: Date },
  deps: RetryDeps = realRetryDeps,
): Promise<QueryOutcome & { attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await client.queryWorkspace(workspaceId, query, timespan, {
        serverTimeoutInSeconds: settings.serverTimeoutSeconds,
        // The service answers 504 at its timeout; this only guards against a connection that hangs.
        abortSignal: AbortSignal.timeout((settings.serverTimeoutSeconds + 30) * 1000),
      });
      if (result.status === "Success") return { kind: "complete", tables: result.tables, attempts: attempt };
      return {
        kind: "truncated",
        code: result.partialError.code ?? "PartialError",
        message: redactSecrets(result.partialError.message ?? "partial result"),
        partialTables: result.partialTables,
        attempts: attempt,
      };
    } catch (err) {
      if (isEmptyWorkspaceTypeError(err)) return { kind: "complete", tables: [], attempts: attempt };
      if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
        return {
          kind: "timeout",
          message: `no answer within ${settings.serverTimeoutSeconds + 30} s`,
          attempts: attempt,
        };
      }
      const failure = httpFailureOf(err);
      if (!failure) throw err;
      if (failure.statusCode === 504) return { kind: "timeout", message: failure.message, attempts: attempt };
      if (!isRetryable(failure.statusCode) || attempt >= settings.maxAttempts) {
        throw new LogAnalyticsQueryError(
          workspaceId,
          queryName,
          failure.statusCode,
          failure.code,
          `${failure.statusCode ?? "?"} ${failure.code ?? ""} ${failure.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`,
        );
      }
      await deps.sleep(backoffMs(attempt, failure.retryAfterMs, settings, deps.random));
    }
  }
}

export interface WindowedRun<T> {
  results: T[];
  queries: number;
  splits: number;
}

/**
 * Runs a window query; a truncated or timed-out answer is discarded and the window's ingestion span is
 * halved (halves tile it exactly, so merging their partials counts every row once).
 */
export async function runWindowed<T>(
  client: LogsQueryClient,
  settings: LogAnalyticsSettings,
  workspaceId: string,
  queryName: string,
  window: IngestionWindow,
  buildQuery: (w: IngestionWindow) => string,
  convert: (tables: LogsTable[], w: IngestionWindow) => T,
  deps: RetryDeps = realRetryDeps,
  depth = 0,
): Promise<WindowedRun<T>> {
  const timespan = {
    startTime: new Date(window.generatedAfterMs),
    // TimeGenerated (Storage's receipt time) precedes ingestion; a few minutes' margin covers clock
    // differences between the two without widening the scan (Basic tables bill the timespan scanned).
    endTime: new Date(window.ingestedUntilMs + 5 * 60_000),
  };
  const outcome = await runQueryOnce(
    client,
    settings,
    workspaceId,
    queryName,
    buildQuery(window),
    timespan,
    deps,
  );
  if (outcome.kind === "complete")
    return { results: [convert(outcome.tables, window)], queries: 1, splits: 0 };
  const halves = depth < settings.maxSplitDepth ? splitWindow(window) : undefined;
  if (!halves) {
    const why =
      outcome.kind === "truncated" ? `${outcome.code}: ${outcome.message}` : `timed out: ${outcome.message}`;
    throw new LogAnalyticsQueryError(
      workspaceId,
      queryName,
      outcome.kind === "timeout" ? 504 : 200,
      outcome.kind === "truncated" ? outcome.code : "GatewayTimeout",
      `still incomplete after splitting the window ${depth} times (${why})`,
    );
  }
  const first = await runWindowed(
    client,
    settings,
    workspaceId,
    queryName,
    halves[0],
    buildQuery,
    convert,
    deps,
    depth + 1,
  );
  const second = await runWindowed(
    client,
    settings,
    workspaceId,
    queryName,
    halves[1],
    buildQuery,
    convert,
    deps,
    depth + 1,
  );
  return {
    results: [...first.results, ...second.results],
    queries: 1 + first.queries + second.queries,
    splits: 1 + first.splits + second.splits,
  };
}
