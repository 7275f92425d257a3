import { errorCodeEntry } from "../codes/error-codes.js";
import type { Incident } from "../model/incident.js";

/** Facts every renderer states about an incident, computed once so text and Markdown agree. */
export interface IncidentFacts {
  meaning?: string;
  durationText: string;
  peak?: { minute: string; count: number };
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
  for (const [minute, count] of i.perMinute) {
    if (!facts.peak || count > facts.peak.count) facts.peak = { minute, count };
  }
  return facts;
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
