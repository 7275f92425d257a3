import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardServer } from "../../src/dashboard/server.js";
import type { Incident } from "../../src/model/incident.js";
import type { IncidentRecord } from "../../src/state/contracts.js";
import { artifactPath, launchChromium } from "../support/browser.js";
import { classicIncidents } from "../support/classic-incidents.js";
import { makeRecord } from "../support/incident-fixtures.js";
import { serveFixtures } from "../support/serve-fixtures.js";

/** The detail view says when a classic `$logs` status leaves the verdict open, in the text report's words. */

const HOSTILE = `<img src=x onerror="window.__xss=1"> narrow by <b>nothing</b>`;

let browser: Browser;
let server: DashboardServer;
let ambiguous: Incident;
let decided: Incident;
let hostile: IncidentRecord;

function recordOf(incident: Incident): IncidentRecord {
  const base = makeRecord({
    account: incident.account,
    decision: incident.decision,
    start: incident.firstSeen,
    perMinute: [1],
  });
  return { ...base, incident };
}

beforeAll(async () => {
  const incidents = await classicIncidents();
  ambiguous = incidents.find((i) => i.ambiguous)!;
  decided = incidents.find((i) => !i.ambiguous)!;
  hostile = makeRecord({
    account: "hostile",
    decision: "rbac",
    start: "2026-11-20T09:16:00Z",
    perMinute: [2],
  });
  hostile.incident.ambiguous = { between: ["rbac", "policy"], narrowedBy: HOSTILE };
  browser = await launchChromium();
  server = await serveFixtures([recordOf(ambiguous), recordOf(decided), hostile]);
});

afterAll(async () => {
  await server?.close();
  await browser?.close();
});

async function openDetail(id: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${server.url}/#/incidents/${encodeURIComponent(id)}`);
  // A locator wait, never a string predicate: the page's CSP forbids eval.
  await page.locator("#detail .detail-title h1").waitFor();
  return { page, problems };
}

describe("dashboard: ambiguous verdict in the detail view", () => {
  it("shows which verdicts the logged status leaves open and what narrows them", async () => {
    expect(ambiguous).toBeDefined();
    const { page, problems } = await openDetail(ambiguous.id);
    const line = page.locator("#detail .detail-ambiguous");
    await line.waitFor();
    expect(await line.textContent()).toBe(
      `Ambiguous: the logged status leaves ${ambiguous.ambiguous!.between.join(" or ")} open; narrow it by ${ambiguous.ambiguous!.narrowedBy}`,
    );
    // Under the title, before the exact fix.
    expect(await page.locator("#detail .detail-head .detail-ambiguous").count()).toBe(1);
    await page.screenshot({ path: artifactPath("ambiguous-detail.png") });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows nothing of the kind when the status decides the verdict", async () => {
    const { page, problems } = await openDetail(decided.id);
    expect(await page.locator("#detail .detail-ambiguous").count()).toBe(0);
    expect(await page.locator("#detail").textContent()).not.toContain("Ambiguous");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("renders a hostile narrowing text as text; nothing runs", async () => {
    const { page, problems } = await openDetail(hostile.incident.id);
    const line = page.locator("#detail .detail-ambiguous");
    await line.waitFor();
    expect(await line.textContent()).toContain(HOSTILE);
    expect(await line.locator("img, b").count()).toBe(0);
    expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
    expect(problems).toEqual([]);
    await page.close();
  });
});
