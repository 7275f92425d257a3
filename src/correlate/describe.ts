import type { ChangeCandidate, Incident } from "../model/incident.js";
import { fmtTime } from "./format.js";

/**
 * Turns an incident's root causes into the sentences every renderer (text, markdown, cards, dashboard)
 * shows, e.g. "key1 of prodstore was regenerated at 10:02 UTC by secops@contoso.com; callers still sign
 * with the old key1: update their secret …; do not rotate again." Plain text: renderers escape it.
 */

/** Causes within this fraction of the top score are described too. */
const RUNNER_UP_RATIO = 0.75;
const MAX_DESCRIBED = 2;

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  // No capitalisation: sentences may start with an identifier such as key1.
  return /[.!?]$/.test(t) ? t : t + ".";
}

export function describeChange(change: ChangeCandidate, onsetMs?: number): string {
  const ms = Date.parse(change.time);
  const when = Number.isFinite(ms) ? fmtTime(ms, onsetMs) : change.time;
  if (change.kind === "rbac-propagation") {
    return sentence(
      `${change.summary} (assignment at ${when} by ${change.caller})${change.advice ? `: ${change.advice}` : ""}`,
    );
  }
  if (change.source === "logs") {
    return sentence(`${change.summary} (first seen ${when})${change.advice ? `: ${change.advice}` : ""}`);
  }
  return sentence(
    `${change.summary} at ${when} by ${change.caller}${change.advice ? `; ${change.advice}` : ""}`,
  );
}

/** The root-cause sentences for an incident, most likely first; empty when nothing fits and no skew. */
export function describeRootCause(incident: Pick<Incident, "changes" | "clockSkew" | "firstSeen">): string[] {
  const out: string[] = [];
  const onsetMs = Date.parse(incident.firstSeen);
  const onset = Number.isFinite(onsetMs) ? onsetMs : undefined;
  const top = incident.changes[0];
  if (top) {
    out.push(describeChange(top, onset));
    for (const c of incident.changes.slice(1, MAX_DESCRIBED)) {
      if (c.score >= top.score * RUNNER_UP_RATIO) out.push("Also possible: " + describeChange(c, onset));
    }
  }
  if (incident.clockSkew.suspected) {
    const first = incident.clockSkew.evidence[0];
    out.push(
      sentence(
        `Clock skew suspected${first ? `: ${first.replace(/\.$/, "")}` : ""}; fix the host's time sync (NTP) and do not rotate keys or re-issue SAS for it`,
      ),
    );
  }
  return out;
}

/** True when the incident is RBAC propagation delay (renderers must not call it an outage). */
export function isRbacPropagation(incident: Pick<Incident, "changes">): boolean {
  return incident.changes[0]?.kind === "rbac-propagation";
}
