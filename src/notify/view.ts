import type { Incident } from "../model/incident.js";
import type { IncidentStatus, NotifyReason } from "../state/contracts.js";

/** Everything a notification says, independent of the channel that carries it. */
export interface NotificationView {
  /** `<incidentId>-<seq>`: the idempotency key. */
  notificationId: string;
  reason: NotifyReason;
  /** Plain words: why this message was sent now. */
  detail: string;
  decidedAt: string;
  status: IncidentStatus;
  openedAt: string;
  resolvedAt?: string;
  incident: Incident;
  /** Incidents on the same account explained by this incident's account-wide cause. */
  covers: Incident[];
  /** Plain-words account-wide cause, when `covers` is non-empty or the incident is one. */
  accountWideCause?: string;
  /** Link to the incident on the dashboard, when a dashboard URL is configured. */
  link?: string;
  /** Inputs that were empty in the run that decided this message, with how to fix them. */
  inputProblems?: ReadonlyArray<{ problem: string; fix: string }>;
}

export const REASON_WORDS: Record<NotifyReason, string> = {
  "first-detection": "new incident",
  "rate-increased": "failure rate increased",
  "new-operations": "new operations failing",
  "new-services": "new services failing",
  "new-callers": "new callers failing",
  "new-cause": "new likely cause",
  "better-ranked-cause": "most likely cause changed",
  "repeat-interval-elapsed": "reminder: still failing",
  resolved: "resolved",
};
