import { z } from "zod";
import { DECISIONS, type Incident, type Remedy } from "../model/incident.js";
import { sanitizeOutbound } from "../redact.js";
import type { NotificationView } from "./view.js";

/**
 * The generic JSON webhook (documented in docs/webhook-schema.md). An additive change bumps the minor
 * version ("1" → "1.1" added `incident.remedy`, "1.2" `incident.ambiguous`, "1.3" a top caller's
 * `overcount`); removing or retyping a field bumps the major one. Lists
 * are bounded so a payload stays well under 64 KB; the dashboard link gives the full incident.
 */
export const WEBHOOK_SCHEMA_VERSION = "1.3";

const NOTIFY_REASONS = [
  "first-detection",
  "rate-increased",
  "new-operations",
  "new-services",
  "new-callers",
  "new-cause",
  "better-ranked-cause",
  "repeat-interval-elapsed",
  "resolved",
] as const;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 time");

const callerSchema = z.object({
  ip: z.string().optional(),
  userAgent: z.string().optional(),
  requesterObjectId: z.string().optional(),
  requesterUpn: z.string().optional(),
  keySlot: z.enum(["key1", "key2"]).optional(),
  count: z.number().int().nonnegative(),
  /** Present when `count` is an upper bound: the caller made at least `count − overcount`. */
  overcount: z.number().int().positive().optional(),
  firstSeen: isoTime,
  lastSeen: isoTime,
});

const causeSchema = z.object({
  source: z.enum(["activity", "logs"]),
  time: isoTime,
  operation: z.string(),
  resourceId: z.string(),
  caller: z.string(),
  summary: z.string(),
  score: z.number().min(0).max(1),
  why: z.string(),
  before: z.string().optional(),
  after: z.string().optional(),
});

const remedySchema = z.object({
  kind: z.string(),
  change: z.string(),
  commands: z
    .array(
      z.object({
        purpose: z.string(),
        command: z.string(),
        placeholders: z.array(z.object({ name: z.string(), reason: z.string() })),
        risky: z.boolean().optional(),
      }),
    )
    .max(20),
  noCommand: z.string().optional(),
  bicep: z.string().optional(),
  whyNarrowest: z.string(),
  wrongIf: z.array(z.string()),
  facts: z.array(z.object({ label: z.string(), value: z.string() })).max(30),
});

const coveredSchema = z.object({
  id: z.string(),
  statusCode: z.number().int(),
  errorCode: z.string(),
  authType: z.string(),
  count: z.number().int().nonnegative(),
  operations: z.array(z.string()),
  firstSeen: isoTime,
  lastSeen: isoTime,
});

export const webhookPayloadSchema = z.object({
  schemaVersion: z.literal(WEBHOOK_SCHEMA_VERSION),
  /** Same value for every delivery attempt of one notification: receivers deduplicate on it. */
  idempotencyKey: z.string().min(1),
  notification: z.object({
    id: z.string().min(1),
    reason: z.enum(NOTIFY_REASONS),
    detail: z.string(),
    decidedAt: isoTime,
  }),
  incident: z.object({
    id: z.string().min(1),
    status: z.enum(["open", "resolved"]),
    openedAt: isoTime,
    resolvedAt: isoTime.optional(),
    account: z.string(),
    services: z.array(z.enum(["blob", "queue", "table", "file"])),
    statusCode: z.number().int(),
    errorCode: z.string(),
    authType: z.string(),
    decision: z.enum(DECISIONS as unknown as ["authentication", "rbac", "sas", "network", "policy"]),
    operations: z.array(z.string()),
    count: z.number().int().nonnegative(),
    firstSeen: isoTime,
    lastSeen: isoTime,
    severity: z.number(),
    guidance: z.object({ summary: z.string(), steps: z.array(z.string()), avoid: z.array(z.string()) }),
    topCallers: z.array(callerSchema).max(20),
    causes: z.array(causeSchema).max(10),
    clockSkew: z.object({ suspected: z.boolean(), evidence: z.array(z.string()) }),
    sampleUris: z.array(z.string()).max(5),
    /** Since 1.2: the verdicts a classic `$logs` status leaves open, and what in the logs narrows them. */
    ambiguous: z
      .object({
        between: z.array(
          z.enum(DECISIONS as unknown as ["authentication", "rbac", "sas", "network", "policy"]),
        ),
        narrowedBy: z.string(),
      })
      .optional(),
    /** The exact fix (since 1.1); absent for incidents stored before remedies existed. */
    remedy: remedySchema.optional(),
    link: z.url().optional(),
  }),
  accountWideCause: z.string().optional(),
  covers: z.array(coveredSchema).max(50),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

function covered(i: Incident): z.infer<typeof coveredSchema> {
  return {
    id: i.id,
    statusCode: i.statusCode,
    errorCode: i.errorCode,
    authType: i.authType,
    count: i.count,
    operations: i.operations.slice(0, 50),
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
  };
}

/** The remedy as sent: bounded lists (its text already passed the boundary with the view). */
function remedyPayload(r: Remedy): z.infer<typeof remedySchema> {
  const out: z.infer<typeof remedySchema> = {
    kind: r.kind,
    change: r.change,
    commands: r.commands.slice(0, 20).map((c) => ({
      purpose: c.purpose,
      command: c.command,
      placeholders: c.placeholders,
      ...(c.risky ? { risky: true } : {}),
    })),
    whyNarrowest: r.whyNarrowest,
    wrongIf: r.wrongIf,
    facts: r.facts.slice(0, 30).map((f) => ({ label: f.label, value: f.value })),
  };
  if (r.noCommand) out.noCommand = r.noCommand;
  if (r.bicep) out.bicep = r.bicep;
  return out;
}

export function buildWebhookPayload(raw: NotificationView): WebhookPayload {
  const view = sanitizeOutbound(raw);
  const i = view.incident;
  const payload: WebhookPayload = {
    schemaVersion: WEBHOOK_SCHEMA_VERSION,
    idempotencyKey: view.notificationId,
    notification: {
      id: view.notificationId,
      reason: view.reason,
      detail: view.detail,
      decidedAt: view.decidedAt,
    },
    incident: {
      id: i.id,
      status: view.status,
      openedAt: view.openedAt,
      account: i.account,
      services: i.services,
      statusCode: i.statusCode,
      errorCode: i.errorCode,
      authType: i.authType,
      decision: i.decision,
      operations: i.operations.slice(0, 100),
      count: i.count,
      firstSeen: i.firstSeen,
      lastSeen: i.lastSeen,
      severity: i.severity,
      guidance: i.guidance,
      topCallers: i.callers.slice(0, 20),
      causes: i.changes.slice(0, 10),
      clockSkew: { suspected: i.clockSkew.suspected, evidence: i.clockSkew.evidence.slice(0, 20) },
      sampleUris: i.sampleUris.slice(0, 5),
    },
    covers: view.covers.slice(0, 50).map(covered),
  };
  if (i.ambiguous)
    payload.incident.ambiguous = { between: [...i.ambiguous.between], narrowedBy: i.ambiguous.narrowedBy };
  if (i.remedy) payload.incident.remedy = remedyPayload(i.remedy);
  if (view.resolvedAt) payload.incident.resolvedAt = view.resolvedAt;
  if (view.link) payload.incident.link = view.link;
  if (view.accountWideCause) payload.accountWideCause = view.accountWideCause;
  // Validate what we send: a schema drift is a bug here, not the receiver's problem.
  return webhookPayloadSchema.parse(payload);
}
