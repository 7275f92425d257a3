import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { sanitizeOutbound } from "../redact.js";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { IncidentReader } from "../state/contracts.js";
import { handleGetIncident, handleListIncidents, type ErrorReporter } from "./api.js";
import { serveDashboardAsset } from "./assets.js";
import { BASE_SECURITY_HEADERS, errorResponse, type DashboardResponse } from "./http.js";

/**
 * Local dashboard server (node:http) on loopback only. It mirrors the Azure routes exactly, so the page
 * finds its API the same way in both places:
 *   GET /api/dashboard/{path}   the page and its assets (`/` and `/api/dashboard` redirect here)
 *   GET /api/incidents          list
 *   GET /api/incidents/{id}     one incident
 * No key is asked on loopback; the Host header must name the loopback address, which stops DNS-rebinding
 * pages on other origins from reading the API through the user's browser.
 */

export const DASHBOARD_PAGE_PATH = "/api/dashboard/";

const LOOPBACK_HOSTS = ["127.0.0.1", "::1", "localhost"] as const;

export const dashboardServerOptionsSchema = z.object({
  host: z.enum(LOOPBACK_HOSTS, {
    error:
      "host: the local dashboard serves on loopback only (127.0.0.1, ::1 or localhost); use the Azure deployment to share it",
  }),
  port: z
    .number({ error: "port: expected a number from 0 to 65535 (0 picks a free port)" })
    .int({ error: "port: expected a whole number" })
    .min(0, { error: "port: expected a number from 0 to 65535" })
    .max(65535, { error: "port: expected a number from 0 to 65535" }),
});

export interface DashboardServerOptions {
  reader: IncidentReader;
  host: "127.0.0.1" | "::1" | "localhost";
  port: number;
  /** Where store failures are reported (never to the client); defaults to stderr. */
  reportError?: ErrorReporter;
}

export interface DashboardServer {
  /**
   * The page URL without a trailing slash, e.g. http://127.0.0.1:7071/api/dashboard: the `baseUrl` for
   * incidentLink(), which appends `/#/incidents/<id>`.
   */
  url: string;
  /** Origin, e.g. http://127.0.0.1:7071 */
  origin: string;
  close(): Promise<void>;
}

/** Host header values accepted for a server listening on `port`. */
function allowedHostHeaders(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

function redirect(location: string): DashboardResponse {
  return {
    status: 302,
    headers: { ...BASE_SECURITY_HEADERS, Location: location, "Cache-Control": "no-store" },
    body: "",
  };
}

/** Routes one request. Exported for tests that want the routing without a socket. */
export async function routeDashboardRequest(
  reader: IncidentReader,
  method: string,
  rawUrl: string,
  reportError?: ErrorReporter,
): Promise<DashboardResponse> {
  let url: URL;
  try {
    // Concatenate rather than resolve: a target such as `//evil.example/x` must stay a path here.
    if (!rawUrl.startsWith("/")) throw new Error("not origin-form");
    url = new URL("http://loopback.invalid" + rawUrl);
  } catch {
    return errorResponse(400, { error: "bad-request", message: "Malformed request URL." });
  }
  if (method !== "GET" && method !== "HEAD") {
    return errorResponse(
      405,
      { error: "method-not-allowed", message: "Only GET is supported." },
      { Allow: "GET, HEAD" },
    );
  }
  const path = url.pathname;
  if (path.startsWith("/api/dashboard/") && path.includes("//")) {
    // `${baseUrl}/#/incidents/…` built from a base with a trailing slash: normalise, keeping the hash.
    return redirect(path.replace(/\/{2,}/g, "/") + url.search);
  }
  if (path === "/" || path === "/api/dashboard" || path === "/dashboard" || path === "/dashboard/") {
    return redirect(DASHBOARD_PAGE_PATH + url.search);
  }
  if (path.startsWith(DASHBOARD_PAGE_PATH)) {
    // The asset name is looked up verbatim in an allow-list; it is never joined onto a filesystem path.
    return serveDashboardAsset(path.slice(DASHBOARD_PAGE_PATH.length), reportError ? { reportError } : {});
  }
  if (path === "/api/incidents") {
    return handleListIncidents(reader, url.searchParams, reportError);
  }
  if (path.startsWith("/api/incidents/")) {
    const segment = path.slice("/api/incidents/".length);
    let id: string;
    try {
      id = decodeURIComponent(segment);
    } catch {
      return errorResponse(400, {
        error: "bad-request",
        message: "id: the incident id is not valid percent-encoding.",
      });
    }
    if (segment.includes("/")) {
      return errorResponse(404, { error: "not-found", message: "Unknown API path." });
    }
    return handleGetIncident(reader, id, reportError);
  }
  return errorResponse(404, {
    error: "not-found",
    message: `Nothing here; the dashboard is at ${DASHBOARD_PAGE_PATH}`,
  });
}

function send(res: ServerResponse, response: DashboardResponse, headOnly: boolean): void {
  const body = typeof response.body === "string" ? Buffer.from(response.body, "utf8") : response.body;
  res.writeHead(response.status, { ...response.headers, "Content-Length": String(body.byteLength) });
  res.end(headOnly ? undefined : body);
}

const defaultReporter: ErrorReporter = (message, error) => {
  process.stderr.write(
    sanitizeOutbound(`dashboard: ${message}: ${error instanceof Error ? error.message : String(error)}\n`),
  );
};

/** Starts the local dashboard on loopback. `port: 0` picks a free port; the returned url says which. */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const checked = dashboardServerOptionsSchema.parse({ host: options.host, port: options.port });
  const reportError = options.reportError ?? defaultReporter;
  let hosts = new Set<string>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    if (!hosts.has((req.headers.host ?? "").toLowerCase())) {
      send(
        res,
        errorResponse(421, {
          error: "misdirected-request",
          message: "This server only answers to its loopback address.",
        }),
        false,
      );
      return;
    }
    routeDashboardRequest(options.reader, method, req.url ?? "/", reportError).then(
      (response) => send(res, response, method === "HEAD"),
      (err: unknown) => {
        reportError("request failed", err);
        send(res, errorResponse(500, { error: "internal", message: "Internal error." }), false);
      },
    );
  });
  server.keepAliveTimeout = 2000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(checked.port, checked.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  hosts = allowedHostHeaders(address.port);
  const hostInUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const origin = `http://${hostInUrl}:${address.port}`;
  return {
    url: origin + DASHBOARD_PAGE_PATH.replace(/\/$/, ""),
    origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
