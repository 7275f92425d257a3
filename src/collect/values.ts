import type { ServiceType } from "../model/storage-request.js";

/** Cell values as exports carry them: strings (CSV, most JSON exports) or native JSON types. */

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const d = digit(s, i);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, mo: number, d: number, h: number, mi: number, sec: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return false;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0);
}

/**
 * ISO 8601 `2024-05-01T10:00:00.1234567Z` (any number of fractional digits, `Z`, an offset, or no zone
 * meaning UTC, as Log Analytics datetimes are UTC). Hand-parsed: it is on the hot path and Date.parse
 * both accepts junk (`"1"`) and reads zone-less times as local time.
 */
function parseIso(s: string): number {
  const n = s.length;
  if (n < 16) return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const sep = s.charCodeAt(10);
  if (y < 0 || mo < 0 || d < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  if (sep !== 84 && sep !== 32 && sep !== 116) return NaN;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (h < 0 || mi < 0 || s.charCodeAt(13) !== 58) return NaN;
  let i = 16;
  let sec = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    sec = digits(s, 17, 2);
    if (sec < 0) return NaN;
    i = 19;
    if (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44) {
      i++;
      let scale = 100;
      const fracStart = i;
      while (i < n) {
        const dd = digit(s, i);
        if (dd < 0) break;
        ms += dd * scale;
        scale /= 10;
        i++;
      }
      if (i === fracStart) return NaN;
      ms = Math.floor(ms + 1e-9);
    }
  }
  if (!validDate(y, mo, d, h, mi, sec)) return NaN;
  let offsetMin = 0;
  if (i < n) {
    const z = s.charCodeAt(i);
    if (z === 90 || z === 122) {
      i++;
    } else if (z === 43 || z === 45) {
      const oh = digits(s, i + 1, 2);
      const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
      const om = digits(s, i + 3 + colon, 2);
      if (oh < 0 || om < 0) return NaN;
      offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
      i += 5 + colon;
    }
    if (i !== n) return NaN;
  }
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMin * 60_000;
}

const PORTAL_TIME =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4}),? (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))? ?([AaPp][Mm])?$/;

/** The Azure portal's CSV export writes datetimes as `5/23/2024, 8:41:12.283 PM` (UTC per the header). */
function parsePortalTime(s: string): number {
  const m = PORTAL_TIME.exec(s);
  if (!m) return NaN;
  const mo = Number(m[1]);
  const d = Number(m[2]);
  const y = Number(m[3]);
  let h = Number(m[4]);
  const mi = Number(m[5]);
  const sec = Number(m[6]);
  const ms = m[7] ? Math.floor(Number("0." + m[7]) * 1000 + 1e-9) : 0;
  const ampm = m[8]?.toUpperCase();
  if (ampm) {
    if (h < 1 || h > 12) return NaN;
    if (ampm === "AM" && h === 12) h = 0;
    else if (ampm === "PM" && h !== 12) h += 12;
  }
  if (!validDate(y, mo, d, h, mi, sec)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

/**
 * Records that follow each other mostly share their hour (an archive `PT1H.json` is one hour of one
 * account): remember the last `YYYY-MM-DDTHH:` parsed. Sharing the second, as this cache once did,
 * missed on nearly every row of an hourly file (BENCHMARKS.md).
 */
let lastHourText = "\u0000never";
let lastHourMs = NaN;

function parseIsoCached(s: string): number {
  const end = s.length - 1;
  const fastShape = end > 20 && s.charCodeAt(19) === 46 && s.charCodeAt(end) === 90;
  // Fast case: `YYYY-MM-DDTHH:MM:SS.fffffffZ` in the hour parsed last.
  if (fastShape && s.charCodeAt(16) === 58 && s.startsWith(lastHourText)) {
    const mi = digits(s, 14, 2);
    const sec = digits(s, 17, 2);
    if (mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59) {
      let ms = 0;
      let scale = 100;
      let i = 20;
      for (; i < end; i++) {
        const d = s.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        ms += d * scale;
        scale /= 10;
      }
      if (i === end) return lastHourMs + mi * 60_000 + sec * 1000 + Math.floor(ms + 1e-9);
    }
  }
  const t = parseIso(s);
  if (fastShape && !Number.isNaN(t)) {
    const hour = s.slice(0, 14);
    const hourMs = hourStartMs(hour);
    if (!Number.isNaN(hourMs)) {
      lastHourText = hour;
      lastHourMs = hourMs;
    }
  }
  return t;
}

/**
 * Epoch ms of an hour written `YYYY-MM-DDTHH:`, NaN when it is not one. A logged time of the common
 * shape `YYYY-MM-DDTHH:MM:SS.fffffffZ`, its minutes and seconds in range and its fraction all digits,
 * is this plus its minutes, seconds and whole milliseconds (the success-row skim reads times so).
 */
export function hourStartMs(hour: string): number {
  return parseIso(hour + "00Z");
}

/** Epoch ms of a logged time, NaN when it is not a date. */
export function parseLoggedTime(s: string): number {
  const t = parseIsoCached(s);
  if (!Number.isNaN(t)) return t;
  return s.length > 0 && s.length < 40 && s.charCodeAt(1) !== 45 ? parsePortalTime(s.trim()) : NaN;
}

/** Result of reading HTTP status: a number, null for `Unknown`/empty (as KQL toint), or invalid. */
export const INVALID_STATUS = -1;

/** toint(StatusCode): "403" and 403 give 403; "Unknown" gives null; anything else is invalid (-1). */
export function toStatusCode(v: string | number): number | null {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? v : INVALID_STATUS;
  const s = v.trim();
  const n = s.length;
  if (n > 0 && n <= 10) {
    let x = 0;
    let ok = true;
    for (let i = 0; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) {
        ok = false;
        break;
      }
      x = x * 10 + d;
    }
    if (ok) return x;
  }
  if (n === 0 || s === "Unknown" || s === "unknown") return null;
  // SMB rows in StorageFileLogs carry NTSTATUS codes in hex.
  if (/^0x[0-9a-fA-F]{1,8}$/.test(s)) return parseInt(s, 16);
  return INVALID_STATUS;
}

/** Docs show UserAgentHeader quoted, real rows unquoted: accept both. */
export function stripSurroundingQuotes(s: string): string {
  return s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34 ? s.slice(1, -1) : s;
}

/** A present, non-empty string; other values (null, "", numbers) count as absent for optional text. */
export function text(v: unknown): string | undefined {
  if (typeof v === "string") return v.length > 0 ? v : undefined;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

const TABLE_SERVICE: Record<string, ServiceType> = {
  StorageBlobLogs: "blob",
  StorageQueueLogs: "queue",
  StorageTableLogs: "table",
  StorageFileLogs: "file",
};

export function serviceFromServiceType(v: string | undefined): ServiceType | undefined {
  if (!v) return undefined;
  const s = v.toLowerCase();
  return s === "blob" || s === "queue" || s === "table" || s === "file" ? s : undefined;
}

export function serviceFromTable(v: string | undefined): ServiceType | undefined {
  return v ? TABLE_SERVICE[v] : undefined;
}

/** `…/storageAccounts/{acct}/blobServices/default` → blob. */
export function serviceFromResourceId(id: string | undefined): ServiceType | undefined {
  if (!id) return undefined;
  const lower = id.toLowerCase();
  if (lower.includes("/blobservices")) return "blob";
  if (lower.includes("/queueservices")) return "queue";
  if (lower.includes("/tableservices")) return "table";
  if (lower.includes("/fileservices")) return "file";
  return undefined;
}

const ACCOUNTS_SEGMENT = "/storageAccounts/";
const ANY_CASE_ACCOUNTS_SEGMENT = /\/storageaccounts\//i;

/**
 * Whether `a` and `b` are the same text but for case, as `a.toLowerCase() === b.toLowerCase()` says,
 * without making either: an archive names an account in lower case and its resource id in upper case,
 * so every row of one compared two strings it first copied. ASCII is compared in place; anything else
 * is left to toLowerCase.
 */
export function sameTextIgnoringCase(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return a.toLowerCase() === b.toLowerCase();
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x > 127 || y > 127) return a.toLowerCase() === b.toLowerCase();
    // Only letters differ by case: A–Z is a–z less 32.
    if ((x | 32) !== (y | 32) || (x | 32) < 97 || (x | 32) > 122) return false;
  }
  return true;
}

/** `…/storageAccounts/{acct}/…` → acct (the first such segment, in any casing). */
export function accountFromResourceId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  // Azure's casing is found without lower-casing the whole id, which every success row paid for.
  let at = id.indexOf(ACCOUNTS_SEGMENT);
  if (at < 0 || ANY_CASE_ACCOUNTS_SEGMENT.test(id.slice(0, at)))
    at = id.toLowerCase().indexOf("/storageaccounts/");
  if (at < 0) return undefined;
  const start = at + "/storageaccounts/".length;
  const end = id.indexOf("/", start);
  const acct = end < 0 ? id.slice(start) : id.slice(start, end);
  return acct.length > 0 ? acct : undefined;
}

/** Dynamic columns arrive as objects (JSON exports) or as JSON text (CSV, `az` output). */
export function parseDynamic(v: unknown): unknown {
  if (typeof v !== "string") return v === null ? undefined : v;
  const s = v.trim();
  if (s.length === 0) return undefined;
  const c = s.charCodeAt(0);
  if (c === 123 || c === 91) {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return v;
    }
  }
  return v;
}

/** Dynamic value that should be an object (Properties_d, Claims_d…). */
export function parseDynamicObject(v: unknown): Record<string, unknown> | undefined {
  const parsed = parseDynamic(v);
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

/**
 * stripPort (src/model) without its allocations, for the hot path: `10.1.2.3:4567` → `10.1.2.3`,
 * `[::1]:443` → `::1`, bare IPv6 kept. Same results (a property test holds them equal).
 */
export function withoutPort(ipWithPort: string): string {
  let s = ipWithPort;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (first <= 32 || last <= 32 || first === 0xa0 || last === 0xa0 || first > 0x7f || last > 0x7f)
    s = s.trim();
  if (s.charCodeAt(0) === 91) {
    const end = s.indexOf("]");
    return end > 0 ? s.slice(1, end) : s;
  }
  const colon = s.indexOf(":");
  if (colon < 0) return s;
  return s.indexOf(":", colon + 1) < 0 ? s.slice(0, colon) : s;
}
