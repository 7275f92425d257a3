import type { PartialResultJson } from "../engine/partial-result.js";
import type { Incident } from "../model/incident.js";
import type {
  IncidentQuery,
  IncidentReader,
  IncidentRecord,
  NotificationRecord,
  NotifyReason,
} from "./contracts.js";
import { compareText } from "../order.js";

/**
 * The timer's write-side state: watermarks, incidents with their lifecycle, and the notification outbox
 * (which is also the notification log). Two implementations with identical semantics: Azure Table storage
 * (src/state/table.ts) and memory (src/state/memory.ts). Every mutation is conditional on an etag, so two
 * overlapping runs cannot both decide or both deliver the same notification.
 */

/** What the last firing notification told people: material change is measured against it. */
export interface NotifiedSnapshot {
  at: string;
  /** Peak failures per 5 minutes at the time. */
  ratePer5Min: number;
  count: number;
  operations: string[];
  services: string[];
  /** Caller identities (see callerKey). */
  callers: string[];
  /** Cause keys, most likely first (see causeKey). */
  causes: string[];
  /** Incidents covered by the message (account-wide cause). */
  covers: string[];
}

/** Lifecycle bookkeeping kept beside the incident record. */
export interface LifecycleState {
  /** Set when a firing notification was decided for the current opening. */
  notified?: NotifiedSnapshot;
  /** Notification sequence number of this incident (idempotency keys are built from it). */
  seq: number;
  /** The incident whose account-wide cause covers this one; it is not announced on its own. */
  inhibitedBy?: string;
  /** Incidents this one's messages cover. */
  covers?: string[];
  /** True when the stored incident had to be trimmed to fit the store's size limits. */
  trimmed?: boolean;
}

/** An incident as stored, without its notifications (they live in the outbox). */
export type StoredIncidentRecord = Omit<IncidentRecord, "notifications">;

export interface StoredIncident {
  record: StoredIncidentRecord;
  lifecycle: LifecycleState;
  etag: string;
  /**
   * The slices the incident was built from (src/engine/partial-result.ts): each run merges its own into
   * them and rebuilds the incident, so overlapping runs count each failure once. Absent when written by
   * an older version or when it did not fit the store.
   */
  ledger?: PartialResultJson;
}

/** A below-threshold challenge and the slices it was built from. */
export interface StoredCandidate {
  incident: Incident;
  etag: string;
  ledger?: PartialResultJson;
}

/** monitor: the Azure Monitor incident table (src/monitor/), delivered and retried like a webhook. */
export type Channel = "teams" | "webhook" | "monitor";

/** One notification to one channel: the outbox entry and, once delivered, the log entry. */
export interface OutboxEntry {
  incidentId: string;
  /** `<incidentId>-<seq>`: shared by the channels of one notification; the idempotency key receivers see. */
  notificationId: string;
  seq: number;
  channel: Channel;
  reason: NotifyReason;
  detail: string;
  /** When it was decided. */
  at: string;
  outcome: "pending" | "sent" | "failed";
  attempts: number;
  lastError?: string;
  sentAt?: string;
  /** Delivery claim: another run must not send while the lease holds. */
  leaseOwner?: string;
  /** The claiming run's own estimate of the expiry (its clock): for people; runs use leaseMs. */
  leaseUntil?: string;
  /** How long the claim holds, counted on the store's clock from the claim's write (see sinceWriteMs). */
  leaseMs?: number;
  /** The exact JSON body to POST. */
  payload: unknown;
}

export interface VersionedOutboxEntry {
  entry: OutboxEntry;
  etag: string;
  /**
   * Time since the entry was last written, by the store's own clock (Table storage: the response's Date
   * minus the entity's Timestamp): lets a run judge a lease without trusting its own clock or the
   * claiming run's. Absent when the store cannot tell.
   */
  sinceWriteMs?: number;
}

export interface Watermark {
  value: string;
  etag: string;
}

/** A conditional write lost to a concurrent writer (HTTP 412 or 409): re-read and re-decide. */
export class ConcurrencyError extends Error {
  override name = "ConcurrencyError";
}

export interface TriageStore extends IncidentReader {
  readonly kind: "memory" | "table";
  /** Creates tables when missing; idempotent. */
  init(): Promise<void>;
  /** A named cursor (analysis watermark, Log Analytics ingestion watermark, blob read offsets…). */
  getWatermark(name: string): Promise<Watermark | undefined>;
  /** Writes a cursor; with an etag only if unchanged since read (ConcurrencyError otherwise), with `null` only if absent. */
  putWatermark(name: string, value: string, etag?: string | null): Promise<string>;
  loadIncident(id: string): Promise<StoredIncident | undefined>;
  listIncidentStates(filter?: { status?: "open" | "resolved" }): Promise<StoredIncident[]>;
  /**
   * Writes an incident and the outbox entries decided with it, atomically. `expectedEtag` undefined
   * means "create; fail if it exists". Throws ConcurrencyError when another writer got there first.
   */
  commitIncident(
    record: StoredIncidentRecord,
    lifecycle: LifecycleState,
    expectedEtag: string | undefined,
    newEntries: OutboxEntry[],
    ledger?: PartialResultJson,
  ): Promise<string>;
  listOutbox(filter: { outcome?: OutboxEntry["outcome"] }): Promise<VersionedOutboxEntry[]>;
  /** Replaces one outbox entry if unchanged since read; ConcurrencyError otherwise. */
  updateOutbox(entry: OutboxEntry, etag: string): Promise<string>;
  /** Every outbox entry of one incident, oldest first. */
  notificationsOf(incidentId: string): Promise<OutboxEntry[]>;
  /**
   * Challenges below the open threshold, accumulated across runs of an incremental source (which sees
   * only what is new each run) until they open or go quiet. Not visible to IncidentReader.
   */
  listCandidates(): Promise<StoredCandidate[]>;
  /** Writes a candidate (etag undefined: must not exist); ConcurrencyError when stale. */
  putCandidate(incident: Incident, etag: string | undefined, ledger?: PartialResultJson): Promise<string>;
  deleteCandidate(id: string, etag: string): Promise<void>;
  close(): Promise<void>;
}

/** The order listOutbox gives, in every store: oldest first, then by sequence. */
export function byOutboxTime(a: OutboxEntry, b: OutboxEntry): number {
  return compareText(a.at, b.at) || a.seq - b.seq;
}

/** The order notificationsOf gives, in every store: by sequence, then by channel. */
export function byNotificationSeq(a: OutboxEntry, b: OutboxEntry): number {
  return a.seq - b.seq || compareText(a.channel, b.channel);
}

export function toNotificationRecord(e: OutboxEntry): NotificationRecord {
  const r: NotificationRecord = {
    at: e.at,
    reason: e.reason,
    detail: e.detail,
    channel: e.channel,
    outcome: e.outcome,
    attempts: e.attempts,
  };
  if (e.lastError !== undefined) r.lastError = e.lastError;
  if (e.sentAt !== undefined) r.sentAt = e.sentAt;
  return r;
}

export function withNotifications(record: StoredIncidentRecord, entries: OutboxEntry[]): IncidentRecord {
  return { ...record, notifications: entries.map(toNotificationRecord) };
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Filtering, ordering (latest activity first, then severity) and paging shared by both stores. */
export function selectIncidents(
  all: StoredIncidentRecord[],
  q: IncidentQuery,
): { total: number; items: StoredIncidentRecord[] } {
  const fromMs = q.from ? Date.parse(q.from) : undefined;
  const toMs = q.to ? Date.parse(q.to) : undefined;
  const matches = all.filter((r) => {
    const i: Incident = r.incident;
    if (q.status && r.status !== q.status) return false;
    if (q.account && i.account.toLowerCase() !== q.account.toLowerCase()) return false;
    if (q.decision && i.decision !== q.decision) return false;
    if (q.errorCode && i.errorCode.toLowerCase() !== q.errorCode.toLowerCase()) return false;
    if (fromMs !== undefined && Date.parse(i.lastSeen) < fromMs) return false;
    if (toMs !== undefined && Date.parse(i.firstSeen) > toMs) return false;
    return true;
  });
  matches.sort(
    (a, b) =>
      Date.parse(b.incident.lastSeen) - Date.parse(a.incident.lastSeen) ||
      b.incident.severity - a.incident.severity ||
      compareText(a.incident.id, b.incident.id),
  );
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(q.limit ?? DEFAULT_PAGE_SIZE)));
  return { total: matches.length, items: matches.slice(offset, offset + limit) };
}
