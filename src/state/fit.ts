import type { Incident } from "../model/incident.js";

/**
 * Table storage caps a string property at 64 KiB (32 K UTF-16 characters) and an entity at 1 MiB, so
 * JSON is split into chunk properties and an incident is trimmed, deliberately and in a fixed order,
 * when even that would not fit: oldest per-minute points first, then samples, then the long tail of
 * callers, clusters and causes. The counts and first/last seen are never trimmed.
 */
export const CHUNK_CHARS = 30_000;
/** Leaves room in the 1 MiB entity for the other properties (strings count two bytes per character). */
export const INCIDENT_BUDGET_CHARS = 360_000;
export const PAYLOAD_BUDGET_CHARS = 120_000;
/**
 * The slices an incident is rebuilt from (the `ledger` chunks): with a fitted incident (at most
 * INCIDENT_BUDGET_CHARS, usually a few KB) the entity stays under 1 MiB only if both stay small; an
 * incident's ledger is compacted every run, so only a pathological account exceeds it.
 */
export const LEDGER_BUDGET_CHARS = 150_000;

export function chunk(text: string, size = CHUNK_CHARS): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [""];
}

export function fitIncident(
  incident: Incident,
  budgetChars = INCIDENT_BUDGET_CHARS,
): { incident: Incident; trimmed: boolean } {
  let json = JSON.stringify(incident);
  if (json.length <= budgetChars) return { incident, trimmed: false };
  const i: Incident = structuredClone(incident);
  const steps: Array<() => void> = [
    () => (i.perMinute = i.perMinute.slice(-Math.ceil(i.perMinute.length / 2))),
    () => {
      i.sampleUris = i.sampleUris.slice(0, 5);
      i.sampleObjectKeys = i.sampleObjectKeys.slice(0, 5);
    },
    () => (i.callers = i.callers.slice(0, 20)),
    () => (i.clusters = i.clusters.slice(0, 50)),
    () => (i.changes = i.changes.slice(0, 10)),
    () => (i.sasWindows = i.sasWindows.slice(0, 10)),
    () => (i.perMinute = i.perMinute.slice(-60)),
    () => {
      i.callers = i.callers.slice(0, 5);
      i.clusters = i.clusters.slice(0, 10);
      i.operations = i.operations.slice(0, 50);
      i.clockSkew = { ...i.clockSkew, evidence: i.clockSkew.evidence.slice(0, 5) };
    },
    () => {
      // Last resort for pathological field sizes (e.g. huge user agents): cap every string.
      const cap = (s: string) => (s.length > 512 ? s.slice(0, 511) + "…" : s);
      i.callers = i.callers.map((c) => ({ ...c, userAgent: c.userAgent ? cap(c.userAgent) : undefined }));
      i.sampleUris = i.sampleUris.map(cap);
      i.sampleObjectKeys = i.sampleObjectKeys.map(cap);
      i.changes = i.changes.map((c) => ({ ...c, summary: cap(c.summary), why: cap(c.why) }));
    },
  ];
  for (const step of steps) {
    // Per-minute halving repeats until it no longer helps.
    step();
    json = JSON.stringify(i);
    if (json.length <= budgetChars) return { incident: i, trimmed: true };
  }
  throw new Error(
    `incident ${incident.id} is still ${json.length} characters after trimming; it cannot be stored`,
  );
}
