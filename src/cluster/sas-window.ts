import { detach } from "../detach.js";
/**
 * SAS validity parameters read from a logged Uri. Storage keeps `st`/`se` in the logged Uri (only `sig`
 * is masked), so comparing them with the request time tells expired from not-yet-valid SASes.
 */
export interface SasTimes {
  st?: string;
  se?: string;
  stMs?: number;
  seMs?: number;
  /** sasWindowKey(st, se), made once per distinct SAS rather than once per request. */
  window: string;
}

/** What a cluster counts SAS windows by: the token's `st` and `se` as logged. */
export function sasWindowKey(st: string | undefined, se: string | undefined): string {
  return `${st ?? ""}\u0001${se ?? ""}`;
}

function queryParam(query: string, name: string): string | undefined {
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    if (part.slice(0, eq).toLowerCase() !== name) continue;
    const raw = part.slice(eq + 1);
    try {
      return decodeURIComponent(raw.replace(/\+/g, " "));
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** A SAS `st`/`se` value as epoch ms, or undefined when it is not a time. */
export function parseSasTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  // SAS times are ISO 8601 UTC; a date-only value means midnight UTC.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `st`/`se` of the SAS in `uri`, or undefined when the Uri carries no SAS time. */
export function sasTimesOf(uri: string | undefined): SasTimes | undefined {
  if (!uri) return undefined;
  const q = uri.indexOf("?");
  if (q < 0) return undefined;
  const hash = uri.indexOf("#", q);
  return sasTimesOfQuery(uri.slice(q + 1, hash < 0 ? undefined : hash));
}

/**
 * sasTimesOf with a bounded memo keyed by the query string: the requests of one SAS share its query,
 * so the hot loop parses each distinct SAS once.
 */
export class SasTimesCache {
  private readonly memo = new Map<string, SasTimes | undefined>();

  constructor(private readonly capacity = 4096) {}

  get(uri: string | undefined): SasTimes | undefined {
    if (!uri) return undefined;
    const q = uri.indexOf("?");
    if (q < 0) return undefined;
    const hash = uri.indexOf("#", q);
    const query = uri.slice(q + 1, hash < 0 ? undefined : hash);
    const known = this.memo.get(query);
    if (known !== undefined || this.memo.has(query)) return known;
    const times = sasTimesOfQuery(query);
    if (this.memo.size >= this.capacity) this.memo.clear();
    this.memo.set(detach(query), times);
    return times;
  }
}

function sasTimesOfQuery(query: string): SasTimes | undefined {
  if (!/(?:^|&)s[te]=/i.test(query)) return undefined;
  const st = queryParam(query, "st");
  const se = queryParam(query, "se");
  if (st === undefined && se === undefined) return undefined;
  const out: SasTimes = { window: sasWindowKey(st, se) };
  if (st !== undefined) out.st = st;
  if (se !== undefined) out.se = se;
  const stMs = parseSasTime(st);
  const seMs = parseSasTime(se);
  if (stMs !== undefined) out.stMs = stMs;
  if (seMs !== undefined) out.seMs = seMs;
  return out;
}
