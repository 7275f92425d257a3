import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_ASSET_PATHS, PAGE_CSP, withKeyedAssetUrls } from "../../src/dashboard/assets.js";
import { startDashboardServer, type DashboardServer } from "../../src/dashboard/server.js";
import { FixtureIncidentReader, makeRecord } from "../support/incident-fixtures.js";
import { serveFixtures } from "../support/serve-fixtures.js";

/** Raw HTTP so paths reach the server exactly as written (fetch would normalise `..`). */
function rawGet(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const record = makeRecord({
  account: "alpha",
  decision: "rbac",
  start: "2026-11-22T10:00:00Z",
  perMinute: [1, 2],
});
let server: DashboardServer;

beforeAll(async () => {
  server = await serveFixtures([record]);
});
afterAll(async () => server?.close());

describe("local dashboard server", () => {
  it("listens on loopback and reports the page URL without a trailing slash (the incidentLink base)", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/dashboard$/);
    expect(server.origin).toBe(server.url.replace(/\/api\/dashboard$/, ""));
  });

  it("serves the page with a strict CSP and every asset the page references", async () => {
    const page = await rawGet(server.origin, "/api/dashboard/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'self'");
    expect(PAGE_CSP).not.toContain("unsafe");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["cache-control"]).toBe("no-store");
    const referenced = [...page.body.matchAll(/(?:href|src)="([^"#]+)"/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThanOrEqual(4);
    for (const asset of referenced) {
      expect(DASHBOARD_ASSET_PATHS).toContain(asset);
      const res = await rawGet(server.origin, `/api/dashboard/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.body.length, asset).toBeGreaterThan(100);
    }
    const uplot = await rawGet(server.origin, "/api/dashboard/vendor/uplot/uPlot.iife.min.js");
    expect(uplot.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(uplot.body).toContain("uPlot");
  });

  it("redirects / and /api/dashboard to the page, keeping the query", async () => {
    expect((await rawGet(server.origin, "/")).headers.location).toBe("/api/dashboard/");
    expect((await rawGet(server.origin, "/api/dashboard?x=1")).headers.location).toBe("/api/dashboard/?x=1");
    const doubled = await rawGet(server.origin, "/api/dashboard//");
    expect(doubled.status).toBe(302);
    expect(doubled.headers.location).toBe("/api/dashboard/");
  });

  it.each([
    "/api/dashboard/../../package.json",
    "/api/dashboard/..%2f..%2fpackage.json",
    "/api/dashboard/%2e%2e/%2e%2e/package.json",
    "/api/dashboard/..\\..\\package.json",
    "/api/dashboard/vendor/uplot/../../../../package.json",
    "/api/dashboard/vendor/uplot/package.json",
    "/api/dashboard/assets.ts",
    "/api/dashboard//etc/passwd",
    "/api/dashboard/%00index.html",
    "/api/dashboard/index.html%00.js",
    "/api/dashboard/INDEX.HTML",
    "/api/dashboard/constructor",
    "/api/dashboard/__proto__",
  ])("never serves a file outside the allow-list: %s", async (path) => {
    const res = await rawGet(server.origin, path);
    if (res.status === 302) {
      // Only the slash-collapsing redirect, and it stays inside the dashboard.
      expect(res.headers.location).toMatch(/^\/api\/dashboard\//);
      const followed = await rawGet(server.origin, String(res.headers.location));
      expect([404]).toContain(followed.status);
      return;
    }
    expect(res.status).toBe(404);
    expect(res.body).not.toContain("storage-auth-triage");
    expect(res.body).not.toContain("root:");
  });

  it("serves the API, including ids that need percent-encoding", async () => {
    const list = await rawGet(server.origin, "/api/incidents?limit=5");
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body).items[0].id).toBe(record.incident.id);
    const one = await rawGet(server.origin, `/api/incidents/${encodeURIComponent(record.incident.id)}`);
    expect(one.status).toBe(200);
    expect((await rawGet(server.origin, "/api/incidents/inc-%2Fx")).status).toBe(404);
    expect((await rawGet(server.origin, "/api/incidents/%E0%A4%A")).status).toBe(400);
    expect((await rawGet(server.origin, "/api/incidents?limit=nope")).status).toBe(400);
    expect((await rawGet(server.origin, "/api/nothing")).status).toBe(404);
  });

  it("answers HEAD without a body and refuses other methods", async () => {
    const head = await rawGet(server.origin, "/api/incidents", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    const post = await rawGet(server.origin, "/api/incidents", { "content-length": "0" }, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });

  it("refuses requests whose Host is not its loopback address (DNS rebinding)", async () => {
    const { port } = new URL(server.origin);
    const rebound = await rawGet(server.origin, "/api/incidents", { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain(record.incident.id);
    expect((await rawGet(server.origin, "/api/incidents", { host: `localhost:${port}` })).status).toBe(200);
  });

  it("refuses to listen anywhere but loopback", async () => {
    await expect(
      startDashboardServer({
        reader: new FixtureIncidentReader([]),
        host: "0.0.0.0" as "127.0.0.1",
        port: 0,
      }),
    ).rejects.toThrow(/loopback only/);
  });
});

describe("function-key propagation into the page", () => {
  const html = `<link rel="stylesheet" href="dashboard.css" /><script src="vendor/uplot/uPlot.iife.min.js" defer></script><a href="#/">x</a>`;

  it("adds the key to the page's own asset URLs so the Functions host lets them through", () => {
    expect(withKeyedAssetUrls(html, "abc+/=_-KEY==")).toBe(
      `<link rel="stylesheet" href="dashboard.css?code=abc%2B%2F%3D_-KEY%3D%3D" /><script src="vendor/uplot/uPlot.iife.min.js?code=abc%2B%2F%3D_-KEY%3D%3D" defer></script><a href="#/">x</a>`,
    );
  });

  it("ignores anything that is not key-shaped", () => {
    expect(withKeyedAssetUrls(html, `"><script>alert(1)</script>`)).toBe(html);
    expect(withKeyedAssetUrls(html, undefined)).toBe(html);
  });
});
