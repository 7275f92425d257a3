import { createRequire } from "node:module";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../src/model/incident.js";
import { buildTeamsMessage, type TeamsEnvelope } from "../../src/notify/teams-card.js";
import type { NotificationView } from "../../src/notify/view.js";
import { artifactPath, launchChromium } from "../support/browser.js";
import { generateAll } from "../sim/scenarios.js";
import { expectValidTeamsMessage } from "./card-validation.js";
import { analyzedIncidents } from "../support/analyzed-incidents.js";

const require = createRequire(import.meta.url);
const AC_BUNDLE = require.resolve("adaptivecards/dist/adaptivecards.min.js");
const AC_CSS = require.resolve("adaptivecards/dist/adaptivecards.css");

/** A phone in portrait: the first-shown part must stay about one screen tall. */
const PHONE_WIDTH = 400;
const FIRST_SHOWN_MAX_PX = 1000;

function viewOf(incident: Incident): NotificationView {
  return {
    notificationId: `${incident.id}-1`,
    reason: "first-detection",
    detail: `${incident.count} failures (${incident.statusCode} ${incident.errorCode}, ${incident.authType}) on ${incident.account} in the last 30m, at or above the threshold of 5`,
    decidedAt: incident.lastSeen,
    status: "open",
    openedAt: incident.firstSeen,
    incident,
    covers: [],
    link: `https://triage.example.net/api/dashboard/#/incidents/${incident.id}`,
  };
}

let browser: Browser;
let incidents: Incident[];

beforeAll(async () => {
  browser = await launchChromium();
  incidents = await analyzedIncidents(generateAll({}));
});

afterAll(async () => {
  await browser?.close();
});

/**
 * Renders cards with the adaptivecards renderer in one Chromium page (loading the bundle once); returns
 * each card's height and text.
 */
async function render(
  envelopes: TeamsEnvelope[],
  shot?: string,
): Promise<Array<{ height: number; text: string }>> {
  const page = await browser.newPage({ viewport: { width: PHONE_WIDTH, height: 800 } });
  try {
    await page.setContent(
      `<!doctype html><html><body style="margin:0;font-family:'Segoe UI',Arial,sans-serif;font-size:14px"><div id="host" style="width:${PHONE_WIDTH}px"></div></body></html>`,
    );
    await page.addStyleTag({ path: AC_CSS });
    await page.addScriptTag({ path: AC_BUNDLE });
    const out: Array<{ height: number; text: string }> = [];
    for (const envelope of envelopes) {
      out.push(
        await page.evaluate(
          (card) => {
            // Runs in the page (no DOM types in the test tsconfig): the renderer's global and the host div.
            const g = globalThis as unknown as {
              AdaptiveCards: typeof import("adaptivecards");
              document: { getElementById(id: string): { replaceChildren(node: unknown): void } };
            };
            const c = new g.AdaptiveCards.AdaptiveCard();
            c.parse(card);
            const el = c.render() as unknown as {
              getBoundingClientRect(): { height: number };
              innerText: string;
            };
            g.document.getElementById("host").replaceChildren(el);
            return { height: el.getBoundingClientRect().height, text: el.innerText };
          },
          envelope.attachments[0]!.content as unknown as object,
        ),
      );
    }
    if (shot) await page.screenshot({ path: artifactPath(shot), fullPage: true });
    return out;
  } finally {
    await page.close();
  }
}

describe("Teams card on a phone (adaptivecards in Chromium, 400 px wide)", () => {
  it(
    "every story's card validates, and its first-shown part (verdict, cause, fix, wrong fix) is at most ~1000 px tall",
    { timeout: 180_000 },
    async () => {
      expect(incidents.length).toBeGreaterThanOrEqual(10);
      const envelopes = incidents.map((incident) => buildTeamsMessage(viewOf(incident)).envelope);
      for (const env of envelopes) expectValidTeamsMessage(env);
      const rendered = await render(envelopes, "card-phone-last.png");
      for (const [k, incident] of incidents.entries()) {
        const { height, text } = rendered[k]!;
        expect(height, "the card rendered").toBeGreaterThan(200);
        expect(height, `${incident.account} ${incident.authType} ${incident.errorCode}`).toBeLessThanOrEqual(
          FIRST_SHOWN_MAX_PX,
        );
        // What is shown first, in this order; callers and samples are not among it.
        const order = ["Verdict", "Most likely cause", "Exact fix", "Wrong fix to avoid"].map((h) =>
          text.indexOf(h),
        );
        expect(
          order.every((p) => p >= 0),
          `${incident.account}: ${text}`,
        ).toBe(true);
        expect([...order].sort((a, b) => a - b)).toEqual(order);
        expect(text).not.toContain("Top callers");
        expect(text).not.toContain("Sample requests");
        expect(text).toContain("Details, callers and samples");
        // Human-readable times, not ISO stamps.
        expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
        const first = incident.remedy!.commands[0];
        if (first) expect(text).toContain(first.command.slice(0, 40));
        else expect(text).toContain("No command");
      }
    },
  );

  it(
    "stays within the height when every string is as long as a log allows",
    { timeout: 120_000 },
    async () => {
      const base = incidents.find((i) => i.decision === "policy")!;
      const long = structuredClone(base);
      long.account = "a".repeat(24);
      long.changes = long.changes.map((c) => ({ ...c, summary: "s ".repeat(1000), caller: "c".repeat(300) }));
      long.guidance = { ...long.guidance, avoid: long.guidance.avoid.map(() => "w ".repeat(500)) };
      long.remedy = {
        ...long.remedy!,
        change: "x ".repeat(2000),
        commands: long.remedy!.commands.map((c) => ({ ...c, command: `az ${"--flag value ".repeat(300)}` })),
      };
      const msg = buildTeamsMessage(viewOf(long));
      expectValidTeamsMessage(msg.envelope);
      const height = (await render([msg.envelope], "card-phone-worst-case.png"))[0]!.height;
      console.log(`worst-case first-shown height: ${height}px`);
      expect(height).toBeGreaterThan(500);
      expect(height).toBeLessThanOrEqual(FIRST_SHOWN_MAX_PX);
    },
  );
});
