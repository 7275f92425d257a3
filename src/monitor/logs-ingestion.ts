import type { LogsIngestionClient, LogsIngestionClientOptions } from "@azure/monitor-ingestion";
import type { TokenCredential } from "../collect/loganalytics/client.js";
import type { MonitorSettings } from "../config/settings.js";
import { parseRetryAfter, type DeliveryResult, type Sender } from "../notify/http.js";
import { redactSecrets, sanitizeOutbound } from "../redact.js";

/**
 * Writes incident rows to the custom table through the Logs Ingestion API with @azure/monitor-ingestion
 * (gzip bodies, 1 MB chunks, the app's managed identity). It is a notification channel like Teams: each
 * row sits in the outbox until the API accepts it, so an outage or throttling loses nothing. The SDK's
 * own retries are off; the outbox's retry policy (with Retry-After) is the one way a row is retried.
 */
export interface MonitorClientHooks {
  credential?: TokenCredential;
  /** SDK pipeline hooks (tests: trust the stand-in's certificate). */
  additionalPolicies?: LogsIngestionClientOptions["additionalPolicies"];
}

/** The Entra audience of the ingestion endpoint's cloud (public, China, US Government). */
export function audienceOf(endpoint: string): string {
  const host = new URL(endpoint).hostname;
  if (host.endsWith(".azure.cn")) return "https://monitor.azure.cn";
  if (host.endsWith(".azure.us")) return "https://monitor.azure.us";
  return "https://monitor.azure.com";
}

/** Statuses worth retrying: throttling, server trouble, and 401/403 while a new role assignment propagates. */
const RETRYABLE = new Set([401, 403, 408, 429]);

export async function createIngestionClient(
  settings: MonitorSettings,
  hooks: MonitorClientHooks = {},
): Promise<LogsIngestionClient> {
  const { LogsIngestionClient } = await import("@azure/monitor-ingestion");
  const credential =
    hooks.credential ??
    (await (async () => {
      const { ManagedIdentityCredential } = await import("@azure/identity");
      const clientId = process.env.AZURE_CLIENT_ID;
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    })());
  const options: LogsIngestionClientOptions = {
    audience: audienceOf(settings.endpoint),
    retryOptions: { maxRetries: 0 },
  };
  if (hooks.additionalPolicies) options.additionalPolicies = hooks.additionalPolicies;
  return new LogsIngestionClient(settings.endpoint, credential, options);
}

interface RestErrorLike {
  statusCode?: number;
  message?: string;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** Uploads rows (the SDK splits them into 1 MB chunks); classifies the first failure for the retry stage. */
export async function uploadRows(
  client: LogsIngestionClient,
  settings: MonitorSettings,
  rows: Record<string, unknown>[],
  options: { timeoutMs: number; nowMs?: number },
): Promise<DeliveryResult> {
  try {
    // The redaction boundary: rows leave the process for the workspace.
    await client.upload(settings.ruleId, settings.stream, sanitizeOutbound(rows), {
      abortSignal: AbortSignal.timeout(options.timeoutMs),
      maxConcurrency: 1,
    });
    return { ok: true, status: 204 };
  } catch (err) {
    const failures = (err as { errors?: Array<{ cause: unknown }> }).errors;
    const cause = (failures?.[0]?.cause ?? err) as RestErrorLike & Error;
    const status = cause.statusCode;
    if (status === undefined) {
      const timedOut = cause.name === "AbortError" || cause.name === "TimeoutError";
      return {
        ok: false,
        retryable: true,
        error: timedOut
          ? `logs ingestion timed out after ${options.timeoutMs} ms`
          : redactSecrets(`logs ingestion network error: ${cause.code ?? cause.message ?? String(cause)}`),
      };
    }
    const result: DeliveryResult = {
      ok: false,
      retryable: RETRYABLE.has(status) || status >= 500,
      status,
      error: redactSecrets(
        `logs ingestion HTTP ${status}${cause.code ? ` ${cause.code}` : ""}: ${(cause.message ?? "").slice(0, 300)}`,
      ),
    };
    const retryAfterMs = parseRetryAfter(
      cause.response?.headers?.get("retry-after") ?? null,
      options.nowMs ?? Date.now(),
    );
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
    return result;
  }
}

/** The outbox channel: each payload is one row built by src/monitor/incident-row.ts. */
export function monitorSender(settings: MonitorSettings, hooks: MonitorClientHooks = {}): Sender {
  let client: Promise<LogsIngestionClient> | undefined;
  return async (body, options) => {
    client ??= createIngestionClient(settings, hooks);
    client.catch(() => (client = undefined));
    return uploadRows(await client, settings, [body as Record<string, unknown>], {
      timeoutMs: options.timeoutMs,
      ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}),
    });
  };
}
