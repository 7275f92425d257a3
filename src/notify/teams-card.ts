import { callerCountText } from "../model/caller-count.js";
import type { CallerSummary, ChangeCandidate, Incident } from "../model/incident.js";
import { sanitizeOutbound } from "../redact.js";
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

export function buildTeamsMessage(raw: NotificationView, maxBytes = TEAMS_MAX_BYTES): TeamsMessage {
  // Redacted before rendering (Markdown escaping would split a token and hide it from the patterns)
  // and measured after, so the size budget counts what is posted.
  const view = sanitizeOutbound(raw);
  for (let level = 0; level < LEVELS.length; level++) {
    const envelope = sanitizeOutbound(envelopeOf(renderCard(view, LEVELS[level]!)));
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
  return `- ${callerCountText(c)} × ${escapeCardMarkdown(clip(who.join(" · ") || "unknown caller", max))}`;
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

/** "20 Nov 09:16 UTC": readable on a phone; the ISO form stays in the webhook and the dashboard. */
export function humanTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const d = new Date(ms);
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
    d.getUTCMonth()
  ];
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${d.getUTCDate()} ${month} ${hh}:${mm} UTC`;
}

/** A time range that does not repeat the day: "20 Nov 09:11 – 09:18 UTC". */
function humanRange(fromIso: string, toIso: string): string {
  const a = humanTime(fromIso);
  const b = humanTime(toIso);
  const sameDay = a.split(" ").slice(0, 2).join(" ") === b.split(" ").slice(0, 2).join(" ");
  return sameDay ? `${a.replace(/ UTC$/, "")} – ${b.split(" ")[2]} UTC` : `${a} – ${b}`;
}

/** Limits of the part shown first, so it stays about one phone screen (tested in a browser at 400 px). */
export const FIRST_SHOWN = { change: 280, command: 300, cause: 220, avoid: 2, avoidChars: 160 } as const;

/** The most likely cause in one sentence: the top-ranked change, else the clock-skew evidence. */
function mostLikelyCause(i: Incident): string {
  const top = i.changes[0];
  if (top) return `${top.summary} (${humanTime(top.time)}, ${top.caller || "unknown caller"})`;
  if (i.clockSkew.suspected) return `Clock skew: ${i.clockSkew.evidence[0] ?? "suspected"}`;
  return "No change in the activity log or the logs explains the onset.";
}

/**
 * The part shown first on a phone: the verdict, the most likely cause, the exact fix (first command) and
 * the wrong fix. Everything else is behind the card's Action.ShowCard buttons.
 */
function firstShownBlocks(view: NotificationView, level: DetailLevel): unknown[] {
  const i = view.incident;
  const t = level.textChars;
  const resolved = view.reason === "resolved";
  const e = (s: string, max = t) => escapeCardMarkdown(clip(s, max));
  const blocks: unknown[] = [
    {
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
    },
    text(
      `**Verdict: ${i.decision}** · ${i.count} failures · ${e(humanRange(i.firstSeen, i.lastSeen), 60)}` +
        (resolved ? ` · resolved ${e(humanTime(view.resolvedAt ?? view.decidedAt), 40)}` : ""),
    ),
  ];
  // One short line on the phone; what narrows it is under "Details".
  if (i.ambiguous)
    blocks.push(
      text(`**Ambiguous:** ${verdictsOf(i.ambiguous.between, e)} (see details)`, {
        spacing: "None",
        isSubtle: true,
      }),
    );
  blocks.push(
    text("**Most likely cause**", { spacing: "Small" }),
    text(e(mostLikelyCause(i), FIRST_SHOWN.cause), { spacing: "None" }),
  );
  if (resolved) return blocks;
  blocks.push(...fixBlocks(i, e));
  const avoid = i.guidance.avoid.slice(0, FIRST_SHOWN.avoid);
  if (avoid.length > 0) {
    blocks.push(
      text("**Wrong fix to avoid**", { spacing: "Small", color: "Attention" }),
      text(avoid.map((a) => `- ${e(a, FIRST_SHOWN.avoidChars)}`).join("\n"), {
        spacing: "None",
        color: "Attention",
      }),
    );
  }
  return blocks;
}

/** "rbac or policy": the verdicts a classic `$logs` status leaves open. */
function verdictsOf(between: readonly string[], e: (s: string, max?: number) => string): string {
  return between.map((d) => e(d, 20)).join(" or ");
}

/** The exact fix in the first-shown part: what to change and the first command (or why none). */
function fixBlocks(i: Incident, e: (s: string, max?: number) => string): unknown[] {
  const r = i.remedy;
  if (!r) return [];
  const out: unknown[] = [
    text("**Exact fix**", { spacing: "Small" }),
    text(e(r.change, FIRST_SHOWN.change), { spacing: "None" }),
  ];
  const first = r.commands[0];
  if (first) {
    out.push(
      text(`${first.risky ? "**Risky, temporary:** " : ""}${e(first.command, FIRST_SHOWN.command)}`, {
        fontType: "Monospace",
        size: "Small",
        spacing: "Small",
      }),
    );
    if (r.commands.length > 1) {
      out.push(
        text(`+${r.commands.length - 1} more command(s) under "Fix: commands and why"`, {
          isSubtle: true,
          size: "Small",
          spacing: "None",
        }),
      );
    }
  } else {
    out.push(
      text(`No command: ${e(r.noCommand ?? "nothing to run", FIRST_SHOWN.change)}`, {
        isSubtle: true,
        spacing: "Small",
      }),
    );
  }
  return out;
}

/** Every command with its purpose and placeholders, the facts, why it is the narrowest and when it is wrong. */
function remedyDetailBlocks(i: Incident, level: DetailLevel): unknown[] {
  const r = i.remedy;
  if (!r) return [];
  const t = level.textChars;
  const e = (s: string, max = t) => escapeCardMarkdown(clip(s, max));
  const out: unknown[] = [];
  r.commands.forEach((c, k) => {
    out.push(
      text(`${k + 1}. ${c.risky ? "**Risky, temporary:** " : ""}${e(c.purpose, Math.max(t, 300))}`, {
        spacing: "Small",
      }),
    );
    out.push(text(e(c.command, 1000), { fontType: "Monospace", size: "Small", spacing: "None" }));
    for (const p of c.placeholders)
      out.push(
        text(`<${e(p.name, 60)}>: ${e(p.reason)}`, { isSubtle: true, size: "Small", spacing: "None" }),
      );
  });
  if (r.facts.length > 0) {
    out.push({
      type: "FactSet",
      facts: r.facts.slice(0, 12).map((f) => ({ title: e(f.label, 40), value: e(f.value) })),
    });
  }
  out.push(text(`**Why the narrowest:** ${e(r.whyNarrowest, Math.max(t, 300))}`));
  out.push(
    text(r.wrongIf.map((w) => `- Wrong if: ${e(w, Math.max(t, 200))}`).join("\n"), { isSubtle: true }),
  );
  return out;
}

function detailBlocks(view: NotificationView, level: DetailLevel): unknown[] {
  const i = view.incident;
  const t = level.textChars;
  const resolved = view.reason === "resolved";
  const e = (s: string, max = t) => escapeCardMarkdown(clip(s, max));
  const body: unknown[] = [];
  const ops = i.operations.slice(0, level.operations).map((o) => e(o, 60));
  const opsText =
    ops.join(", ") + (i.operations.length > ops.length ? ` +${i.operations.length - ops.length} more` : "");
  body.push({
    type: "FactSet",
    facts: [
      { title: "Verdict", value: `**${i.decision}**` },
      { title: "Failures", value: `${i.count} (${e(humanRange(i.firstSeen, i.lastSeen), 60)})` },
      { title: "Auth type", value: e(i.authType || "none logged", 40) },
      { title: "Services", value: e(i.services.join(", "), 60) },
      { title: "Operations", value: opsText },
      {
        title: "Status",
        value:
          view.status === "resolved"
            ? `resolved at ${e(humanTime(view.resolvedAt ?? view.decidedAt), 40)}`
            : `open since ${e(humanTime(view.openedAt), 40)}`,
      },
      { title: "Incident", value: e(i.id, 40) },
      { title: "Notification", value: e(view.notificationId, 60) },
    ],
  });

  body.push(heading("What it means"), text(e(i.guidance.summary, Math.max(t, 400))));
  if (i.ambiguous) {
    body.push(
      text(
        // In the text report's words.
        `**Ambiguous:** the logged status leaves ${verdictsOf(i.ambiguous.between, e)} open; narrow it by ${e(i.ambiguous.narrowedBy, Math.max(t, 300))}`,
      ),
    );
  }

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
    body.push(text(shown.map((u) => `- ${e(u)}`).join("\n"), { fontType: "Monospace", size: "Small" }));
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
  return body;
}

const subCard = (body: unknown[]) => ({
  type: "AdaptiveCard",
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
  body,
});

export function renderCard(view: NotificationView, level: DetailLevel): AdaptiveCardJson {
  const i = view.incident;
  const actions: unknown[] = [];
  if (i.remedy && view.reason !== "resolved") {
    actions.push({
      type: "Action.ShowCard",
      title: "Fix: commands and why",
      card: subCard(remedyDetailBlocks(i, level)),
    });
  }
  actions.push({
    type: "Action.ShowCard",
    title: "Details, callers and samples",
    card: subCard(detailBlocks(view, level)),
  });
  if (view.link) actions.push({ type: "Action.OpenUrl", title: "Open in dashboard", url: view.link });
  return {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: CARD_VERSION,
    body: firstShownBlocks(view, level),
    actions,
    msteams: { width: "Full" },
  };
}
