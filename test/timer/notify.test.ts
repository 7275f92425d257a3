import { describe, expect, it } from "vitest";
import { clip, escapeCardMarkdown } from "../../src/notify/markdown.js";
import { incidentLink } from "../../src/notify/links.js";
import { buildTeamsMessage } from "../../src/notify/teams-card.js";
import type { NotificationView } from "../../src/notify/view.js";
import { buildWebhookPayload, webhookPayloadSchema } from "../../src/notify/webhook-payload.js";
import { expectValidTeamsMessage } from "./card-validation.js";
import { fixtureIncident, minutes, regenerateKeyChange, sdkUpgradeChange } from "./fixtures.js";

function view(over: Partial<NotificationView> = {}): NotificationView {
  const incident = fixtureIncident({
    perMinute: minutes("2026-11-22T10:00:00Z", [3, 4, 5]),
    changes: [regenerateKeyChange("2026-11-22T09:58:00Z"), sdkUpgradeChange("2026-11-22T09:59:00Z")],
    skew: ["failures come from one host while the same key succeeds from 4 others"],
    callers: [
      { ip: "10.1.2.3", userAgent: "azsdk-js-storage-blob/12.26.0", keySlot: "key1", count: 9 },
      { ip: "10.1.2.4", requesterUpn: "svc@contoso.com", count: 3 },
    ],
  });
  return {
    notificationId: `${incident.id}-1`,
    reason: "first-detection",
    detail: "12 failures on contosodata in the last 30m",
    decidedAt: "2026-11-22T10:05:00.000Z",
    status: "open",
    openedAt: "2026-11-22T10:05:00.000Z",
    incident,
    covers: [],
    link: incidentLink("https://triage.example.net/api/dashboard/", incident.id),
    ...over,
  };
}

const cardText = (env: unknown) => JSON.stringify(env);

describe("Teams card", () => {
  it("is a valid Adaptive Card 1.4 in the Workflows envelope, with everything a responder needs", () => {
    const v = view();
    const msg = buildTeamsMessage(v);
    expectValidTeamsMessage(msg.envelope);
    expect(msg.detailLevel).toBe(0);
    const text = cardText(msg.envelope);
    for (const needle of [
      v.incident.id,
      v.notificationId,
      "authentication", // verdict
      "new incident", // reason words
      "12 failures on contosodata",
      "Likely causes",
      "regenerateKey",
      "Clock skew suspected",
      "Top callers",
      "Next steps",
      "The wrong fix to avoid",
      "Do not rotate or regenerate account keys",
    ]) {
      expect(text).toContain(needle);
    }
    const card = msg.envelope.attachments[0]!.content;
    // Details sit behind a show-card so the part shown first fits a phone; the link stays last.
    expect((card.actions as Array<{ type: string; title: string }>).map((a) => [a.type, a.title])).toEqual([
      ["Action.ShowCard", "Details, callers and samples"],
      ["Action.OpenUrl", "Open in dashboard"],
    ]);
    expect(card.actions!.at(-1)).toMatchObject({
      url: `https://triage.example.net/api/dashboard/#/incidents/${v.incident.id}`,
    });
  });

  it("truncates gracefully to fit 24 KB: fewer callers and causes, '+N more' notes", () => {
    const big = view();
    big.incident.callers = Array.from({ length: 50 }, (_, k) => ({
      ip: `10.0.${k}.1`,
      userAgent: "x".repeat(900),
      count: 100 - k,
      firstSeen: big.incident.firstSeen,
      lastSeen: big.incident.lastSeen,
    }));
    big.incident.changes = Array.from({ length: 10 }, (_, k) => ({
      ...regenerateKeyChange(`2026-11-22T09:${String(10 + k)}:00Z`),
      summary: "s".repeat(2000),
      why: "w".repeat(2000),
    }));
    big.incident.operations = Array.from({ length: 80 }, (_, k) => `Operation${k}`);
    big.incident.sampleUris = Array.from(
      { length: 10 },
      (_, k) => `https://a.blob.core.windows.net/c/${"p".repeat(3000)}${k}?sig=abc`,
    );
    big.covers = Array.from({ length: 30 }, (_, k) =>
      fixtureIncident({
        perMinute: minutes("2026-11-22T10:00:00Z", [k + 1]),
        authType: `Type${k}`,
        operations: Array.from({ length: 40 }, (_, j) => `Op${j}`),
      }),
    );
    big.accountWideCause = "Shared Key access is disabled on the account";
    const msg = buildTeamsMessage(big);
    expectValidTeamsMessage(msg.envelope);
    const text = cardText(msg.envelope);
    expect(text).toContain("+42 more callers (see the dashboard)");
    expect(text).toContain("+5 more ranked causes");
    expect(text).toContain("+20 more covered incidents");
    expect(text).not.toContain("sig=abc");
    expect(text).toContain("…"); // long strings were clipped
    // A tighter budget degrades further instead of failing.
    const tight = buildTeamsMessage(big, 7_000);
    expect(tight.detailLevel).toBeGreaterThan(0);
    expectValidTeamsMessage(tight.envelope, 7_000);
    expect(cardText(tight.envelope)).toMatch(/\+\d+ more callers/);
  });

  it("escapes attacker-controlled strings: no links, emphasis, mentions, date functions or new lines", () => {
    const v = view();
    v.incident.callers = [
      {
        ip: "10.0.0.1",
        userAgent:
          "[click](https://evil.example/x) **bold** <at>everyone</at> {{DATE(2017-02-14T06:08:39Z, SHORT)}}\n- injected list",
        count: 50,
        firstSeen: v.incident.firstSeen,
        lastSeen: v.incident.lastSeen,
      },
    ];
    v.incident.sampleObjectKeys = ["_x_"];
    const msg = buildTeamsMessage(v);
    expectValidTeamsMessage(msg.envelope);
    const text = cardText(msg.envelope);
    expect(text).not.toContain("[click](https://evil.example/x)");
    expect(text).toContain("\\\\[click\\\\]\\\\(https:\u200b//evil.example/x\\\\)");
    expect(text).not.toContain("**bold**");
    expect(text).not.toContain("<at>");
    expect(text).not.toContain("{{DATE");
    expect(text).not.toContain("\\n- injected");
  });

  it("a resolved card has no steps and says it is resolved", () => {
    const msg = buildTeamsMessage(
      view({
        reason: "resolved",
        status: "resolved",
        resolvedAt: "2026-11-22T11:00:00.000Z",
        detail: "no failures for 30m",
      }),
    );
    expectValidTeamsMessage(msg.envelope);
    const text = cardText(msg.envelope);
    expect(text).toContain("Resolved:");
    expect(text).not.toContain("Next steps");
    expect(msg.envelope.attachments[0]!.content.body[0]).toMatchObject({ style: "good" });
  });
});

describe("markdown escaping", () => {
  it("neutralises markup and keeps plain text readable", () => {
    expect(escapeCardMarkdown("10.1.2.3")).toBe("10.1.2.3");
    expect(escapeCardMarkdown("a*b_c")).toBe("a\\*b\\_c");
    expect(escapeCardMarkdown("- item")).toBe("\\- item");
    expect(escapeCardMarkdown("1. item")).toBe("1\\. item");
    expect(escapeCardMarkdown("line1\r\nline2")).toBe("line1 line2");
    expect(escapeCardMarkdown("see www.evil.com")).toBe("see www\u200b.evil.com");
    expect(clip("abcdef", 4)).toBe("abc…");
  });
});

describe("generic webhook payload v1", () => {
  it("validates against the published schema and carries the idempotency key", () => {
    const v = view({
      covers: [fixtureIncident({ perMinute: minutes("2026-11-22T10:00:00Z", [2]), authType: "SAS" })],
      accountWideCause: "x",
    });
    const p = buildWebhookPayload(v);
    expect(webhookPayloadSchema.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
    expect(p.schemaVersion).toBe("1.3");
    expect(p.idempotencyKey).toBe(v.notificationId);
    expect(p.incident.link).toBe(v.link);
    expect(p.covers).toHaveLength(1);
    expect(p.incident.causes[0]!.operation).toContain("regenerateKey");
  });

  it("keeps a top caller's overcount, which says its count is an upper bound", () => {
    const incident = fixtureIncident({ perMinute: minutes("2026-11-22T10:00:00Z", [2]) });
    incident.callers = [
      {
        ip: "10.1.0.7",
        count: 27,
        overcount: 26,
        firstSeen: incident.firstSeen,
        lastSeen: incident.lastSeen,
      },
    ];
    const p = buildWebhookPayload(view({ incident }));
    expect(p.incident.topCallers[0]).toMatchObject({ ip: "10.1.0.7", count: 27, overcount: 26 });
    expect(webhookPayloadSchema.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it("rejects a payload missing required fields (the schema can fail)", () => {
    const p = buildWebhookPayload(view()) as unknown as Record<string, unknown>;
    const { idempotencyKey: _drop, ...rest } = p;
    expect(webhookPayloadSchema.safeParse(rest).success).toBe(false);
    expect(webhookPayloadSchema.safeParse({ ...p, schemaVersion: "2" }).success).toBe(false);
  });
});

describe("incidentLink", () => {
  it("builds the dashboard's hash route and encodes the id", () => {
    expect(incidentLink("http://127.0.0.1:7071/api/dashboard", "inc-abc")).toBe(
      "http://127.0.0.1:7071/api/dashboard/#/incidents/inc-abc",
    );
    expect(incidentLink("https://x/", "a/b")).toBe("https://x/#/incidents/a%2Fb");
  });
});
