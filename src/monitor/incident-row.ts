import type { NotificationView } from "../notify/view.js";
import { buildWebhookPayload } from "../notify/webhook-payload.js";
import { redactSecrets } from "../redact.js";

/**
 * One row of the StorageAuthTriage_CL table per notification: the incident's headline fields as typed
 * columns (what log search alerts, workbooks and Sentinel analytics filter on) and the versioned webhook
 * payload as `Payload` (dynamic) for everything else. The columns are those declared in
 * infra/modules/incident-table.bicep; a test holds the two together.
 */
export interface IncidentRow {
  TimeGenerated: string;
  NotificationId: string;
  IncidentId: string;
  Reason: string;
  Detail: string;
  Status: string;
  OpenedAt: string;
  ResolvedAt?: string;
  Account: string;
  Services: string;
  StatusCode: number;
  ErrorCode: string;
  AuthType: string;
  Verdict: string;
  Failures: number;
  FirstSeen: string;
  LastSeen: string;
  Severity: number;
  Summary: string;
  TopCause: string;
  ClockSkewSuspected: boolean;
  Link: string;
  Payload: unknown;
}

/** The column names, in the table's order. */
export const INCIDENT_ROW_COLUMNS = [
  "TimeGenerated",
  "NotificationId",
  "IncidentId",
  "Reason",
  "Detail",
  "Status",
  "OpenedAt",
  "ResolvedAt",
  "Account",
  "Services",
  "StatusCode",
  "ErrorCode",
  "AuthType",
  "Verdict",
  "Failures",
  "FirstSeen",
  "LastSeen",
  "Severity",
  "Summary",
  "TopCause",
  "ClockSkewSuspected",
  "Link",
  "Payload",
] as const satisfies ReadonlyArray<keyof IncidentRow>;

/** Longest text column value: log fields are attacker-controlled and a row must stay far below 1 MB. */
export const MAX_TEXT = 4096;
/** Largest Payload kept whole; a bigger one is replaced by a stub that says so. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

function text(value: string): string {
  const redacted = redactSecrets(value);
  return redacted.length > MAX_TEXT ? `${redacted.slice(0, MAX_TEXT - 1)}…` : redacted;
}

export function buildIncidentRow(view: NotificationView): IncidentRow {
  const i = view.incident;
  const top = i.changes[0];
  const row: IncidentRow = {
    TimeGenerated: view.decidedAt,
    NotificationId: view.notificationId,
    IncidentId: i.id,
    Reason: view.reason,
    Detail: text(view.detail),
    Status: view.status,
    OpenedAt: view.openedAt,
    Account: text(i.account),
    Services: i.services.join(","),
    StatusCode: i.statusCode,
    ErrorCode: text(i.errorCode),
    AuthType: text(i.authType),
    Verdict: i.decision,
    Failures: i.count,
    FirstSeen: i.firstSeen,
    LastSeen: i.lastSeen,
    Severity: i.severity,
    Summary: text(i.guidance.summary),
    TopCause: top ? text(top.summary) : "",
    ClockSkewSuspected: i.clockSkew.suspected,
    Link: view.link ?? "",
    Payload: boundedPayload(view),
  };
  if (view.resolvedAt) row.ResolvedAt = view.resolvedAt;
  return row;
}

/** The webhook payload (redacted by its builder; lists capped), unless its text fields make it too big. */
function boundedPayload(view: NotificationView): unknown {
  const payload = buildWebhookPayload(view);
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes <= MAX_PAYLOAD_BYTES) return payload;
  return {
    schemaVersion: payload.schemaVersion,
    idempotencyKey: payload.idempotencyKey,
    truncated: `the webhook payload (${bytes} bytes) exceeds ${MAX_PAYLOAD_BYTES} bytes; the columns and the dashboard link carry the incident`,
  };
}
