/**
 * Shared Key canonicalisation: builds the string-to-sign of a request for every scheme the service
 * supports (seed spec 004, "Authorize with Shared Key"):
 *
 * - Blob, Queue, File Shared Key (2009-09-19+ format): VERB, 11 standard headers, CanonicalizedHeaders,
 *   CanonicalizedResource with every query parameter; Content-Length "0" signs as "" from 2015-02-21.
 * - Blob, Queue, File Shared Key Lite: VERB, Content-MD5, Content-Type, Date, CanonicalizedHeaders, and
 *   the resource in the `?comp=` form.
 * - Table Shared Key: VERB, Content-MD5, Content-Type, Date (x-ms-date wins), `?comp=` resource.
 * - Table Shared Key Lite: Date (x-ms-date wins), `?comp=` resource.
 *
 * The result is a list of labelled fields, so the diff can align a client's and a server's strings field
 * by field; `text` is their concatenation. Pure (no `node:` imports): the dashboard runs it in a browser.
 */
import type { ServiceType } from "../model/storage-request.js";
import { compareCanonicalHeaderNames } from "./header-order.js";
import { headerValue, type HttpHeader, type ParsedRequest } from "./http-request.js";
import { compareText } from "../order.js";
import { emulatorPortService, isPathStyleHost, storageHostOf } from "./storage-host.js";

export type StorageService = ServiceType;
export type SharedKeyScheme = "SharedKey" | "SharedKeyLite";
export const SHARED_KEY_SCHEMES: readonly SharedKeyScheme[] = ["SharedKey", "SharedKeyLite"];

/** Which string-to-sign layout applies. */
export type SignatureLayout = "shared-key" | "shared-key-lite" | "table-shared-key" | "table-shared-key-lite";

export function layoutOf(service: StorageService, scheme: SharedKeyScheme): SignatureLayout {
  if (service === "table") return scheme === "SharedKey" ? "table-shared-key" : "table-shared-key-lite";
  return scheme === "SharedKey" ? "shared-key" : "shared-key-lite";
}

/** The standard (positional) fields of each layout, in order, after the verb where there is one. */
export const STANDARD_FIELDS: Record<SignatureLayout, readonly string[]> = {
  "shared-key": [
    "VERB",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-MD5",
    "Content-Type",
    "Date",
    "If-Modified-Since",
    "If-Match",
    "If-None-Match",
    "If-Unmodified-Since",
    "Range",
  ],
  "shared-key-lite": ["VERB", "Content-MD5", "Content-Type", "Date"],
  "table-shared-key": ["VERB", "Content-MD5", "Content-Type", "Date"],
  "table-shared-key-lite": ["Date"],
};

/** Whether the layout has a CanonicalizedHeaders part (the Table layouts do not). */
export function layoutSignsHeaders(layout: SignatureLayout): boolean {
  return layout === "shared-key" || layout === "shared-key-lite";
}

export type FieldKind = "standard" | "canonical-header" | "resource" | "query";

export interface StringToSignField {
  kind: FieldKind;
  /** Standard field name ("VERB", "Content-Length"…), canonical header name, "resource", or query name. */
  name: string;
  value: string;
}

export interface StringToSign {
  layout: SignatureLayout;
  fields: StringToSignField[];
  /** The exact string that is HMAC'd. */
  text: string;
}

/** Who signs and for what: account (never `-secondary`), service and scheme. */
export interface SigningTarget {
  account: string;
  service: StorageService;
  scheme: SharedKeyScheme;
}

/** A signed header sent more than once: the service answers 400, so the string-to-sign is undefined. */
export class DuplicateSignedHeaderError extends Error {
  override name = "DuplicateSignedHeaderError";
  constructor(readonly header: string) {
    super(
      `the signed header "${header}" appears more than once; the service rejects such a request with 400 (each signed header may appear only once)`,
    );
  }
}

/** Serialises fields back to the exact string (used for both client and parsed server strings). */
export function renderFields(fields: readonly StringToSignField[]): string {
  let out = "";
  for (const f of fields) {
    switch (f.kind) {
      case "standard":
        out += `${f.value}\n`;
        break;
      case "canonical-header":
        out += `${f.name}:${f.value}\n`;
        break;
      case "resource":
        out += f.value;
        break;
      case "query":
        out += `\n${f.name}:${f.value}`;
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Versions and dates

/** True when `version` (x-ms-version, YYYY-MM-DD) is 2015-02-21 or later: Content-Length 0 signs as "". */
export function contentLengthZeroSignsEmpty(version: string | undefined): boolean {
  return version !== undefined && /^\d{4}-\d{2}-\d{2}/.test(version) && version.slice(0, 10) >= "2015-02-21";
}

// ---------------------------------------------------------------------------------------------------
// Headers

/** Unfolds obs-folded values and trims white space around the value (the "trim around the colon" rule). */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/\r?\n[ \t]+/g, " ").trim();
}

/**
 * CanonicalizedHeaders as name/value pairs: every `x-ms-*` header, names lower-cased, sorted as the
 * service sorts them, values unfolded and trimmed. A header given twice throws.
 */
export function canonicalizedHeaders(headers: readonly HttpHeader[]): StringToSignField[] {
  const byName = new Map<string, string>();
  for (const h of headers) {
    const name = h.name.trim().toLowerCase();
    if (!name.startsWith("x-ms-")) continue;
    if (byName.has(name)) throw new DuplicateSignedHeaderError(name);
    byName.set(name, canonicalHeaderValue(h.value));
  }
  return [...byName.keys()]
    .sort(compareCanonicalHeaderNames)
    .map((name) => ({ kind: "canonical-header" as const, name, value: byName.get(name)! }));
}

function singleHeader(headers: readonly HttpHeader[], name: string, signed: boolean): string {
  const lower = name.toLowerCase();
  const values = headers.filter((h) => h.name.trim().toLowerCase() === lower);
  if (values.length > 1 && signed) throw new DuplicateSignedHeaderError(lower);
  return values[0] ? canonicalHeaderValue(values[0].value) : "";
}

// ---------------------------------------------------------------------------------------------------
// Resource

export interface UrlParts {
  hostname: string;
  /** Port as a number when given. */
  port?: number;
  /** Encoded path as sent ("/" when empty). */
  path: string;
  /** Query string without the leading "?" ("" when none). */
  query: string;
}

/** Splits a URL without re-encoding the path or query beyond what the WHATWG parser (and fetch) does. */
export function urlParts(url: string): UrlParts {
  const u = new URL(url);
  return {
    hostname: u.hostname.toLowerCase(),
    ...(u.port ? { port: Number(u.port) } : {}),
    path: u.pathname || "/",
    query: u.search.startsWith("?") ? u.search.slice(1) : u.search,
  };
}

/** Percent-decodes like the service does: `+` is a space, malformed escapes stay as they are. */
export function decodeQueryComponent(s: string): string {
  const plusAsSpace = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(plusAsSpace);
  } catch {
    // Decode each run of valid UTF-8 escapes and leave stray "%" alone.
    return plusAsSpace.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

export interface QueryParameter {
  /** Decoded, lower-cased name. */
  name: string;
  /** Decoded values in the order sent. */
  values: string[];
}

/** Query parameters grouped by lower-cased decoded name, names in the order first seen. */
export function parseQuery(query: string): QueryParameter[] {
  const groups = new Map<string, string[]>();
  if (query === "") return [];
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    const name = decodeQueryComponent(rawName).toLowerCase();
    const list = groups.get(name) ?? [];
    list.push(decodeQueryComponent(rawValue));
    groups.set(name, list);
  }
  return [...groups].map(([name, values]) => ({ name, values }));
}

/**
 * The first line of CanonicalizedResource: "/" + account + encoded path. Against the emulator the path
 * already starts with the account, so the account appears twice, as the spec says it should.
 */
export function resourcePath(account: string, url: string): string {
  return `/${account}${urlParts(url).path}`;
}

/** CanonicalizedResource, 2009-09-19 Shared Key format: path line, then `name:v1,v2` per query name. */
export function canonicalizedResource(account: string, url: string): StringToSignField[] {
  const fields: StringToSignField[] = [
    { kind: "resource", name: "resource", value: resourcePath(account, url) },
  ];
  const params = parseQuery(urlParts(url).query).sort((a, b) => compareText(a.name, b.name));
  for (const p of params) {
    fields.push({ kind: "query", name: p.name, value: [...p.values].sort(compareText).join(",") });
  }
  return fields;
}

/** CanonicalizedResource, Shared Key Lite and Table format: path plus `?comp=value` only. */
export function canonicalizedResourceLite(account: string, url: string): StringToSignField[] {
  const comp = parseQuery(urlParts(url).query).find((p) => p.name === "comp");
  const suffix = comp ? `?comp=${comp.values[0] ?? ""}` : "";
  return [{ kind: "resource", name: "resource", value: resourcePath(account, url) + suffix }];
}

// ---------------------------------------------------------------------------------------------------
// String-to-sign

export interface StringToSignOptions {
  /**
   * Overrides the x-ms-version used for the Content-Length rule (by default the request's x-ms-version;
   * without one the pre-2015-02-21 rule applies, as for any request that names no version).
   */
  version?: string;
}

/** The string-to-sign of `request` for `target`. Throws DuplicateSignedHeaderError for repeated signed headers. */
export function buildStringToSign(
  request: Pick<ParsedRequest, "method" | "url" | "headers">,
  target: SigningTarget,
  options: StringToSignOptions = {},
): StringToSign {
  const layout = layoutOf(target.service, target.scheme);
  const headers = request.headers;
  const fields: StringToSignField[] = [];
  const standard = (name: string, value: string) => fields.push({ kind: "standard", name, value });
  const hasXmsDate = headers.some((h) => h.name.trim().toLowerCase() === "x-ms-date");
  const xmsDate = hasXmsDate ? singleHeader(headers, "x-ms-date", true) : "";
  const verb = request.method.toUpperCase();

  switch (layout) {
    case "shared-key": {
      const version = options.version ?? headerValue(request, "x-ms-version");
      standard("VERB", verb);
      for (const name of STANDARD_FIELDS["shared-key"].slice(1)) {
        let value = singleHeader(headers, name, true);
        if (name === "Content-Length" && value === "0" && contentLengthZeroSignsEmpty(version)) value = "";
        // With x-ms-date present, the Date line is empty (x-ms-date is signed in CanonicalizedHeaders).
        if (name === "Date" && hasXmsDate) value = "";
        standard(name, value);
      }
      fields.push(...canonicalizedHeaders(headers));
      fields.push(...canonicalizedResource(target.account, request.url));
      break;
    }
    case "shared-key-lite": {
      standard("VERB", verb);
      standard("Content-MD5", singleHeader(headers, "Content-MD5", true));
      standard("Content-Type", singleHeader(headers, "Content-Type", true));
      standard("Date", hasXmsDate ? "" : singleHeader(headers, "Date", true));
      fields.push(...canonicalizedHeaders(headers));
      fields.push(...canonicalizedResourceLite(target.account, request.url));
      break;
    }
    case "table-shared-key": {
      standard("VERB", verb);
      standard("Content-MD5", singleHeader(headers, "Content-MD5", true));
      standard("Content-Type", singleHeader(headers, "Content-Type", true));
      // Table signs the date itself: x-ms-date when present, else Date.
      standard("Date", hasXmsDate ? xmsDate : singleHeader(headers, "Date", true));
      fields.push(...canonicalizedResourceLite(target.account, request.url));
      break;
    }
    case "table-shared-key-lite": {
      standard("Date", hasXmsDate ? xmsDate : singleHeader(headers, "Date", true));
      fields.push(...canonicalizedResourceLite(target.account, request.url));
      break;
    }
  }
  return { layout, fields, text: renderFields(fields) };
}

// ---------------------------------------------------------------------------------------------------
// Inferring the target from the request

/** The service from the host name (`.blob.`, `.dfs.` → blob…) or the emulator's default ports. */
export function inferService(url: string): StorageService | undefined {
  const { hostname, port } = urlParts(url);
  const host = storageHostOf(hostname);
  if (host) return host.service;
  if (isPathStyleHost(hostname)) return emulatorPortService(port);
  return undefined;
}

/** The account from the host (without `-secondary`) or, path-style, from the first path segment. */
export function inferAccount(url: string): string | undefined {
  const { hostname, path } = urlParts(url);
  const host = storageHostOf(hostname);
  if (host) return host.account;
  if (isPathStyleHost(hostname)) {
    const first = path.split("/")[1];
    if (first) return first.replace(/-secondary$/, "");
  }
  return undefined;
}

export interface AuthorizationInfo {
  scheme: SharedKeyScheme;
  account: string;
  /** Whether a signature follows the colon; the signature itself is never returned. */
  hasSignature: boolean;
}

/** Reads scheme and account from a Shared Key Authorization header value; undefined for other schemes. */
export function parseSharedKeyAuthorization(value: string | undefined): AuthorizationInfo | undefined {
  if (!value) return undefined;
  const m = /^\s*(SharedKey|SharedKeyLite)\s+([^:\s]+):(\S*)\s*$/.exec(value);
  if (!m) return undefined;
  return { scheme: m[1] as SharedKeyScheme, account: m[2]!, hasSignature: m[3]!.length > 0 };
}
