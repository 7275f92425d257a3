import type { PartialResultJson } from "../engine/partial-result.js";
import type { Incident } from "../model/incident.js";
import { sanitizeOutbound } from "../redact.js";
import type { IncidentQuery, IncidentRecord } from "./contracts.js";
import {
  byNotificationSeq,
  byOutboxTime,
  ConcurrencyError,
  selectIncidents,
  withNotifications,
  type LifecycleState,
  type OutboxEntry,
  type StoredCandidate,
  type StoredIncident,
  type StoredIncidentRecord,
  type TriageStore,
  type VersionedOutboxEntry,
  type Watermark,
} from "./store.js";

/**
 * In-memory TriageStore with the same conditional-write semantics as the Table store (etags are
 * counters), for `--state memory`, the dashboard's standalone mode and tests. Values are cloned on the
 * way in and out so callers cannot mutate stored state behind its etag; on the way in through the
 * redaction boundary (sanitizeOutbound), as the Table store does, so both keep the same text.
 */
export class MemoryTriageStore implements TriageStore {
  readonly kind = "memory" as const;
  private nextEtag = 1;
  private readonly watermarks = new Map<string, Watermark>();
  private readonly incidents = new Map<
    string,
    { record: StoredIncidentRecord; lifecycle: LifecycleState; etag: string }
  >();
  /** key `${incidentId}|${seq}|${channel}`; writtenAtMs by the store's clock, for leases. */
  private readonly outbox = new Map<string, { entry: OutboxEntry; etag: string; writtenAtMs: number }>();

  /** `now`: the store's own clock (tests move it; runs bring their own clocks, which it ignores). */
  constructor(private readonly now: () => number = Date.now) {}

  private etag(): string {
    return `W/"${this.nextEtag++}"`;
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async getWatermark(name: string): Promise<Watermark | undefined> {
    const w = this.watermarks.get(name);
    return w ? { ...w } : undefined;
  }

  async putWatermark(name: string, value: string, etag?: string | null): Promise<string> {
    const current = this.watermarks.get(name);
    if (etag === null && current) throw new ConcurrencyError(`watermark ${name} already exists`);
    if (typeof etag === "string" && current?.etag !== etag)
      throw new ConcurrencyError(`watermark ${name} changed`);
    const next = { value, etag: this.etag() };
    this.watermarks.set(name, next);
    return next.etag;
  }

  async loadIncident(id: string): Promise<StoredIncident | undefined> {
    const s = this.incidents.get(id);
    return s ? structuredClone(s) : undefined;
  }

  async listIncidentStates(filter: { status?: "open" | "resolved" } = {}): Promise<StoredIncident[]> {
    return [...this.incidents.values()]
      .filter((s) => !filter.status || s.record.status === filter.status)
      .map((s) => structuredClone(s));
  }

  async commitIncident(
    record: StoredIncidentRecord,
    lifecycle: LifecycleState,
    expectedEtag: string | undefined,
    newEntries: OutboxEntry[],
    ledger?: PartialResultJson,
  ): Promise<string> {
    const id = record.incident.id;
    const current = this.incidents.get(id);
    if (expectedEtag === undefined ? current !== undefined : current?.etag !== expectedEtag) {
      throw new ConcurrencyError(`incident ${id} changed since it was read`);
    }
    for (const e of newEntries) {
      if (this.outbox.has(outboxKey(e)))
        throw new ConcurrencyError(`notification ${e.notificationId} already exists`);
    }
    const etag = this.etag();
    this.incidents.set(
      id,
      sanitizeOutbound(ledger ? { record, lifecycle, etag, ledger } : { record, lifecycle, etag }),
    );
    for (const e of newEntries)
      this.outbox.set(outboxKey(e), {
        entry: sanitizeOutbound(e),
        etag: this.etag(),
        writtenAtMs: this.now(),
      });
    return etag;
  }

  async listOutbox(filter: { outcome?: OutboxEntry["outcome"] }): Promise<VersionedOutboxEntry[]> {
    const now = this.now();
    return [...this.outbox.values()]
      .filter((v) => !filter.outcome || v.entry.outcome === filter.outcome)
      .sort((a, b) => byOutboxTime(a.entry, b.entry))
      .map((v) => ({
        entry: structuredClone(v.entry),
        etag: v.etag,
        sinceWriteMs: now - v.writtenAtMs,
      }));
  }

  async updateOutbox(entry: OutboxEntry, etag: string): Promise<string> {
    const key = outboxKey(entry);
    const current = this.outbox.get(key);
    if (!current || current.etag !== etag)
      throw new ConcurrencyError(`notification ${entry.notificationId} changed`);
    const next = { entry: sanitizeOutbound(entry), etag: this.etag(), writtenAtMs: this.now() };
    this.outbox.set(key, next);
    return next.etag;
  }

  async notificationsOf(incidentId: string): Promise<OutboxEntry[]> {
    return [...this.outbox.values()]
      .filter((v) => v.entry.incidentId === incidentId)
      .map((v) => structuredClone(v.entry))
      .sort(byNotificationSeq);
  }

  private readonly candidates = new Map<string, StoredCandidate>();

  async listCandidates(): Promise<StoredCandidate[]> {
    return [...this.candidates.values()].map((c) => structuredClone(c));
  }

  async putCandidate(
    incident: Incident,
    etag: string | undefined,
    ledger?: PartialResultJson,
  ): Promise<string> {
    const current = this.candidates.get(incident.id);
    if (etag === undefined ? current !== undefined : current?.etag !== etag) {
      throw new ConcurrencyError(`candidate ${incident.id} changed`);
    }
    const next: StoredCandidate = { incident: sanitizeOutbound(incident), etag: this.etag() };
    if (ledger) next.ledger = sanitizeOutbound(ledger);
    this.candidates.set(incident.id, next);
    return next.etag;
  }

  async deleteCandidate(id: string, etag: string): Promise<void> {
    if (this.candidates.get(id)?.etag !== etag) throw new ConcurrencyError(`candidate ${id} changed`);
    this.candidates.delete(id);
  }

  async list(query: IncidentQuery): Promise<{ total: number; items: IncidentRecord[] }> {
    const page = selectIncidents(
      [...this.incidents.values()].map((s) => s.record),
      query,
    );
    const items = await Promise.all(
      page.items.map(async (r) =>
        withNotifications(structuredClone(r), await this.notificationsOf(r.incident.id)),
      ),
    );
    return { total: page.total, items };
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const s = this.incidents.get(id);
    if (!s) return undefined;
    return withNotifications(structuredClone(s.record), await this.notificationsOf(id));
  }
}

function outboxKey(e: Pick<OutboxEntry, "incidentId" | "seq" | "channel">): string {
  return `${e.incidentId}|${e.seq}|${e.channel}`;
}
