import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { IncidentReader } from "../state/contracts.js";
import { sanitizeOutbound } from "../redact.js";
import { handleGetIncident, handleListIncidents, type ErrorReporter } from "./api.js";
import { serveDashboardAsset } from "./assets.js";
import { BASE_SECURITY_HEADERS, errorResponse, type DashboardResponse } from "./http.js";

/**
 * Azure Functions (v4) adapters for the dashboard: the same handlers as the local server, wrapped for
 * HttpRequest/HttpResponseInit. functions/dashboard.ts only registers them. Routes (under the host's
 * `api/` prefix) and names are fixed: the infra package test checks them.
 */
export const DASHBOARD_FUNCTIONS = {
  incidentsList: { route: "incidents" },
  incidentGet: { route: "incidents/{id}" },
  dashboardPage: { route: "dashboard/{*path}" },
} as const;

export type DashboardFunctionName = keyof typeof DASHBOARD_FUNCTIONS;

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

function toInit(response: DashboardResponse): HttpResponseInit {
  return { status: response.status, headers: response.headers, body: response.body };
}

function reporterFor(context: InvocationContext): ErrorReporter {
  return (message, error) =>
    context.error(
      sanitizeOutbound(`dashboard: ${message}: ${error instanceof Error ? error.message : String(error)}`),
    );
}

/** The state store could not be opened (settings, identity): say so without echoing settings. */
const STORE_UNAVAILABLE = errorResponse(503, {
  error: "internal",
  message: "The incident store is not reachable from this function app; check its state settings and logs.",
});

function redirect(location: string): HttpResponseInit {
  return {
    status: 302,
    headers: { ...BASE_SECURITY_HEADERS, Location: location, "Cache-Control": "no-store" },
  };
}

/**
 * The function app's incident store: the timer's state, from the same app settings (TRIAGE_STATE_TABLE_ENDPOINT
 * with the managed identity, or TRIAGE_STATE_CONNECTION_STRING; see docs/timer.md). Loaded lazily so the
 * dashboard functions' cold start pays for the settings and the Tables SDK only on the first request;
 * the store is cached per worker (openTriageStore), like the timer's.
 */
export async function openAppStateReader(env: Record<string, string | undefined>): Promise<IncidentReader> {
  const [{ loadStateSettings }, { openTriageStore }] = await Promise.all([
    import("../config/settings.js"),
    import("../timer/runtime.js"),
  ]);
  return openTriageStore(loadStateSettings(env));
}

/**
 * Builds the three handlers. `getReader` opens (or returns the cached) incident store; it is called per
 * request so a transient failure to open it is retried on the next request instead of sticking.
 */
export function createDashboardHandlers(
  getReader: () => Promise<IncidentReader>,
): Record<DashboardFunctionName, Handler> {
  async function withReader(
    context: InvocationContext,
    use: (reader: IncidentReader, report: ErrorReporter) => Promise<DashboardResponse>,
  ): Promise<HttpResponseInit> {
    const report = reporterFor(context);
    let reader: IncidentReader;
    try {
      reader = await getReader();
    } catch (err) {
      report("opening the incident store failed", err);
      return toInit(STORE_UNAVAILABLE);
    }
    return toInit(await use(reader, report));
  }

  return {
    incidentsList: (request, context) =>
      withReader(context, (reader, report) => handleListIncidents(reader, request.query, report)),

    incidentGet: (request, context) =>
      withReader(context, (reader, report) => handleGetIncident(reader, request.params["id"] ?? "", report)),

    dashboardPage: async (request, context) => {
      const url = new URL(request.url);
      const path = request.params["path"] ?? "";
      if (path === "" && !url.pathname.endsWith("/")) {
        // The page's relative asset and API URLs need the trailing slash.
        return redirect(`${url.pathname}/${url.search}`);
      }
      if (path.startsWith("/") || path.includes("//")) {
        // `${baseUrl}/#/incidents/…` from a base that already ended in a slash.
        return redirect(url.pathname.replace(/\/{2,}/g, "/") + url.search);
      }
      const functionKey = request.query.get("code") ?? undefined;
      return toInit(
        await serveDashboardAsset(path, {
          ...(functionKey ? { functionKey } : {}),
          reportError: reporterFor(context),
        }),
      );
    },
  };
}
