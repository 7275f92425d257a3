import { z } from "zod";
import { DECISIONS, type Incident } from "../model/incident.js";
import { sanitizeOutbound } from "../redact.js";
import type { NotificationView } from "./view.js";

/**
 * The generic JSON webhook, schema version 1 (documented in docs/webhook-schema.md). Additive changes
 * keep version "1"; anything that removes or retypes a field bumps it. Lists are bounded so a payload
 * stays well under 64 KB; the dashboard link gives the full incident.
 */
export const WEBHOOK_SCHEMA_VERSION = "1";

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
  if (view.resolvedAt) payload.incident.resolvedAt = view.resolvedAt;
  if (view.link) payload.incident.link = view.link;
  if (view.accountWideCause) payload.accountWideCause = view.accountWideCause;
  // Validate what we send: a schema drift is a bug here, not the receiver's problem.
  return webhookPayloadSchema.parse(payload);
}
