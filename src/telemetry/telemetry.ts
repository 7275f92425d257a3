import { sanitizeOutbound } from "../redact.js";
import type { CycleReport } from "../timer/cycle.js";

/**
 * Run telemetry to Application Insights when a connection string is configured: one request item per
 * run (a span, so each run is one operation in the portal) and one metric per figure. The SDK is loaded
 * lazily and only then, with an isolated client (no global auto-instrumentation), so an unconfigured
 * app pays nothing and a telemetry failure never fails a run.
 */
export interface RunTelemetry {
  recordCycle(report: CycleReport): void;
  recordFailure(error: unknown, durationMs: number): void;
  flush(): Promise<void>;
}

export const noTelemetry: RunTelemetry = {
  recordCycle() {},
  recordFailure() {},
  flush: async () => {},
};

/** Metric names as they appear in customMetrics. */
export const METRICS = {
  rowsScanned: "triage.rows_scanned",
  failures: "triage.failures",
  clusters: "triage.clusters",
  rejected: "triage.rejected_records",
  opened: "triage.incidents_opened",
  updated: "triage.incidents_updated",
  resolved: "triage.incidents_resolved",
  sent: "triage.notifications_sent",
  failed: "triage.notifications_failed",
  pending: "triage.notifications_pending",
  duration: "triage.run_duration_ms",
} as const;

type Client = import("applicationinsights").TelemetryClient;

const clients = new Map<string, Promise<Client | undefined>>();

async function clientFor(
  connectionString: string,
  entra: { clientId?: string } | undefined,
  warn: (m: string) => void,
): Promise<Client | undefined> {
  const key = `${connectionString}|${entra ? (entra.clientId ?? "system") : "key"}`;
  let p = clients.get(key);
  if (!p) {
    p = import("applicationinsights")
      .then(async (ai) => {
        // CommonJS package: the named export may only be on `default` depending on the loader.
        const TelemetryClient = ai.TelemetryClient ?? ai.default.TelemetryClient;
        const client = new TelemetryClient(connectionString, { useGlobalProviders: false });
        if (entra) {
          // App Insights with local auth disabled accepts only Entra tokens: the function's managed identity.
          const { ManagedIdentityCredential } = await import("@azure/identity");
          client.config.aadTokenCredential = entra.clientId
            ? new ManagedIdentityCredential({ clientId: entra.clientId })
            : new ManagedIdentityCredential();
        }
        return client;
      })
      .catch((err: unknown) => {
        warn(sanitizeOutbound(`telemetry disabled: ${err instanceof Error ? err.message : String(err)}`));
        return undefined;
      });
    clients.set(key, p);
  }
  return p;
}

export async function createTelemetry(
  connectionString: string | undefined,
  warn: (m: string) => void,
  entra?: { clientId?: string },
): Promise<RunTelemetry> {
  if (!connectionString) return noTelemetry;
  const client = await clientFor(connectionString, entra, warn);
  if (!client) return noTelemetry;
  const safely = (what: string, f: () => void) => {
    try {
      f();
    } catch (err) {
      warn(`telemetry ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    recordCycle(r) {
      safely("record", () => {
        const figures: Record<string, number> = {
          [METRICS.rowsScanned]: r.rowsScanned,
          [METRICS.failures]: r.failures,
          [METRICS.clusters]: r.clusters,
          [METRICS.rejected]: r.rejected,
          [METRICS.opened]: r.incidents.opened,
          [METRICS.updated]: r.incidents.updated,
          [METRICS.resolved]: r.incidents.resolved,
          [METRICS.sent]: r.notifications.sent,
          [METRICS.failed]: r.notifications.failed,
          [METRICS.pending]: r.notifications.pending,
          [METRICS.duration]: r.durationMs,
        };
        // The redaction boundary: every item sent to Application Insights is sanitized.
        const item = sanitizeOutbound({
          name: "triage-cycle",
          duration: r.durationMs,
          success: r.notifications.failed === 0,
          resultCode: r.notifications.failed === 0 ? "0" : "notifications-failed",
          properties: {
            runId: r.runId,
            window: `${r.window.from}/${r.window.to}`,
            isPastDue: String(r.isPastDue),
          },
          measurements: figures,
        });
        client.trackRequest(item);
        for (const [name, value] of Object.entries(figures))
          client.trackMetric(sanitizeOutbound({ name, value }));
      });
    },
    recordFailure(error, durationMs) {
      safely("failure", () => {
        client.trackRequest(
          sanitizeOutbound({
            name: "triage-cycle",
            duration: durationMs,
            success: false,
            resultCode: "error",
          }),
        );
        // A fresh Error carrying the sanitized name, message and stack only: the original's other
        // properties (an SDK error's request, headers) never leave.
        const clean = sanitizeOutbound({
          name: error instanceof Error ? error.name : "Error",
          message: error instanceof Error ? error.message : String(error),
        });
        const exception = new Error(clean.message);
        exception.name = clean.name;
        if (error instanceof Error && error.stack) exception.stack = sanitizeOutbound(error.stack);
        client.trackException({ exception });
      });
    },
    async flush() {
      try {
        await client.flush();
      } catch (err) {
        warn(`telemetry flush failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}
