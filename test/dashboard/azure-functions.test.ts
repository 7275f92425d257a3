import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { createDashboardHandlers, openAppStateReader } from "../../src/dashboard/azure-functions.js";
import type { IncidentListResponse } from "../../src/dashboard/api.js";
import { startAzurite } from "../../src/local/azurite.js";
import { startLocalWebhookReceiver } from "../../src/local/webhook-receiver.js";
import type { IncidentRecord } from "../../src/state/contracts.js";
import { PassThrough } from "node:stream";
import { PAGE_CSP } from "../../src/dashboard/assets.js";
import { FixtureIncidentReader, makeRecord } from "../support/incident-fixtures.js";

/** The Functions handlers in the library's test mode (no host): real HttpRequest and InvocationContext. */

const record = makeRecord({
  account: "alpha",
  decision: "network",
  start: "2026-11-22T10:00:00Z",
  perMinute: [4],
});
const reader = new FixtureIncidentReader([record]);

function context(logs: string[] = []): InvocationContext {
  return new InvocationContext({
    invocationId: "test",
    functionName: "dashboard",
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(" ")}`),
  });
}

const APP = "https://triage.example.azurewebsites.net";

function get(path: string, params: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: "GET", url: APP + path, params });
}

function text(res: HttpResponseInit): string {
  const body = res.body;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  throw new Error(`unexpected body type ${typeof body}`);
}

function header(res: HttpResponseInit, name: string): string | undefined {
  return (res.headers as Record<string, string>)[name];
}

describe("dashboard Azure Functions handlers", () => {
  const handlers = createDashboardHandlers(async () => reader);

  it("incidentsList answers the filtered list, ignoring the function key parameter", async () => {
    const res = await handlers.incidentsList(
      get("/api/incidents?decision=network&code=secretkey"),
      context(),
    );
    expect(res.status).toBe(200);
    expect(header(res, "Content-Type")).toBe("application/json; charset=utf-8");
    expect(header(res, "X-Content-Type-Options")).toBe("nosniff");
    expect(JSON.parse(text(res)).items.map((i: { id: string }) => i.id)).toEqual([record.incident.id]);
    const bad = await handlers.incidentsList(get("/api/incidents?decision=dns"), context());
    expect(bad.status).toBe(400);
    expect(JSON.parse(text(bad)).issues[0].parameter).toBe("decision");
  });

  it("incidentGet answers one incident from the route parameter", async () => {
    const res = await handlers.incidentGet(
      get(`/api/incidents/${record.incident.id}`, { id: record.incident.id }),
      context(),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(text(res)).incident.account).toBe("alpha");
    const missing = await handlers.incidentGet(
      get("/api/incidents/inc-000000000000", { id: "inc-000000000000" }),
      context(),
    );
    expect(missing.status).toBe(404);
  });

  it("dashboardPage serves the page with its CSP and carries the function key into asset URLs", async () => {
    const res = await handlers.dashboardPage(
      get("/api/dashboard/?code=abcKEY%3D%3D", { path: "" }),
      context(),
    );
    expect(res.status).toBe(200);
    expect(header(res, "Content-Security-Policy")).toBe(PAGE_CSP);
    expect(text(res)).toContain(`src="dashboard.js?code=abcKEY%3D%3D"`);
    const css = await handlers.dashboardPage(
      get("/api/dashboard/dashboard.css?code=abcKEY%3D%3D", { path: "dashboard.css" }),
      context(),
    );
    expect(css.status).toBe(200);
    expect(header(css, "Content-Type")).toBe("text/css; charset=utf-8");
    const traversal = await handlers.dashboardPage(
      get("/api/dashboard/../host.json", { path: "../host.json" }),
      context(),
    );
    expect(traversal.status).toBe(404);
  });

  it("dashboardPage redirects to the trailing-slash page URL, keeping the query", async () => {
    const res = await handlers.dashboardPage(get("/api/dashboard?code=k", { path: "" }), context());
    expect(res.status).toBe(302);
    expect(header(res, "Location")).toBe("/api/dashboard/?code=k");
    const doubled = await handlers.dashboardPage(get("/api/dashboard//", { path: "/" }), context());
    expect(header(doubled, "Location")).toBe("/api/dashboard/");
  });

  it("answers 503 without details when the store cannot be opened, and logs the redacted cause", async () => {
    const logs: string[] = [];
    const broken = createDashboardHandlers(async () => {
      throw new Error("cannot open DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0;");
    });
    const res = await broken.incidentsList(get("/api/incidents"), context(logs));
    expect(res.status).toBe(503);
    expect(text(res)).not.toContain("AccountName");
    expect(logs.join("\n")).toContain("AccountKey=REDACTED");
    expect(logs.join("\n")).not.toContain("c2VjcmV0");
  });
});

describe("dashboard functions over the timer's Table state (Azurite)", () => {
  it("list and detail show what a timer run stored, with its notification history", async () => {
    const azurite = await startAzurite();
    const receiver = await startLocalWebhookReceiver(() => {});
    try {
      const sink = new PassThrough();
      sink.resume();
      const ran = await main(
        [
          "run-once",
          "--logs",
          "samples/logs",
          "--activity",
          "samples/activity",
          "--webhook",
          receiver.teamsUrl,
          "--state",
          azurite.connectionString,
          "--now",
          "2026-11-20T10:00:00Z",
        ],
        { stdout: sink, stderr: sink, env: {} },
      );
      expect(ran).toBe(0);

      // The dashboard reads only the state store's settings: no source or webhook is needed to serve it.
      const env = { TRIAGE_STATE_CONNECTION_STRING: azurite.connectionString };
      const handlers = createDashboardHandlers(() => openAppStateReader(env));
      const listed = await handlers.incidentsList(
        get("/api/incidents?account=stfuncruntime07&status=open"),
        context(),
      );
      expect(listed.status, text(listed)).toBe(200);
      const list = JSON.parse(text(listed)) as IncidentListResponse;
      expect(list.total).toBeGreaterThan(0);
      expect(list.items.every((i) => i.account === "stfuncruntime07" && i.status === "open")).toBe(true);
      expect(list.items.map((i) => i.decision)).toContain("policy");

      const first = list.items[0]!;
      const detailed = await handlers.incidentGet(
        get(`/api/incidents/${first.id}`, { id: first.id }),
        context(),
      );
      expect(detailed.status).toBe(200);
      const record = JSON.parse(text(detailed)) as IncidentRecord;
      expect(record.incident.id).toBe(first.id);
      const history = [...record.notifications];
      // The first incident of an account-wide cause is announced; one it covers may have no message of its own.
      const anyAnnounced = await Promise.all(
        list.items.map(async (i) => {
          const r = await handlers.incidentGet(get(`/api/incidents/${i.id}`, { id: i.id }), context());
          return (JSON.parse(text(r)) as IncidentRecord).notifications;
        }),
      );
      history.push(...anyAnnounced.flat());
      expect(history.some((n) => n.reason === "first-detection" && n.outcome === "sent")).toBe(true);
    } finally {
      await receiver.close();
      await azurite.stop();
    }
  });

  it("answers 503 and logs the settings problem when the app has no state store configured", async () => {
    const logs: string[] = [];
    const handlers = createDashboardHandlers(() => openAppStateReader({ TRIAGE_LOGS: "samples/logs" }));
    const res = await handlers.incidentsList(get("/api/incidents"), context(logs));
    expect(res.status).toBe(503);
    expect(logs.join("\n")).toMatch(/TRIAGE_STATE/);
  });
});
