import { createRequire } from "node:module";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../src/model/incident.js";
import { buildTeamsMessage, type AdaptiveCardJson } from "../../src/notify/teams-card.js";
import type { NotificationView } from "../../src/notify/view.js";
import { buildWebhookPayload, webhookPayloadSchema } from "../../src/notify/webhook-payload.js";
import { launchChromium } from "../support/browser.js";
import { classicIncidents } from "../support/classic-incidents.js";
import { expectValidTeamsMessage } from "./card-validation.js";

/** A classic `$logs` status that leaves the verdict open is said on the card and in the webhook, as in the text report. */

function viewOf(incident: Incident): NotificationView {
  return {
    notificationId: `${incident.id}-1`,
    reason: "first-detection",
    detail: `${incident.count} failures on ${incident.account}`,
    decidedAt: incident.lastSeen,
    status: "open",
    openedAt: incident.firstSeen,
    incident,
    covers: [],
    link: `https://triage.example.net/api/dashboard/#/incidents/${incident.id}`,
  };
}

/** Every TextBlock text in a card body (recursing into containers), in order. */
function texts(items: unknown[]): string[] {
  const out: string[] = [];
  for (const item of items as Array<Record<string, unknown>>) {
    if (item["type"] === "TextBlock") out.push(String(item["text"]));
    if (Array.isArray(item["items"])) out.push(...texts(item["items"]));
  }
  return out;
}

function detailsBody(card: AdaptiveCardJson): unknown[] {
  const action = (card.actions as Array<{ title: string; card?: { body: unknown[] } }>).find((a) =>
    a.title.startsWith("Details"),
  );
  return action!.card!.body;
}

const require = createRequire(import.meta.url);
const AC_BUNDLE = require.resolve("adaptivecards/dist/adaptivecards.min.js");
const AC_CSS = require.resolve("adaptivecards/dist/adaptivecards.css");

let incidents: Incident[];
let browser: Browser | undefined;

beforeAll(async () => {
  incidents = await classicIncidents();
});
afterAll(async () => {
  await browser?.close();
});

describe("ambiguous verdict on the Teams card", () => {
  it("says it in one short line first, and what narrows it under the details; the card stays valid", () => {
    const open = incidents.filter((i) => i.ambiguous);
    expect(open.length).toBeGreaterThan(0);
    for (const incident of open) {
      const { envelope } = buildTeamsMessage(viewOf(incident));
      expectValidTeamsMessage(envelope);
      const card = envelope.attachments[0]!.content;
      const first = texts(card.body).filter((t) => t.includes("Ambiguous"));
      expect(first).toEqual([`**Ambiguous:** ${incident.ambiguous!.between.join(" or ")} (see details)`]);
      const detail = texts(detailsBody(card)).filter((t) => t.includes("Ambiguous"));
      expect(detail).toHaveLength(1);
      expect(detail[0]).toContain(
        `**Ambiguous:** the logged status leaves ${incident.ambiguous!.between.join(" or ")} open; narrow it by `,
      );
      // The narrowing words are there (escaped for the card's Markdown, so compare a plain prefix).
      expect(detail[0]).toContain(incident.ambiguous!.narrowedBy.split(/[^\w ]/)[0]!);
    }
  });

  it("on a phone (adaptivecards in Chromium, 400 px) the first-shown line takes one line", async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 400, height: 800 } });
    await page.setContent(
      `<!doctype html><html><body style="margin:0;font-family:'Segoe UI',Arial,sans-serif;font-size:14px"><div id="host" style="width:400px"></div></body></html>`,
    );
    await page.addStyleTag({ path: AC_CSS });
    await page.addScriptTag({ path: AC_BUNDLE });
    // The longest pair of verdicts a classic status leaves open.
    const widest = incidents
      .filter((i) => i.ambiguous)
      .sort((a, b) => b.ambiguous!.between.join().length - a.ambiguous!.between.join().length)[0]!;
    const card = buildTeamsMessage(viewOf(widest)).envelope.attachments[0]!.content;
    const lines = await page.evaluate(
      (json) => {
        // Runs in the page (no DOM types in the test tsconfig).
        type El = {
          innerText: string;
          getBoundingClientRect(): { height: number };
          querySelectorAll(s: string): ArrayLike<El>;
        };
        const g = globalThis as unknown as {
          AdaptiveCards: typeof import("adaptivecards");
          getComputedStyle(e: El): { lineHeight: string };
          document: { getElementById(id: string): { replaceChildren(node: unknown): void } };
        };
        const c = new g.AdaptiveCards.AdaptiveCard();
        c.parse(json);
        const root = c.render() as unknown as El;
        g.document.getElementById("host").replaceChildren(root);
        const blocks = Array.from(root.querySelectorAll(".ac-textBlock"));
        // Without a Markdown processor the renderer shows the asterisks as they are.
        const block = blocks.find((b) => b.innerText.includes("Ambiguous:"))!;
        const p = Array.from(block.querySelectorAll("p"))[0] ?? block;
        return p.getBoundingClientRect().height / parseFloat(g.getComputedStyle(p).lineHeight);
      },
      card as unknown as object,
    );
    expect(lines).toBeGreaterThan(0.5);
    expect(lines).toBeLessThan(1.5);
    await page.close();
  });

  it("says nothing about it when the status decides the verdict", () => {
    const decided = incidents.filter((i) => !i.ambiguous);
    expect(decided.length).toBeGreaterThan(0);
    for (const incident of decided) {
      const card = buildTeamsMessage(viewOf(incident)).envelope.attachments[0]!.content;
      expect(JSON.stringify(card)).not.toContain("Ambiguous");
    }
  });

  it("escapes the narrowing text: log-derived Markdown cannot inject links or emphasis", () => {
    const incident = incidents.find((i) => i.ambiguous)!;
    const hostile: Incident = {
      ...incident,
      ambiguous: {
        between: incident.ambiguous!.between,
        narrowedBy: "[click](https://evil.example) **now**",
      },
    };
    const { envelope } = buildTeamsMessage(viewOf(hostile));
    expectValidTeamsMessage(envelope);
    const detail = texts(detailsBody(envelope.attachments[0]!.content)).find((t) => t.includes("Ambiguous"))!;
    expect(detail).not.toContain("[click](");
    expect(detail).not.toContain("**now**");
    expect(detail).toContain("click");
  });
});

describe("ambiguous verdict in the generic webhook", () => {
  it("carries incident.ambiguous (schema 1.2) when set, and validates", () => {
    const incident = incidents.find((i) => i.ambiguous)!;
    const p = buildWebhookPayload(viewOf(incident));
    expect(webhookPayloadSchema.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
    expect(p.schemaVersion).toBe("1.3");
    expect(p.incident.ambiguous).toEqual(incident.ambiguous);
    expect(p.incident.decision).toBe(incident.decision);
    expect(incident.ambiguous!.between).toContain(p.incident.decision);
  });

  it("leaves it out when the status decides the verdict", () => {
    const p = buildWebhookPayload(viewOf(incidents.find((i) => !i.ambiguous)!));
    expect(p.incident).not.toHaveProperty("ambiguous");
  });
});
