import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardServer } from "../../src/dashboard/server.js";
import type { Remedy } from "../../src/model/incident.js";
import type { IncidentRecord } from "../../src/state/contracts.js";
import { artifactPath, launchChromium } from "../support/browser.js";
import { makeRecord } from "../support/incident-fixtures.js";
import { serveFixtures } from "../support/serve-fixtures.js";
import { generateScenario } from "../sim/scenarios.js";
import { analyzedIncidents } from "../support/analyzed-incidents.js";

/** The dashboard's detail view shows the remedy with a working copy button, and hostile strings stay text. */

const HOSTILE = `<img src=x onerror="window.__xss=1">'; rm -rf ~ #`;

let browser: Browser;
let context: BrowserContext;
let server: DashboardServer;
let records: IncidentRecord[];

async function remedyOf(scenario: string): Promise<Remedy> {
  const incidents = await analyzedIncidents(generateScenario(scenario));
  return incidents.find((i) => i.authType === "AccountKey" || i.authType === "SAS")!.remedy!;
}

beforeAll(async () => {
  const policy = makeRecord({
    account: "stfuncruntime07",
    decision: "policy",
    start: "2026-11-20T09:16:00Z",
    perMinute: [3, 3],
  });
  policy.incident.remedy = await remedyOf("shared-key-disabled");
  const hostile = makeRecord({
    account: "hostile",
    decision: "sas",
    start: "2026-11-20T09:16:00Z",
    perMinute: [2],
  });
  hostile.incident.remedy = {
    kind: "replace-sas",
    change: HOSTILE,
    commands: [
      { purpose: HOSTILE, command: `echo ${HOSTILE}`, placeholders: [{ name: HOSTILE, reason: HOSTILE }] },
    ],
    whyNarrowest: HOSTILE,
    wrongIf: [HOSTILE],
    facts: [{ label: HOSTILE, value: HOSTILE }],
    bicep: HOSTILE,
  };
  records = [policy, hostile];
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: { width: 1200, height: 1000 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
  server = await serveFixtures(records);
});

afterAll(async () => {
  await server?.close();
  await context?.close();
  await browser?.close();
});

async function openDetail(id: string) {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${server.url}/#/incidents/${encodeURIComponent(id)}`);
  await page.waitForSelector("#detail .remedy");
  return { page, problems };
}

describe("dashboard: exact fix in the detail view", () => {
  it("shows the change, every command with its purpose, the risky path marked, and copies a command exactly", async () => {
    const rec = records[0]!;
    const remedy = rec.incident.remedy!;
    const { page, problems } = await openDetail(rec.incident.id);
    expect(await page.textContent(".remedy-change")).toBe(remedy.change);
    const shown = await page.$$eval(".remedy-code code", (n) => n.map((x) => x.textContent));
    expect(shown).toEqual(remedy.commands.map((c) => c.command));
    expect(await page.$$eval(".remedy-command.risky", (n) => n.length)).toBe(1);
    expect(await page.textContent(".remedy")).toContain("<caller-identity-object-id>");
    // The exact fix comes before the guidance panels.
    const order = await page.$$eval("#detail > *", (n) => n.map((x) => x.className));
    expect(order.indexOf("remedy")).toBeLessThan(order.indexOf("guidance-grid"));
    await page.click(".remedy-command:nth-child(2) .copy");
    // A locator wait, not a string predicate: the page's CSP forbids eval, and Playwright evals string predicates.
    await page.locator(".remedy-command:nth-child(2) .copy", { hasText: "Copied" }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(remedy.commands[1]!.command);
    await page.screenshot({ path: artifactPath("remedy.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("renders hostile remedy strings as text; nothing runs", async () => {
    const { page, problems } = await openDetail(records[1]!.incident.id);
    const text = (await page.textContent(".remedy"))!;
    expect(text.split(HOSTILE).length - 1).toBeGreaterThanOrEqual(6);
    await page.waitForTimeout(200);
    expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
    expect(await page.$$eval(".remedy img", (n) => n.length)).toBe(0);
    await page.click(".remedy .copy");
    await page.locator(".remedy .copy", { hasText: "Copied" }).first().waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(`echo ${HOSTILE}`);
    expect(problems).toEqual([]);
    await page.close();
  });
});
