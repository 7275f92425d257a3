/**
 * The signature diff: rebuilds the string-to-sign of a captured request, parses the server's
 * string-to-sign with the same layout, aligns both field by field (verb, each standard header by name,
 * each canonical header, the resource, each query parameter) and names the likely cause in plain words,
 * with a verdict in the product's vocabulary and the wrong fixes to avoid.
 *
 * Reasoning: the rebuilt string is what the server computes when the request arrives unchanged. A
 * difference therefore means something changed between signing and arrival (a proxy, a library, a
 * telemetry SDK) or the two sides apply a version rule differently; no difference means the key (or the
 * client's own signing code) is at fault.
 *
 * Pure; every value leaving this module is redacted (secret headers and query parameters).
 */
import { errorCodeEntry } from "../codes/error-codes.js";
import type { Decision } from "../model/incident.js";
import { REDACTED, redactSecrets } from "../redact.js";
import {
  buildStringToSign,
  contentLengthZeroSignsEmpty,
  DuplicateSignedHeaderError,
  layoutOf,
  layoutSignsHeaders,
  renderFields,
  STANDARD_FIELDS,
  type SignatureLayout,
  type StringToSignField,
} from "./canonical.js";
import { compareCanonicalHeaderNames } from "./header-order.js";
import { headerValue, type ParsedRequest } from "./http-request.js";
import { safeDecode } from "./storage-host.js";
import { parseServerAuthError, type ServerAuthError } from "./server-error.js";
import { resolveSigningTarget, type ResolvedTarget, type TargetOverrides } from "./target.js";

export type RowSection = "standard" | "canonical-header" | "resource" | "query";
/** same; differs; client-only = signed by the client but not seen by the server; server-only = the reverse. */
export type RowStatus = "same" | "differs" | "client-only" | "server-only";

export interface AlignedRow {
  section: RowSection;
  name: string;
  client?: string;
  server?: string;
  status: RowStatus;
}

export type CauseId =
  | "duplicate-signed-header"
  | "no-server-string"
  | "layout-mismatch"
  | "stale-date"
  | "future-date"
  | "verb-changed"
  | "x-ms-date-stripped"
  | "signed-header-stripped"
  | "telemetry-header-added"
  | "header-added-after-signing"
  | "version-changed"
  | "date-changed"
  | "whitespace-normalised"
  | "header-value-changed"
  | "content-length-zero-rule"
  | "content-length-added"
  | "content-length-changed"
  | "content-type-added"
  | "content-type-changed"
  | "standard-header-changed"
  | "header-order"
  | "account-changed"
  | "path-encoding-changed"
  | "path-double-encoded"
  | "path-case-changed"
  | "path-prefix-added"
  | "path-prefix-removed"
  | "path-changed"
  | "query-changed"
  | "identical";

/**
 * Causes that show the request changed between the signer and Storage (a proxy, a gateway, SDK middleware
 * that runs after signing): the key is not what failed, and the fix is where the request is changed.
 */
/** The request doctor's finding id for a cause of the signature diff (doctor-adapter.ts makes them). */
export function signatureFindingId(cause: CauseId): string {
  return `signature-${cause}`;
}

/** The cause a doctor finding id names, when it is one of the signature diff's causes. */
export function causeOfSignatureFinding(findingId: string): CauseId | undefined {
  return findingId.startsWith("signature-") ? (findingId.slice("signature-".length) as CauseId) : undefined;
}

export const CHANGED_AFTER_SIGNING: ReadonlySet<CauseId> = new Set<CauseId>([
  "verb-changed",
  "x-ms-date-stripped",
  "signed-header-stripped",
  "telemetry-header-added",
  "header-added-after-signing",
  "version-changed",
  "date-changed",
  "whitespace-normalised",
  "header-value-changed",
  "content-length-added",
  "content-length-changed",
  "content-type-added",
  "content-type-changed",
  "standard-header-changed",
  "path-encoding-changed",
  "path-double-encoded",
  "path-case-changed",
  "path-prefix-added",
  "path-prefix-removed",
  "path-changed",
  "query-changed",
]);

export interface LikelyCause {
  id: CauseId;
  /** The field the cause is about, when there is one. */
  field?: string;
  explanation: string;
}

export interface SignatureVerdict {
  decision: Decision;
  errorCode: string;
  summary: string;
  avoid: string[];
}

export interface SignatureExplanation {
  target: {
    account: string;
    service: string;
    scheme: string;
    version?: string;
    provenance: ResolvedTarget["provenance"];
  };
  server: Omit<ServerAuthError, "stringToSign"> & { hasStringToSign: boolean; layout?: SignatureLayout };
  /** True when both strings are byte-identical. */
  identical: boolean;
  rows: AlignedRow[];
  /** Most likely first. */
  causes: LikelyCause[];
  verdict: SignatureVerdict;
  notes: string[];
}

/** Headers whose values are secrets (customer-provided keys, copy-source credentials). */
const SECRET_HEADERS = new Set([
  "x-ms-encryption-key",
  "x-ms-source-encryption-key",
  "x-ms-copy-source-authorization",
  "authorization",
]);
const SECRET_QUERY = new Set([
  "sig",
  "signature",
  "sv_sig",
  "x-ms-signature",
  "api-key",
  "access_token",
  "code",
]);

/** Correlation headers that APM SDKs inject (Application Insights and friends), all x-ms-* and so signed. */
const TELEMETRY_HEADERS = new Set([
  "x-ms-request-root-id",
  "x-ms-request-id",
  "x-ms-request-source-ikey",
  "x-ms-request-target-ikey",
]);

const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;

function redactValue(section: RowSection, name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (section === "canonical-header" && SECRET_HEADERS.has(name)) return REDACTED;
  if (section === "query" && SECRET_QUERY.has(name)) return REDACTED;
  return redactSecrets(value);
}

/**
 * The string-to-sign with secret header values (customer-provided keys, copy-source credentials) and
 * secret query values (SAS `sig`) replaced by REDACTED: safe to print, no longer HMAC-able.
 */
export function redactedStringToSign(fields: readonly StringToSignField[]): string {
  return renderFields(
    fields.map((f) => {
      const section: RowSection = f.kind === "standard" ? "standard" : f.kind;
      return { ...f, value: redactValue(section, f.name, f.value) ?? "" };
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Parsing the server's string into fields

/** Splits a string-to-sign into fields for `layout`; undefined when it does not have that shape. */
export function parseStringToSign(text: string, layout: SignatureLayout): StringToSignField[] | undefined {
  const lines = text.split("\n");
  const standardNames = STANDARD_FIELDS[layout];
  if (lines.length < standardNames.length + 1) return undefined;
  const fields: StringToSignField[] = standardNames.map((name, i) => ({
    kind: "standard",
    name,
    value: lines[i]!,
  }));
  let i = standardNames.length;
  if (layoutSignsHeaders(layout)) {
    for (; i < lines.length && /^x-ms-[^:]*:/i.test(lines[i]!); i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      fields.push({ kind: "canonical-header", name: line.slice(0, colon), value: line.slice(colon + 1) });
    }
  }
  const resource = lines[i];
  if (resource === undefined || !resource.startsWith("/")) return undefined;
  fields.push({ kind: "resource", name: "resource", value: resource });
  const rest = lines.slice(i + 1);
  if (layout !== "shared-key") return rest.length === 0 ? fields : undefined;
  for (const line of rest) {
    const colon = line.indexOf(":");
    const last = fields[fields.length - 1]!;
    if (colon < 0 && last.kind === "query") {
      last.value += `\n${line}`; // a value that contained a newline
      continue;
    }
    if (colon < 0) return undefined;
    fields.push({ kind: "query", name: line.slice(0, colon), value: line.slice(colon + 1) });
  }
  return fields;
}

const ALL_LAYOUTS: readonly SignatureLayout[] = [
  "shared-key",
  "shared-key-lite",
  "table-shared-key",
  "table-shared-key-lite",
];

// ---------------------------------------------------------------------------------------------------
// Alignment

function align(client: StringToSignField[], server: StringToSignField[]): AlignedRow[] {
  const rows: AlignedRow[] = [];
  const row = (section: RowSection, name: string, c: string | undefined, s: string | undefined) => {
    const status: RowStatus =
      c === undefined ? "server-only" : s === undefined ? "client-only" : c === s ? "same" : "differs";
    rows.push({
      section,
      name,
      ...(c !== undefined ? { client: c } : {}),
      ...(s !== undefined ? { server: s } : {}),
      status,
    });
  };
  const of = (fields: StringToSignField[], kind: StringToSignField["kind"]) =>
    new Map(fields.filter((f) => f.kind === kind).map((f) => [f.name, f.value]));

  const cs = client.filter((f) => f.kind === "standard");
  const ss = of(server, "standard");
  for (const f of cs) row("standard", f.name, f.value, ss.get(f.name) ?? "");

  const ch = of(client, "canonical-header");
  const sh = of(server, "canonical-header");
  const headerNames = [...new Set([...ch.keys(), ...sh.keys()])].sort(compareCanonicalHeaderNames);
  for (const name of headerNames) row("canonical-header", name, ch.get(name), sh.get(name));

  row("resource", "resource", of(client, "resource").get("resource"), of(server, "resource").get("resource"));

  const cq = of(client, "query");
  const sq = of(server, "query");
  const queryNames = [...new Set([...cq.keys(), ...sq.keys()])].sort();
  for (const name of queryNames) row("query", name, cq.get(name), sq.get(name));
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Causes

/** Percent-escapes present in `from` that appear decoded in `to`, as [escape, character] pairs. */
function escapeChanges(from: string, to: string): [string, string][] {
  const changes = new Map<string, string>();
  for (const m of from.matchAll(/%[0-9A-Fa-f]{2}/g)) {
    const decoded = safeDecode(m[0]);
    if (!to.toUpperCase().includes(m[0].toUpperCase()) && to.includes(decoded))
      changes.set(m[0].toUpperCase(), decoded);
  }
  return [...changes];
}

function describe(value: string | undefined): string {
  return value === undefined ? "(absent)" : value === "" ? "(empty)" : `'${value}'`;
}

function resourceCauses(client: string, server: string, notes: string[]): LikelyCause[] {
  const split = (r: string) => {
    const q = r.indexOf("?");
    const path = q >= 0 ? r.slice(0, q) : r;
    const slash = path.indexOf("/", 1);
    return {
      account: slash < 0 ? path.slice(1) : path.slice(1, slash),
      path: slash < 0 ? "/" : path.slice(slash),
      comp: q >= 0 ? r.slice(q) : "",
    };
  };
  const c = split(client);
  const s = split(server);
  const causes: LikelyCause[] = [];
  if (c.account !== s.account) {
    causes.push({
      id: "account-changed",
      field: "resource",
      explanation: `The server signed for account '${s.account}', the client for '${c.account}'. The account in the resource must be the primary account name (no '-secondary'); against the emulator it appears twice (path-style URL). Check --account or the client's account name.`,
    });
  }
  if (c.path !== s.path) {
    if (safeDecode(c.path) === safeDecode(s.path)) {
      const decoded = escapeChanges(c.path, s.path);
      const encoded = escapeChanges(s.path, c.path);
      const what = decoded.length
        ? `the server saw ${decoded.map(([esc, ch]) => `'${esc}' as '${ch}'`).join(", ")}: a proxy in front of Storage (IIS/ARR, a WAF, an API gateway) decoded the path before forwarding it (cf. Azurite#1348)`
        : encoded.length
          ? `the client signed ${encoded.map(([esc, ch]) => `'${ch}' where the server saw '${esc}'`).join(", ")}: something percent-encoded the path after signing`
          : "the two paths encode the same characters differently";
      causes.push({
        id: "path-encoding-changed",
        field: "resource",
        explanation: `The path is the same once decoded but is encoded differently: ${what}. The service signs the path exactly as it receives it. Make the proxy forward the original encoding (for IIS/ARR: useOriginalURLEncoding and allowDoubleEscaping), or avoid reserved characters in names.`,
      });
    } else if (safeDecode(s.path) === c.path || safeDecode(c.path) === s.path) {
      const again = safeDecode(s.path) === c.path;
      const [from, to] = again ? [c.path, s.path] : [s.path, c.path];
      const escapes = [...new Set(to.match(/%25[0-9A-Fa-f]{2}/g) ?? [])].slice(0, 3);
      const pairs = escapes.map((e) => `'${e.slice(0, 1)}${e.slice(3)}' ${again ? "as" : "from"} '${e}'`);
      const seen = pairs.length ? ` (${pairs.join(", ")})` : "";
      causes.push({
        id: "path-double-encoded",
        field: "resource",
        explanation: again
          ? `The server saw the path percent-encoded once more than the client sent it${seen}: a proxy or gateway encoded an already encoded URL after signing (nginx proxy_pass with a URI part, a rewrite rule, an API gateway's backend URL template). Make it forward the path exactly as received. ${describe(from)} was signed.`
          : `The server saw the path decoded once more than the client sent it${seen}: a proxy or gateway decoded the URL after signing and forwarded it decoded. Make it forward the path exactly as received. ${describe(from)} was signed.`,
      });
    } else if (c.path.toLowerCase() === s.path.toLowerCase()) {
      causes.push({
        id: "path-case-changed",
        field: "resource",
        explanation: `The path differs only in letter case (${describe(c.path)} signed, ${describe(s.path)} seen): a proxy or rewrite rule changed the case after signing (a lower-case URL rule, a case-insensitive router). Blob, file and queue names are case-sensitive: forward the path unchanged.`,
      });
    } else if (s.path.endsWith(c.path) && s.path.length > c.path.length) {
      const prefix = s.path.slice(0, s.path.length - c.path.length);
      causes.push({
        id: "path-prefix-added",
        field: "resource",
        explanation: `The server saw the path with an extra prefix '${prefix}': an ingress or reverse proxy forwarded its public path to Storage instead of stripping it (cf. Azurite#2448, nginx path prefix). Rewrite the path at the ingress, or sign the path Storage receives.`,
      });
    } else if (c.path.endsWith(s.path) && c.path.length > s.path.length) {
      const prefix = c.path.slice(0, c.path.length - s.path.length);
      causes.push({
        id: "path-prefix-removed",
        field: "resource",
        explanation: `The client signed the path with a prefix '${prefix}' that the server did not see: a proxy strips that prefix before forwarding. Sign the path as Storage receives it (without '${prefix}').`,
      });
    } else {
      causes.push({
        id: "path-changed",
        field: "resource",
        explanation: `The resource path differs (${describe(c.path)} signed, ${describe(s.path)} seen): a rewrite rule or redirect changed the URL after signing, or the client signed another URL than it sent.`,
      });
    }
  }
  if (c.comp !== s.comp) {
    causes.push({
      id: "query-changed",
      field: "resource",
      explanation: `The ?comp= part differs (${describe(c.comp)} signed, ${describe(s.comp)} seen): the query changed after signing.`,
    });
  }
  if (causes.length === 0)
    notes.push("The resource lines differ in a way not recognised; compare them character by character.");
  return causes;
}

function telemetryCause(names: string[]): LikelyCause {
  const list = names.join(" and ");
  return {
    id: "telemetry-header-added",
    field: names.join(", "),
    explanation: `${list} reached the server but ${names.length > 1 ? "were" : "was"} not signed: an APM/telemetry SDK (e.g. Application Insights dependency correlation) injected ${names.length > 1 ? "them" : "it"} after the request was signed. Every x-ms-* header is signed, so every Shared Key call fails after such an SDK is added or upgraded. Exclude the storage endpoints from correlation-header injection (e.g. correlationHeaderExcludedDomains: *.core.windows.net) or make signing run after the telemetry hook.`,
  };
}

/** One telemetry cause naming every injected header, in place of one cause per header. */
function mergeTelemetryCauses(causes: LikelyCause[]): LikelyCause[] {
  const telemetry = causes.filter((c) => c.id === "telemetry-header-added");
  if (telemetry.length < 2) return causes;
  const merged = telemetryCause(telemetry.map((c) => c.field!));
  const first = causes.indexOf(telemetry[0]!);
  const rest = causes.filter((c) => c.id !== "telemetry-header-added");
  rest.splice(first, 0, merged);
  return rest;
}

function headerCauses(row: AlignedRow, clientVersion: string | undefined): LikelyCause | undefined {
  const { name, client, server } = row;
  if (row.status === "client-only") {
    if (name === "x-ms-date") {
      return {
        id: "x-ms-date-stripped",
        field: name,
        explanation:
          "x-ms-date was signed but never reached the server: a proxy or gateway stripped it. Without x-ms-date the server signs the Date header instead (see the Date row), so every request fails. Let x-ms-* headers through the proxy unchanged.",
      };
    }
    return {
      id: "signed-header-stripped",
      field: name,
      explanation: `${name} was signed but never reached the server: a proxy, gateway or HTTP library removed it after signing. Let x-ms-* headers through unchanged.`,
    };
  }
  if (row.status === "server-only") {
    if (TELEMETRY_HEADERS.has(name)) return telemetryCause([name]);
    return {
      id: "header-added-after-signing",
      field: name,
      explanation: `${name} reached the server but was not signed: something added it after signing (a proxy, a retry or telemetry policy that runs after the signing policy). Add it before signing, or stop it being added.`,
    };
  }
  if (name === "x-ms-version") {
    return {
      id: "version-changed",
      field: name,
      explanation: `The request was signed with x-ms-version ${describe(client)} but the server saw ${describe(server)}: a proxy, an API gateway policy or a pipeline policy running after signing rewrote the version (cf. azure-sdk-for-java#15008). Set the version before signing.${clientVersion ? "" : " The rebuilt string used the request's own x-ms-version."}`,
    };
  }
  if (name === "x-ms-date") {
    return {
      id: "date-changed",
      field: name,
      explanation: `x-ms-date changed after signing (${describe(client)} signed, ${describe(server)} seen): the request was re-dated without being re-signed (a retry that refreshes the date, or a proxy).`,
    };
  }
  if (
    client !== undefined &&
    server !== undefined &&
    client.replace(/\s+/g, " ").trim() === server.replace(/\s+/g, " ").trim()
  ) {
    return {
      id: "whitespace-normalised",
      field: name,
      explanation: `${name} differs only in white space: the server trims and unfolds header values before signing (cf. azure-sdk-for-net#28485 for metadata values). Sign the trimmed value, or send values without leading, trailing or folded white space.`,
    };
  }
  return {
    id: "header-value-changed",
    field: name,
    explanation: `${name} changed after signing (${describe(client)} signed, ${describe(server)} seen).`,
  };
}

function standardCause(
  row: AlignedRow,
  request: Pick<ParsedRequest, "headers">,
  version: string | undefined,
  rows: AlignedRow[],
  serverIsAzurite: boolean,
): LikelyCause | undefined {
  const { name, client = "", server = "" } = row;
  if (name === "VERB") {
    return {
      id: "verb-changed",
      field: name,
      explanation: `The server saw verb ${describe(server)}, the client signed ${describe(client)}: a proxy or redirect changed the method.`,
    };
  }
  if (name === "Content-Length") {
    const sent = headerValue(request, "content-length");
    if ((client === "" && server === "0" && sent === "0") || (client === "0" && server === "")) {
      const versionRow = rows.find((r) => r.name === "x-ms-version");
      const versionNote =
        versionRow && versionRow.status !== "same"
          ? ` The x-ms-version rows differ too: the server judged by ${describe(versionRow.server)}.`
          : "";
      return {
        id: "content-length-zero-rule",
        field: name,
        explanation:
          client === ""
            ? `The body is empty (Content-Length: 0) and the request names x-ms-version ${describe(version)}, so from 2015-02-21 a zero Content-Length is signed as an empty line; the server signed "0", as it does only for older or missing versions. The version the server applied is older than the one the client signed for.${versionNote}`
            : `The body is empty (Content-Length: 0) and the request names ${version ? `x-ms-version '${version}', older than 2015-02-21` : "no x-ms-version"}, so "0" is signed; the server signed an empty line, as it does from 2015-02-21.${serverIsAzurite ? ' Azurite does so for every version (Azurite#1335); Azure itself signs "0" here, so this request would pass against Azure.' : " Send and sign x-ms-version 2015-02-21 or later, and sign Content-Length 0 as empty."}${versionNote}`,
      };
    }
    if (client === "" && server !== "") {
      return {
        id: "content-length-added",
        field: name,
        explanation: `The server saw Content-Length ${describe(server)} that was not signed: the HTTP library set it after signing (the captured request had none). Sign with the final body length.`,
      };
    }
    return {
      id: "content-length-changed",
      field: name,
      explanation: `The body length changed after signing (${describe(client)} signed, ${describe(server)} seen): compression, re-encoding or a proxy changed the body.`,
    };
  }
  if (name === "Content-Type") {
    if (client === "") {
      return {
        id: "content-type-added",
        field: name,
        explanation: `A Content-Type of ${describe(server)} reached the server but was not signed: an HTTP library added it after signing (fetch adds 'text/plain;charset=UTF-8' to string bodies; axios and requests add form types; cf. azure-storage-python#256). Set Content-Type explicitly before signing.`,
      };
    }
    return {
      id: "content-type-changed",
      field: name,
      explanation: `Content-Type changed after signing (${describe(client)} signed, ${describe(server)} seen), typically a charset appended or stripped by an HTTP library or proxy.`,
    };
  }
  if (name === "Date") {
    const xmsStripped = rows.some((r) => r.name === "x-ms-date" && r.status === "client-only");
    if (xmsStripped) return undefined; // explained by the x-ms-date row
    return {
      id: "date-changed",
      field: name,
      explanation: `The Date line differs (${describe(client)} signed, ${describe(server)} seen): ${client === "" ? "the server signed the Date header's value although x-ms-date is present. Azure signs an empty Date line then; Azurite (Azurite#1385) and @azure/storage-common 12.4.x sign the value. Against such a server, drop the Date header or sign its value" : "the Date header was rewritten in transit"}.`,
    };
  }
  return {
    id: "standard-header-changed",
    field: name,
    explanation:
      client === ""
        ? `${name} ${describe(server)} reached the server but was not signed: an HTTP stack or proxy added it after signing (some caching stacks add conditional headers, cf. azure-storage-net#171).`
        : server === ""
          ? `${name} was signed but did not reach the server: a proxy or HTTP library dropped it.`
          : `${name} changed after signing (${describe(client)} signed, ${describe(server)} seen).`,
  };
}

function requestDate(request: Pick<ParsedRequest, "headers">): string | undefined {
  return headerValue(request, "x-ms-date") ?? headerValue(request, "date");
}

function dateCauses(request: Pick<ParsedRequest, "headers">, server: ServerAuthError): LikelyCause[] {
  const sent = server.staleDate ?? requestDate(request);
  if (!sent) return [];
  const sentMs = Date.parse(sent);
  if (Number.isNaN(sentMs)) return [];
  if (server.staleDate && !server.time) {
    return [
      {
        id: "stale-date",
        field: "x-ms-date",
        explanation: `The server rejected the request date '${sent}' as too old (more than 15 minutes before it received the request): the client's clock is behind, or the request was signed long before it was sent (a queued or replayed request). Sync the client clock (NTP) and sign just before sending.`,
      },
    ];
  }
  if (!server.time) return [];
  const skew = Date.parse(server.time) - sentMs;
  const minutes = Math.round(Math.abs(skew) / 60000);
  if (skew > FIFTEEN_MINUTES_MS) {
    return [
      {
        id: "stale-date",
        field: "x-ms-date",
        explanation: `The request is dated '${sent}', ${minutes} minutes before the server's time ${server.time}: more than the 15 minutes allowed. The client's clock is behind (a container or VM clock that drifted, e.g. after sleep), or the request was signed long before it was sent. Sync the clock (NTP) and sign just before sending.`,
      },
    ];
  }
  if (-skew > FIFTEEN_MINUTES_MS) {
    return [
      {
        id: "future-date",
        field: "x-ms-date",
        explanation: `The request is dated '${sent}', ${minutes} minutes after the server's time ${server.time}: the client's clock runs ahead. Sync the clock (NTP).`,
      },
    ];
  }
  return [];
}

function identicalCause(request: Pick<ParsedRequest, "headers">): LikelyCause {
  const hasEncoding = headerValue(request, "content-encoding") !== undefined;
  const hasLanguage = headerValue(request, "content-language") !== undefined;
  const sdkNote =
    hasEncoding || hasLanguage
      ? " This request sends Content-Encoding or Content-Language: @azure/storage-common 12.4.x and earlier signs those two in swapped positions (fixed by Azure/azure-sdk-for-js#39853), so JavaScript clients fail on exactly such requests; upgrade it."
      : "";
  const unnormalised = request.headers.find(
    (h) => h.name.toLowerCase().startsWith("x-ms-") && /^\s|\s$|\s{2}/.test(h.value),
  );
  const whitespaceNote = unnormalised
    ? ` ${unnormalised.name} carries leading, trailing or repeated white space: the server trims and unfolds it before signing, and signers that sign the raw value fail on exactly such values (cf. azure-sdk-for-net#28485); trim the value before signing.`
    : "";
  return {
    id: "identical",
    explanation: `The server built exactly the string the request implies: the request arrived as signed. So the signature was computed with another key (a regenerated key, the other key slot, another account's key, a key with stray characters, or one not base64-decoded before the HMAC), or the client's signing code builds a different string for this request.${sdkNote}${whitespaceNote} Compare the key the client holds with the account's current keys (by hash, not by printing them).`,
  };
}

// ---------------------------------------------------------------------------------------------------
// Entry point

/**
 * The error code whose guidance applies. A signature diff is about authentication, so the code table's
 * AuthenticationFailed entry applies unless the server named a code with its own meaning (e.g. Shared Key
 * disabled by policy). Azurite answers AuthorizationFailure for a bad signature, where Azure would answer
 * AuthenticationFailed; on Azure, AuthorizationFailure means a network rule, which a string-to-sign rules out.
 */
function guidanceCode(errorCode: string | undefined, hasStringToSign: boolean, notes: string[]): string {
  if (!errorCode) return "AuthenticationFailed";
  if (errorCode === "AuthorizationFailure" && hasStringToSign) {
    notes.push(
      "The error code is AuthorizationFailure: that is what Azurite answers for a bad signature. Azure answers AuthenticationFailed; on Azure, AuthorizationFailure means a network or firewall rule.",
    );
    return "AuthenticationFailed";
  }
  return errorCodeEntry(errorCode) ? errorCode : "AuthenticationFailed";
}

function verdictFor(errorCode: string, causes: LikelyCause[]): SignatureVerdict {
  const entry = errorCodeEntry(errorCode) ?? errorCodeEntry("AuthenticationFailed")!;
  const rule =
    entry.rules.find((r) => r.authTypes === "*" || r.authTypes.includes("AccountKey")) ?? entry.rules[0]!;
  const top = causes[0];
  const lead =
    top?.id === "identical"
      ? "The request arrived unchanged; the key or the client's signing code is wrong."
      : top?.id === "stale-date" || top?.id === "future-date"
        ? "The request's date is outside the 15-minute window: a clock problem, not a key problem."
        : top?.id === "duplicate-signed-header"
          ? "The request repeats a signed header; the service rejects it with 400 before checking the signature."
          : top?.id === "no-server-string"
            ? "The error holds no string-to-sign to compare."
            : "The request changed between signing and arrival (or the two sides applied different rules); the key is not the problem.";
  return {
    decision: rule.decision,
    errorCode: entry.code,
    // With a specific lead, the table's generic summary (which lists the key among the suspects) would
    // contradict it; it is kept only when nothing more specific is known.
    summary: !top || top.id === "no-server-string" ? `${lead} ${rule.guidance.summary}` : lead,
    avoid: [...rule.guidance.avoid],
  };
}

/**
 * Explains why a Shared Key signature failed, from the captured request and the server's answer (an
 * error body, the detail text or the bare string-to-sign). Overrides win over what the request implies.
 */
export function explainSignatureMismatch(
  request: Pick<ParsedRequest, "method" | "url" | "headers">,
  serverInput: ServerAuthError | string,
  overrides: TargetOverrides = {},
): SignatureExplanation {
  const server = typeof serverInput === "string" ? parseServerAuthError(serverInput) : serverInput;
  const target = resolveSigningTarget(request, overrides);
  const version = headerValue(request, "x-ms-version");
  const notes: string[] = [];
  const causes: LikelyCause[] = [];
  const { stringToSign: serverString, ...serverRest } = server;
  const expectedLayout = layoutOf(target.service, target.scheme);
  let rows: AlignedRow[] = [];
  let identical = false;
  let matchedLayout: SignatureLayout | undefined;

  causes.push(...dateCauses(request, server));

  let clientFields: StringToSignField[] | undefined;
  try {
    clientFields = buildStringToSign(request, target).fields;
  } catch (err) {
    if (!(err instanceof DuplicateSignedHeaderError)) throw err;
    causes.unshift({
      id: "duplicate-signed-header",
      field: err.header,
      explanation: `The request sends ${err.header} more than once. Each signed header may appear only once; the service answers 400 Bad Request. Remove the duplicate (often a header set both by the application and by a library or proxy).`,
    });
  }

  if (clientFields && serverString !== undefined) {
    let serverFields = parseStringToSign(serverString, expectedLayout);
    matchedLayout = serverFields ? expectedLayout : undefined;
    if (!serverFields) {
      for (const layout of ALL_LAYOUTS) {
        const parsed = parseStringToSign(serverString, layout);
        if (parsed) {
          serverFields = parsed;
          matchedLayout = layout;
          break;
        }
      }
    }
    if (!serverFields || !matchedLayout) {
      notes.push(
        "The server's string-to-sign does not have the shape of any Shared Key layout (is it complete? was it truncated or re-wrapped when pasted?).",
      );
    } else {
      if (matchedLayout !== expectedLayout) {
        causes.push({
          id: "layout-mismatch",
          explanation: `The server built a ${matchedLayout} string but the request implies ${expectedLayout} (${target.scheme} for ${target.service}): the scheme or service differs from what the client signed for. Check --scheme/--service and the Authorization header's scheme.`,
        });
        notes.push(`Fields are aligned using the server's layout (${matchedLayout}).`);
        clientFields = buildStringToSign(request, {
          ...target,
          service: matchedLayout.startsWith("table")
            ? "table"
            : target.service === "table"
              ? "blob"
              : target.service,
          scheme: matchedLayout.endsWith("lite") ? "SharedKeyLite" : "SharedKey",
        }).fields;
      }
      rows = align(clientFields, serverFields);
      // Compare the strings, not just the rows: the same fields in another order are a difference too.
      identical = renderFields(clientFields) === serverString;
      for (const row of rows) {
        if (row.status === "same") continue;
        let cause: LikelyCause | undefined;
        if (row.section === "standard")
          cause = standardCause(row, request, version, rows, server.shape === "azurite-log");
        else if (row.section === "canonical-header") cause = headerCauses(row, version);
        else if (row.section === "query") {
          cause = {
            id: "query-changed",
            field: row.name,
            explanation:
              row.status === "client-only"
                ? `The query parameter '${row.name}' was signed but did not reach the server: a proxy dropped it.`
                : row.status === "server-only"
                  ? `The query parameter '${row.name}' reached the server but was not signed: something appended it after signing (a retry policy adding timeout, a proxy adding a cache-buster).`
                  : (row.client ?? "").replace(/\+/g, " ") === (row.server ?? "").replace(/\+/g, " ")
                    ? `The query parameter '${row.name}' differs only in '+' versus space: the service decodes '+' as a space. Percent-encode a literal '+' as %2B.`
                    : `The query parameter '${row.name}' changed after signing (${describe(row.client)} signed, ${describe(row.server)} seen).`,
          };
        } else if (row.client !== undefined && row.server !== undefined) {
          causes.push(...resourceCauses(row.client, row.server, notes));
        }
        if (cause) causes.push(cause);
      }
      if (!identical) {
        const clientOrder = clientFields.filter((f) => f.kind === "canonical-header").map((f) => f.name);
        const serverOrder = serverFields.filter((f) => f.kind === "canonical-header").map((f) => f.name);
        const sameSet =
          clientOrder.length === serverOrder.length && clientOrder.every((n) => serverOrder.includes(n));
        if (sameSet && clientOrder.join("\n") !== serverOrder.join("\n")) {
          causes.push({
            id: "header-order",
            explanation:
              "The same x-ms-* headers are listed in a different order: the client sorted them differently from the service, which ignores '-' at first and sorts like .NET's culture-aware comparison. Sort header names the way the service does (see docs/signature.md).",
          });
        }
      }
      if (identical) causes.push(identicalCause(request));
    }
  } else if (clientFields && serverString === undefined && !causes.some((c) => c.id === "stale-date")) {
    causes.push({
      id: "no-server-string",
      explanation:
        "The server's answer holds no string-to-sign. Azure includes it in AuthenticationErrorDetail of a 403 AuthenticationFailed; Azurite answers 403 AuthorizationFailure without it (its --debug log has '[STRING TO SIGN]'); a proxy may have replaced the body. Paste the full error body or the detail text.",
    });
  }

  if (!version)
    notes.push(
      "The request has no x-ms-version: Shared Key requests need one; without it the pre-2015-02-21 Content-Length rule applies.",
    );
  else if (!contentLengthZeroSignsEmpty(version))
    notes.push(`x-ms-version ${version} is older than 2015-02-21: Content-Length 0 is signed as "0".`);

  const redactedRows = rows.map((r) => {
    const client = redactValue(r.section, r.name, r.client);
    const serverValue = redactValue(r.section, r.name, r.server);
    return {
      ...r,
      ...(client !== undefined ? { client } : {}),
      ...(serverValue !== undefined ? { server: serverValue } : {}),
    };
  });
  const redactedCauses = mergeTelemetryCauses(causes).map((c) => ({
    ...c,
    explanation: redactSecrets(c.explanation),
  }));
  return {
    target: {
      account: target.account,
      service: target.service,
      scheme: target.scheme,
      ...(version ? { version } : {}),
      provenance: target.provenance,
    },
    server: {
      ...serverRest,
      hasStringToSign: serverString !== undefined,
      ...(matchedLayout ? { layout: matchedLayout } : {}),
    },
    identical,
    rows: redactedRows,
    causes: redactedCauses,
    verdict: verdictFor(guidanceCode(server.errorCode, serverString !== undefined, notes), redactedCauses),
    notes,
  };
}
