import type { Decision, Incident } from "../model/incident.js";

/**
 * What the state store keeps per incident, and the narrow read interface the dashboard and its API use.
 * The timer writes through the store's own write interface (src/state/); readers only see this.
 */
export type IncidentStatus = "open" | "resolved";

/** Why a notification was sent (explicit, like Alertmanager's NotifyReason). */
export type NotifyReason =
  | "first-detection"
  | "rate-increased"
  | "new-operations"
  | "new-services"
  | "new-callers"
  | "new-cause"
  | "better-ranked-cause"
  | "repeat-interval-elapsed"
  | "resolved";

export interface NotificationRecord {
  /** When it was decided. */
  at: string;
  reason: NotifyReason;
  /** Plain-words explanation of the reason, e.g. "rate grew 3.2x (40 → 128 per 5 min)". */
  detail: string;
  channel: "teams" | "webhook" | "monitor";
  outcome: "sent" | "pending" | "failed";
  attempts: number;
  /** Last delivery error, redacted. */
  lastError?: string;
  sentAt?: string;
}

export interface IncidentRecord {
  incident: Incident;
  status: IncidentStatus;
  openedAt: string;
  updatedAt: string;
  resolvedAt?: string;
  /** Silence that muted it, if any. */
  silencedBy?: string;
  /** Incident whose account-wide cause covers this one: it is announced in that incident's messages. */
  inhibitedBy?: string;
  /** Incidents this one's messages cover (it carries an account-wide cause). */
  covers?: string[];
  notifications: NotificationRecord[];
}

export interface IncidentQuery {
  /** Incidents whose activity overlaps [from, to]. */
  from?: string;
  to?: string;
  account?: string;
  decision?: Decision;
  errorCode?: string;
  status?: IncidentStatus;
  /** 0-based offset and page size. */
  offset?: number;
  limit?: number;
}

export interface IncidentReader {
  list(query: IncidentQuery): Promise<{ total: number; items: IncidentRecord[] }>;
  get(id: string): Promise<IncidentRecord | undefined>;
}
