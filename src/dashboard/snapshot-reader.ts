import type { Incident } from "../model/incident.js";
import type { IncidentQuery, IncidentReader, IncidentRecord } from "../state/contracts.js";
import { compareText } from "../order.js";

/**
 * A read-only IncidentReader over a fixed set of records: what `auth-triage serve` shows when it analysed
 * log files itself instead of reading the timer's state. Queries follow the IncidentQuery contract:
 * incidents whose activity overlaps [from, to], exact filters (account case-insensitive, as storage
 * account names are), most severe first, then offset/limit.
 */
export class SnapshotIncidentReader implements IncidentReader {
  private readonly records: readonly IncidentRecord[];

  constructor(records: readonly IncidentRecord[]) {
    this.records = [...records].sort(
      (a, b) => b.incident.severity - a.incident.severity || compareText(a.incident.id, b.incident.id),
    );
  }

  async list(query: IncidentQuery): Promise<{ total: number; items: IncidentRecord[] }> {
    const from = query.from ? Date.parse(query.from) : -Infinity;
    const to = query.to ? Date.parse(query.to) : Infinity;
    const account = query.account?.toLowerCase();
    const matching = this.records.filter((r) => {
      const inc = r.incident;
      return (
        Date.parse(inc.lastSeen) >= from &&
        Date.parse(inc.firstSeen) <= to &&
        (account === undefined || inc.account.toLowerCase() === account) &&
        (query.decision === undefined || inc.decision === query.decision) &&
        (query.errorCode === undefined || inc.errorCode === query.errorCode) &&
        (query.status === undefined || r.status === query.status)
      );
    });
    const offset = query.offset ?? 0;
    const limit = query.limit ?? matching.length;
    return { total: matching.length, items: matching.slice(offset, offset + limit) };
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    return this.records.find((r) => r.incident.id === id);
  }
}

/**
 * Records for incidents that come straight from an analysis, with no lifecycle behind them: each is
 * `open` from its first to its last failure and has no notification history.
 */
export function recordsFromAnalysis(incidents: readonly Incident[]): IncidentRecord[] {
  return incidents.map((incident) => ({
    incident,
    status: "open",
    openedAt: incident.firstSeen,
    updatedAt: incident.lastSeen,
    notifications: [],
  }));
}
