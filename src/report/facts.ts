import { bucketMinutesOf } from "../cluster/failure-series.js";
import { errorCodeEntry } from "../codes/error-codes.js";
import type { Summarised } from "../engine/caps.js";
import type { Incident } from "../model/incident.js";

/** Facts every renderer states about an incident, computed once so text and Markdown agree. */
export interface IncidentFacts {
  meaning?: string;
  durationText: string;
  /** The busiest bucket of the incident's series (minutes unless the series was widened). */
  peak?: { minute: string; count: number; bucketMinutes: number };
  expired: number;
  notYetValid: number;
}

export function durationText(fromIso: string, toIso: string): string {
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  const min = Math.round(ms / 60_000);
  if (min < 1) return "under a minute";
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  return `${h} h ${min % 60} min`;
}

export function incidentFacts(i: Incident): IncidentFacts {
  const facts: IncidentFacts = {
    durationText: durationText(i.firstSeen, i.lastSeen),
    expired: i.sasWindows.reduce((n, w) => n + w.expired, 0),
    notYetValid: i.sasWindows.reduce((n, w) => n + w.notYetValid, 0),
  };
  const meaning = errorCodeEntry(i.errorCode)?.meaning;
  if (meaning) facts.meaning = meaning;
  const bucketMinutes = bucketMinutesOf(i);
  for (const [minute, count] of i.perMinute) {
    if (!facts.peak || count > facts.peak.count) facts.peak = { minute, count, bucketMinutes };
  }
  return facts;
}

/** `peak 12/min`, or `peak 340 per hour` when the series was widened. */
export function peakText(peak: NonNullable<IncidentFacts["peak"]>): string {
  const m = peak.bucketMinutes;
  const per = m === 1 ? "/min" : m === 60 ? " per hour" : m === 1440 ? " per day" : ` per ${m} min`;
  return `peak ${peak.count}${per}`;
}

/** `2026-11-20T09:16:12.239Z` → `2026-11-20 09:16:12 UTC`. */
export function shortTime(iso: string): string {
  return (
    iso
      .replace("T", " ")
      .replace(/\.\d+Z$/, "")
      .replace(/Z$/, "") + " UTC"
  );
}

export const DECISION_LABEL: Record<Incident["decision"], string> = {
  authentication: "AUTHENTICATION (credential, signature, date or token problem)",
  rbac: "RBAC (authenticated caller lacks a data role or scope)",
  sas: "SAS (signature, expiry, permissions or scope of a SAS)",
  network: "NETWORK (firewall, virtual network or private endpoint)",
  policy: "POLICY (account configuration forbids the method)",
};

/** `2026-11-20 09:16:11 to 09:59:35 UTC` (the date once when both ends share it). */
export function timeRange(fromIso: string, toIso: string): string {
  const a = shortTime(fromIso);
  const b = shortTime(toIso);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a.slice(0, -4)} to ${b.slice(11)}` : `${a} to ${b}`;
}

/**
 * What the memory caps summarised, one sentence per cap reached (numbers only, nothing log-derived), so
 * text and Markdown say the same. Empty when no cap was reached.
 */
export function summarisedSentences(s: Summarised | undefined): string[] {
  if (!s) return [];
  const out: string[] = [];
  if (s.clusters)
    out.push(
      `Clusters: more than ${s.clusters.cap} at once; ${s.clusters.foldedClusters} of the smallest were folded, ` +
        `and their ${s.clusters.failures} failures are counted in the total but in no incident.`,
    );
  if (s.incidents)
    out.push(
      `Incidents: the ${s.incidents.cap} most severe are listed; ${s.incidents.omitted} more ` +
        `(${s.incidents.failures} failures) are not listed or explained.`,
    );
  if (s.callers) {
    const c = s.callers;
    const parts = [
      c.rowsOfDroppedCallers > 0
        ? `${c.rowsOfDroppedCallers} rows came from callers past the cap of ${c.maxCallers} remembered callers (counted and clustered, not used as root-cause evidence)`
        : "",
      c.foldedValues > 0 ? `${c.foldedValues} caller values were folded into "(other)"` : "",
      c.droppedBins > 0 ? `${c.droppedBins} per-caller activity bins were evicted` : "",
    ].filter(Boolean);
    out.push(`Root-cause evidence: ${parts.join("; ")}.`);
  }
  if (s.series)
    out.push(
      `Failure series: ${s.series.incidents} incident(s) failed in more than ${s.series.cap} distinct minutes; ` +
        `their failures over time are counted in buckets of up to ${s.series.widestBucketMinutes} minutes ` +
        `(bucketMinutes in the JSON), every failure still counted.`,
    );
  return out;
}
