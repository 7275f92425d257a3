import { sanitizeOutbound } from "../redact.js";
import type { CycleReport } from "../timer/cycle.js";

/**
 * Run telemetry to Application Insights when a connection string is configured: one request item per
 * run (a span, so each run is one operation in the portal) and one metric per figure. The exporter is
 * loaded lazily and only then, with its own providers (nothing global, no auto-instrumentation), so an
 * unconfigured app pays nothing and a telemetry failure never fails a run.
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
  /** Inputs found empty this run (src/timer/input-health.ts); 0 when every input has data. */
  emptyInputs: "triage.empty_inputs",
} as const;

/**
 * The exporter pair behind one connection string. @azure/monitor-opentelemetry-exporter is the Microsoft
 * exporter the applicationinsights v3 distro wraps; used alone with the OpenTelemetry SDK's tracer and
 * meter (its own dependencies), without the distro's auto-instrumentations, it sends the same request and
 * metric items for a fraction of the size (docs/deploy.md, "Telemetry").
 */
interface Exporters {
  tracer: import("@opentelemetry/api").Tracer;
  meter: import("@opentelemetry/api").Meter;
  flush(): Promise<void>;
}

const exporters = new Map<string, Promise<Exporters | undefined>>();

async function exportersFor(
  connectionString: string,
  entra: { clientId?: string } | undefined,
  warn: (m: string) => void,
): Promise<Exporters | undefined> {
  const key = `${connectionString}|${entra ? (entra.clientId ?? "system") : "key"}`;
  let p = exporters.get(key);
  if (!p) {
    p = (async () => {
      const [{ AzureMonitorMetricExporter, AzureMonitorTraceExporter }, traceSdk, metricsSdk] =
        await Promise.all([
          import("@azure/monitor-opentelemetry-exporter"),
          import("@opentelemetry/sdk-trace-base"),
          import("@opentelemetry/sdk-metrics"),
        ]);
      const options: import("@azure/monitor-opentelemetry-exporter").AzureMonitorExporterOptions = {
        connectionString,
        // A run's figures are worth little later; never spool them to the instance's disk.
        disableOfflineStorage: true,
      };
      if (entra) {
        // App Insights with local auth disabled accepts only Entra tokens: the function's managed identity.
        const { ManagedIdentityCredential } = await import("@azure/identity");
        options.credential = entra.clientId
          ? new ManagedIdentityCredential({ clientId: entra.clientId })
          : new ManagedIdentityCredential();
      }
      const tracerProvider = new traceSdk.BasicTracerProvider({
        spanProcessors: [new traceSdk.SimpleSpanProcessor(new AzureMonitorTraceExporter(options))],
      });
      // Exported on flush() at the end of each run, not on a timer.
      const reader = new metricsSdk.PeriodicExportingMetricReader({
        exporter: new AzureMonitorMetricExporter(options),
        exportIntervalMillis: 2_147_483_647,
      });
      const meterProvider = new metricsSdk.MeterProvider({ readers: [reader] });
      return {
        tracer: tracerProvider.getTracer("storage-auth-triage"),
        meter: meterProvider.getMeter("storage-auth-triage"),
        flush: async () => {
          await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
        },
      };
    })().catch((err: unknown) => {
      warn(sanitizeOutbound(`telemetry disabled: ${err instanceof Error ? err.message : String(err)}`));
      return undefined;
    });
    exporters.set(key, p);
  }
  return p;
}

export async function createTelemetry(
  connectionString: string | undefined,
  warn: (m: string) => void,
  entra?: { clientId?: string },
): Promise<RunTelemetry> {
  if (!connectionString) return noTelemetry;
  const otel = await exportersFor(connectionString, entra, warn);
  if (!otel) return noTelemetry;
  const { SpanKind, SpanStatusCode } = await import("@opentelemetry/api");
  const safely = (what: string, f: () => void) => {
    try {
      f();
    } catch (err) {
      warn(`telemetry ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  // One request item per run: a server span from the run's start to its end.
  const requestSpan = (durationMs: number, attributes: Record<string, string>) => {
    const end = Date.now();
    return otel.tracer.startSpan("triage-cycle", {
      kind: SpanKind.SERVER,
      startTime: end - durationMs,
      attributes,
    });
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
        const attributes: Record<string, string> = {
          runId: r.runId,
          window: `${r.window.from}/${r.window.to}`,
          isPastDue: String(r.isPastDue),
        };
        const empty = r.inputs?.problems ?? [];
        if (r.inputs) {
          figures[METRICS.emptyInputs] = empty.length;
          if (empty.length > 0) attributes.emptyInputs = empty.map((p) => p.input).join(", ");
        }
        // The redaction boundary: every attribute sent to Application Insights is sanitized.
        const span = requestSpan(r.durationMs, sanitizeOutbound(attributes));
        const ok = r.notifications.failed === 0;
        span.setStatus({ code: ok ? SpanStatusCode.OK : SpanStatusCode.ERROR });
        span.end();
        for (const [name, value] of Object.entries(figures)) otel.meter.createGauge(name).record(value);
      });
    },
    recordFailure(error, durationMs) {
      safely("failure", () => {
        // A fresh Error carrying the sanitized name, message and stack only: the original's other
        // properties (an SDK error's request, headers) never leave.
        const clean = sanitizeOutbound({
          name: error instanceof Error ? error.name : "Error",
          message: error instanceof Error ? error.message : String(error),
        });
        const exception = new Error(clean.message);
        exception.name = clean.name;
        if (error instanceof Error && error.stack) exception.stack = sanitizeOutbound(error.stack);
        const span = requestSpan(durationMs, {});
        span.recordException(exception);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
    },
    async flush() {
      try {
        await otel.flush();
      } catch (err) {
        warn(`telemetry flush failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}
