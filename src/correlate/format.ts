/** Small formatting helpers for the plain words root causes are explained in. */

/** A caller identity (`ip:`, `oid:`, `sas:`, `key:` …) as people read it: without its kind prefix. */
export function displayCaller(caller: string): string {
  return caller.replace(/^(ip|oid|sas|key):/, "");
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `10:02 UTC`, or `2026-11-22 10:02 UTC` when `ms` is on another UTC day than `refMs`. */
export function fmtTime(ms: number, refMs?: number): string {
  const d = new Date(ms);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  const sameDay =
    refMs !== undefined && new Date(refMs).toISOString().slice(0, 10) === d.toISOString().slice(0, 10);
  return sameDay ? `${hm} UTC` : `${d.toISOString().slice(0, 10)} ${hm} UTC`;
}

/** `10:02:07 UTC` (seconds matter for SAS start times). */
export function fmtTimeSeconds(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** `45 s`, `3 min`, `2 h 10 min`, `3 d 4 h`. */
export function fmtDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  const min = Math.round(abs / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** First 8 characters of a hash, enough to tell tokens apart in the portal. */
export function shortHash(hash: string): string {
  return hash.length > 10 ? hash.slice(0, 8) + "…" : hash;
}

/** `a, b and 3 more`: the first `max` items, of `count` in all (those given, unless told). */
export function listWords(items: readonly string[], max = 3, count = items.length): string {
  if (count === 0) return "";
  const shown = items.slice(0, max);
  const rest = count - shown.length;
  if (rest > 0) return `${shown.join(", ")} and ${rest} more`;
  if (shown.length === 1) return shown[0]!;
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/** The last `n` segments of a resource id: `storageAccounts/prodstore`. */
export function shortResource(resourceId: string, segments = 2): string {
  const parts = resourceId.split("/").filter(Boolean);
  return parts.slice(-segments).join("/") || resourceId;
}

/** Round a score to 3 decimals so JSON stays stable across platforms. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
