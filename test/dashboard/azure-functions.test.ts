import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createDashboardHandlers } from "../../src/dashboard/azure-functions.js";
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
