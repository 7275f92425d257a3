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
    // The webhook payload is bounded (lists capped, under 64 KB) and redacted by its builder.
    Payload: buildWebhookPayload(view),
  };
  if (view.resolvedAt) row.ResolvedAt = view.resolvedAt;
  return row;
}
