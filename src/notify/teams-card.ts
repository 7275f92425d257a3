import type { CallerSummary, ChangeCandidate, Incident } from "../model/incident.js";
import { redactSecrets } from "../redact.js";
import { clip, escapeCardMarkdown } from "./markdown.js";
import { REASON_WORDS, type NotificationView } from "./view.js";

/**
 * The Teams message: an Adaptive Card 1.4 inside the envelope the Workflows "When a Teams webhook request
 * is received" trigger expects. Teams rejects messages above ~28 KB, so the card is rendered at
 * decreasing levels of detail until it fits `TEAMS_MAX_BYTES` (fewer callers, causes and samples first,
 * then shorter text); every cut list ends with a "+N more" line pointing to the dashboard.
 */
export const TEAMS_MAX_BYTES = 24 * 1024;
export const CARD_VERSION = "1.4";

export interface TeamsEnvelope {
  type: "message";
  attachments: Array<{
    contentType: "application/vnd.microsoft.card.adaptive";
    contentUrl: null;
    content: AdaptiveCardJson;
  }>;
}

export interface AdaptiveCardJson {
  $schema: string;
  type: "AdaptiveCard";
  version: string;
  body: unknown[];
  actions?: unknown[];
  msteams?: { width: "Full" };
}

interface DetailLevel {
  callers: number;
  causes: number;
  samples: number;
  operations: number;
  covers: number;
  evidence: number;
  steps: number;
  /** Max characters of any one log-derived string. */
  textChars: number;
}

const LEVELS: DetailLevel[] = [
  { callers: 8, causes: 5, samples: 3, operations: 12, covers: 10, evidence: 5, steps: 8, textChars: 400 },
  { callers: 5, causes: 3, samples: 2, operations: 8, covers: 6, evidence: 3, steps: 6, textChars: 240 },
  { callers: 3, causes: 2, samples: 1, operations: 5, covers: 4, evidence: 2, steps: 5, textChars: 160 },
  { callers: 2, causes: 1, samples: 0, operations: 3, covers: 3, evidence: 1, steps: 4, textChars: 100 },
  { callers: 1, causes: 1, samples: 0, operations: 2, covers: 2, evidence: 1, steps: 3, textChars: 60 },
  { callers: 0, causes: 1, samples: 0, operations: 1, covers: 1, evidence: 0, steps: 2, textChars: 40 },
];

export interface TeamsMessage {
  envelope: TeamsEnvelope;
  bytes: number;
  /** 0 = full detail; higher = more was cut to fit. */
  detailLevel: number;
}

export function buildTeamsMessage(view: NotificationView, maxBytes = TEAMS_MAX_BYTES): TeamsMessage {
  for (let level = 0; level < LEVELS.length; level++) {
    const envelope = envelopeOf(renderCard(view, LEVELS[level]!));
    const bytes = Buffer.byteLength(JSON.stringify(envelope), "utf8");
    if (bytes <= maxBytes) return { envelope, bytes, detailLevel: level };
  }
  // Unreachable for sane inputs (the tightest level is a few KB); fail loudly rather than post a reject.
  throw new Error(
    `Teams card for ${view.incident.id} does not fit ${maxBytes} bytes even at the lowest detail`,
  );
}

function envelopeOf(card: AdaptiveCardJson): TeamsEnvelope {
  return {
    type: "message",
    attachments: [
      { contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card },
    ],
  };
}

const text = (s: string, extra: Record<string, unknown> = {}) => ({
  type: "TextBlock",
  text: s,
  wrap: true,
  ...extra,
});
const heading = (s: string) => text(s, { weight: "Bolder", spacing: "Medium", separator: true });

function more(shown: number, total: number, what: string, view: NotificationView): unknown[] {
  if (total <= shown) return [];
  const where = view.link ? " (see the dashboard)" : "";
  return [text(`+${total - shown} more ${what}${where}`, { isSubtle: true, size: "Small", spacing: "None" })];
}

function callerLine(c: CallerSummary, max: number): string {
  const who = [
    c.ip,
    c.requesterUpn,
    c.requesterObjectId ? `oid ${c.requesterObjectId}` : undefined,
    c.keySlot,
    c.userAgent ? clip(c.userAgent, Math.max(20, Math.floor(max / 2))) : undefined,
  ].filter((v): v is string => v !== undefined && v !== "");
  return `- ${c.count} × ${escapeCardMarkdown(clip(who.join(" · ") || "unknown caller", max))}`;
}

function causeBlocks(c: ChangeCandidate, rank: number, max: number): unknown[] {
  const when = escapeCardMarkdown(c.time);
  const title =
    `${rank}. **${escapeCardMarkdown(clip(c.operation, max))}** at ${when} by ${escapeCardMarkdown(clip(c.caller || "unknown", 80))}` +
    ` (likelihood ${Math.round(c.score * 100)}%, ${c.source === "activity" ? "activity log" : "seen in the logs"})`;
  const lines = [escapeCardMarkdown(clip(c.summary, max)), `Why: ${escapeCardMarkdown(clip(c.why, max))}`];
  if (c.before !== undefined || c.after !== undefined) {
    lines.push(
      `Before: ${escapeCardMarkdown(clip(c.before ?? "—", max / 2))} → after: ${escapeCardMarkdown(clip(c.after ?? "—", max / 2))}`,
    );
  }
  return [text(title, { spacing: "Small" }), text(lines.join("\n\n"), { isSubtle: true, spacing: "None" })];
}

function coverLine(i: Incident, max: number): string {
  return `- ${escapeCardMarkdown(clip(`${i.statusCode} ${i.errorCode} (${i.authType || "no auth type"}): ${i.count} failures in ${i.operations.join(", ")}`, max))}`;
}

export function renderCard(view: NotificationView, level: DetailLevel): AdaptiveCardJson {
  const i = view.incident;
  const t = level.textChars;
  const resolved = view.reason === "resolved";
  const e = (s: string, max = t) => escapeCardMarkdown(clip(s, max));
  const body: unknown[] = [];

  body.push({
    type: "Container",
    style: resolved ? "good" : "attention",
    bleed: true,
    items: [
      text(
        `${resolved ? "Resolved" : "Storage auth failures"}: ${i.statusCode} ${e(i.errorCode, 80)} on ${e(i.account, 80)}`,
        { size: "Large", weight: "Bolder" },
      ),
      text(`**${REASON_WORDS[view.reason]}**: ${e(view.detail, Math.max(t, 300))}`, { spacing: "Small" }),
    ],
  });

  const ops = i.operations.slice(0, level.operations).map((o) => e(o, 60));
  const opsText =
    ops.join(", ") + (i.operations.length > ops.length ? ` +${i.operations.length - ops.length} more` : "");
  body.push({
    type: "FactSet",
    facts: [
      { title: "Verdict", value: `**${i.decision}**` },
      { title: "Failures", value: `${i.count} (${e(i.firstSeen, 40)} → ${e(i.lastSeen, 40)})` },
      { title: "Auth type", value: e(i.authType || "none logged", 40) },
      { title: "Services", value: e(i.services.join(", "), 60) },
      { title: "Operations", value: opsText },
      {
        title: "Status",
        value:
          view.status === "resolved"
            ? `resolved at ${e(view.resolvedAt ?? view.decidedAt, 40)}`
            : `open since ${e(view.openedAt, 40)}`,
      },
      { title: "Incident", value: e(i.id, 40) },
      { title: "Notification", value: e(view.notificationId, 60) },
    ],
  });

  body.push(heading("What it means"), text(e(i.guidance.summary, Math.max(t, 400))));

  if (view.accountWideCause || view.covers.length > 0) {
    body.push(heading("Account-wide cause"));
    body.push(
      text(
        view.covers.length > 0
          ? `${e(view.accountWideCause ?? "an account-wide cause")}: this one message covers ${view.covers.length} more incident(s) on ${e(i.account, 80)}:`
          : e(view.accountWideCause ?? ""),
      ),
    );
    const shown = view.covers.slice(0, level.covers);
    if (shown.length > 0) body.push(text(shown.map((c) => coverLine(c, t)).join("\n"), { spacing: "None" }));
    body.push(...more(shown.length, view.covers.length, "covered incidents", view));
  }

  if (view.inputProblems && view.inputProblems.length > 0) {
    // Said before the causes: an empty input explains an empty or weak "likely causes" section.
    body.push(
      text(
        view.inputProblems
          .slice(0, 5)
          .map((p) => `**Missing input**: ${e(p.problem, 300)}. Fix: ${e(p.fix, 400)}`)
          .join("\n\n"),
        { color: "Warning", spacing: "Medium" },
      ),
    );
  }

  body.push(heading("Likely causes"));
  if (i.changes.length === 0) {
    body.push(text("No change in the activity log or the logs explains the onset."));
  } else {
    const shown = i.changes.slice(0, level.causes);
    shown.forEach((c, k) => body.push(...causeBlocks(c, k + 1, t)));
    body.push(...more(shown.length, i.changes.length, "ranked causes", view));
  }

  if (i.clockSkew.suspected || i.clockSkew.evidence.length > 0) {
    body.push(heading(i.clockSkew.suspected ? "Clock skew suspected" : "Clock skew: not indicated"));
    const ev = i.clockSkew.evidence.slice(0, level.evidence);
    if (ev.length > 0) body.push(text(ev.map((x) => `- ${e(x)}`).join("\n")));
    body.push(...more(ev.length, i.clockSkew.evidence.length, "skew observations", view));
  }

  if (level.callers > 0 && i.callers.length > 0) {
    body.push(heading("Top callers"));
    const shown = i.callers.slice(0, level.callers);
    body.push(text(shown.map((c) => callerLine(c, t)).join("\n")));
    body.push(...more(shown.length, i.callers.length, "callers", view));
  }

  if (level.samples > 0 && i.sampleUris.length > 0) {
    body.push(heading("Sample requests"));
    const shown = i.sampleUris.slice(0, level.samples);
    body.push(
      text(shown.map((u) => `- ${e(redactSecrets(u))}`).join("\n"), { fontType: "Monospace", size: "Small" }),
    );
    body.push(...more(shown.length, i.sampleUris.length, "samples", view));
  }

  if (!resolved) {
    const steps = i.guidance.steps.slice(0, level.steps);
    body.push(
      heading("Next steps"),
      text(steps.map((s, k) => `${k + 1}. ${e(s, Math.max(t, 300))}`).join("\n")),
    );
    body.push(...more(steps.length, i.guidance.steps.length, "steps", view));
    if (i.guidance.avoid.length > 0) {
      body.push(
        heading("The wrong fix to avoid"),
        text(i.guidance.avoid.map((a) => `- ${e(a, Math.max(t, 300))}`).join("\n"), { color: "Attention" }),
      );
    }
  }

  const card: AdaptiveCardJson = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: CARD_VERSION,
    body,
    msteams: { width: "Full" },
  };
  if (view.link) card.actions = [{ type: "Action.OpenUrl", title: "Open in dashboard", url: view.link }];
  return card;
}
