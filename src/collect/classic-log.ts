import type { RejectionSink } from "../engine/contracts.js";
import type { RecordSink } from "./formats.js";
import type { StorageRequest } from "../model/storage-request.js";
import { LineSplitter, MAX_RECORD_BYTES, type LineHandler, type LineProblem } from "./lines.js";
import { rejectAt, type RecordLocation } from "./record-location.js";
import {
  INVALID_STATUS,
  parseDynamic,
  parseLoggedTime,
  serviceFromServiceType,
  toStatusCode,
  withoutPort,
} from "./values.js";

/**
 * Classic Storage Analytics logs (the `$logs` container): one request per line, fields separated by `;`,
 * a field that may hold `"`, `;` or a newline HTML-encoded and quoted (learn.microsoft.com "Storage
 * Analytics log format"). Version 1.0 has 30 fields; 2.0 appends 8 Microsoft Entra fields.
 */
export const CLASSIC_FIELDS_1_0 = [
  "version-number",
  "request-start-time",
  "operation-type",
  "request-status",
  "http-status-code",
  "end-to-end-latency-in-ms",
  "server-latency-in-ms",
  "authentication-type",
  "requester-account-name",
  "owner-account-name",
  "service-type",
  "request-url",
  "requested-object-key",
  "request-id-header",
  "operation-count",
  "requester-ip-address",
  "request-version-header",
  "request-header-size",
  "request-packet-size",
  "response-header-size",
  "response-packet-size",
  "request-content-length",
  "request-md5",
  "server-md5",
  "etag-identifier",
  "last-modified-time",
  "conditions-used",
  "user-agent-header",
  "referrer-header",
  "client-request-id",
] as const;

export const CLASSIC_FIELDS_2_0 = [
  ...CLASSIC_FIELDS_1_0,
  "user-object-id",
  "tenant-id",
  "application-id",
  "audience",
  "issuer",
  "user-principal-name",
  "reserved-field",
  "authorization-detail",
] as const;

type ClassicField = (typeof CLASSIC_FIELDS_2_0)[number];

const FIELD_INDEX = new Map<ClassicField, number>(CLASSIC_FIELDS_2_0.map((name, i) => [name, i]));

function idx(name: ClassicField): number {
  return FIELD_INDEX.get(name)!;
}

const I = {
  version: idx("version-number"),
  time: idx("request-start-time"),
  operation: idx("operation-type"),
  status: idx("request-status"),
  httpStatus: idx("http-status-code"),
  authType: idx("authentication-type"),
  owner: idx("owner-account-name"),
  service: idx("service-type"),
  url: idx("request-url"),
  objectKey: idx("requested-object-key"),
  requestId: idx("request-id-header"),
  ip: idx("requester-ip-address"),
  version_: idx("request-version-header"),
  userAgent: idx("user-agent-header"),
  clientRequestId: idx("client-request-id"),
  objectId: idx("user-object-id"),
  tenantId: idx("tenant-id"),
  appId: idx("application-id"),
  audience: idx("audience"),
  issuer: idx("issuer"),
  upn: idx("user-principal-name"),
  authorizationDetail: idx("authorization-detail"),
};

const FIELD_COUNT: Record<string, number> = {
  "1.0": CLASSIC_FIELDS_1_0.length,
  "2.0": CLASSIC_FIELDS_2_0.length,
};

/** A split line with exactly the field count of its version: a whole line, not one still being written. */
export function isWholeClassicLine(fields: readonly string[]): boolean {
  return FIELD_COUNT[fields[0] ?? ""] === fields.length;
}

/** The name of field `i` (0-based) as the format documents it, for rejections. */
export function classicFieldName(i: number): string {
  return CLASSIC_FIELDS_2_0[i] ?? `field ${i + 1}`;
}

/** `1.0;` or `2.0;` at the start of a file (after a BOM and blank space): a classic log. */
export function looksLikeClassicLog(b: Buffer, i: number): boolean {
  return (b[i] === 0x31 || b[i] === 0x32) && b[i + 1] === 0x2e && b[i + 2] === 0x30 && b[i + 3] === 0x3b;
}

const ENTITIES: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };

/** HTML entities as Storage Analytics writes them in quoted fields (`&quot;`, `&amp;`, `&#59;`). */
export function decodeHtmlEntities(s: string): string {
  if (s.indexOf("&") < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.charCodeAt(0) === 35) {
      const code =
        name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name] ?? whole;
  });
}

/** The fields of one line, or why it cannot be split. Quoted fields are unquoted and entity-decoded. */
export function splitClassicLine(line: string): string[] | { problem: string; field: number } {
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      // Quoted: ends at a quote followed by `;` or the end of the line; a `;` inside stays in the field.
      let v = "";
      let from = i + 1;
      let closed = -1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q < 0) break;
        if (q + 1 === n || line.charCodeAt(q + 1) === 59) {
          v += line.slice(from, q);
          closed = q;
          break;
        }
        // A doubled quote inside (CSV-style escaping some tools write) is one quote; a lone one is kept.
        v += line.slice(from, q) + '"';
        from = line.charCodeAt(q + 1) === 34 ? q + 2 : q + 1;
      }
      if (closed < 0)
        return { problem: "quoted field not closed before the end of the line", field: out.length };
      out.push(decodeHtmlEntities(v));
      i = closed + 1;
      if (i >= n) return out;
      i++; // the `;`
      if (i === n) {
        out.push("");
        return out;
      }
    } else {
      const c = line.indexOf(";", i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
      if (i === n) {
        out.push("");
        return out;
      }
    }
  }
}

/**
 * authentication-type as logged (`authenticated`, `sas`, `anonymous`, `bearer`/`oauth`) in the vocabulary
 * of AuthenticationType. `authenticated` is Shared Key unless a 2.0 line names an Entra principal.
 */
function authTypeOf(logged: string, hasEntraPrincipal: boolean): string {
  switch (logged.toLowerCase()) {
    case "authenticated":
      return hasEntraPrincipal ? "OAuth" : "AccountKey";
    case "sas":
      return "SAS";
    case "anonymous":
      return "Anonymous";
    case "bearer":
    case "oauth":
      return "OAuth";
    default:
      return logged;
  }
}

function opt(fields: readonly string[], i: number): string | undefined {
  const v = fields[i];
  return v === undefined || v.length === 0 ? undefined : v;
}

function protocolOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const colon = url.indexOf("://");
  return colon > 0 ? url.slice(0, colon).toUpperCase() : undefined;
}

/** One split line as a StorageRequest, or a rejection naming the field. */
export function storageRequestFromClassicFields(
  fields: readonly string[],
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  const version = fields[0]!;
  const expected = FIELD_COUNT[version];
  if (expected === undefined) {
    rejectAt(
      sink,
      at,
      "version-number",
      `classic log version ${JSON.stringify(version.slice(0, 10))} is not known (1.0 and 2.0 are read)`,
    );
    return undefined;
  }
  if (fields.length !== expected) {
    rejectAt(sink, at, "(record)", `${fields.length} fields where a version ${version} line has ${expected}`);
    return undefined;
  }
  const time = fields[I.time]!;
  const timeMs = parseLoggedTime(time);
  if (Number.isNaN(timeMs)) {
    rejectAt(sink, at, "request-start-time", `not a date: ${JSON.stringify(time.slice(0, 40))}`);
    return undefined;
  }
  const operation = fields[I.operation]!;
  if (operation.length === 0) {
    rejectAt(sink, at, "operation-type", "missing required field");
    return undefined;
  }
  const rawStatus = fields[I.httpStatus]!;
  const statusCode = toStatusCode(rawStatus);
  if (statusCode === INVALID_STATUS) {
    rejectAt(
      sink,
      at,
      "http-status-code",
      `not an HTTP status code: ${JSON.stringify(rawStatus.slice(0, 40))}`,
    );
    return undefined;
  }
  const account = opt(fields, I.owner);
  if (!account) {
    rejectAt(sink, at, "owner-account-name", "missing required field");
    return undefined;
  }
  const service = serviceFromServiceType(fields[I.service]);
  if (!service) {
    rejectAt(
      sink,
      at,
      "service-type",
      `not a storage service: ${JSON.stringify(fields[I.service]!.slice(0, 20))}`,
    );
    return undefined;
  }
  const v2 = version === "2.0";
  const objectId = v2 ? opt(fields, I.objectId) : undefined;
  const uri = opt(fields, I.url);
  const ip = opt(fields, I.ip);
  // Same property order as storage-records.ts builds: one object shape for every record.
  const r: StorageRequest = {
    timeMs,
    account,
    service,
    operation,
    statusCode,
    statusText: fields[I.status]!,
    authType: authTypeOf(fields[I.authType]!, objectId !== undefined),
    authHash: undefined,
    callerIp: ip === undefined ? undefined : withoutPort(ip),
    userAgent: opt(fields, I.userAgent),
    operationVersion: opt(fields, I.version_),
    uri,
    objectKey: opt(fields, I.objectKey),
    requesterObjectId: objectId,
    requesterAppId: v2 ? opt(fields, I.appId) : undefined,
    requesterTenantId: v2 ? opt(fields, I.tenantId) : undefined,
    requesterUpn: v2 ? opt(fields, I.upn) : undefined,
    requesterAudience: v2 ? opt(fields, I.audience) : undefined,
    requesterTokenIssuer: v2 ? opt(fields, I.issuer) : undefined,
    delegatedResourceId: undefined,
    authorizationDetails: v2 ? parseDynamic(opt(fields, I.authorizationDetail)) : undefined,
    resourceId: undefined,
    correlationId: opt(fields, I.requestId),
    protocol: protocolOf(uri),
    sasExpiryStatus: undefined,
    tlsVersion: undefined,
    clientRequestId: opt(fields, I.clientRequestId),
  };
  return r;
}

/** Maps one classic line's fields to a record (storage requests; other record kinds have none). */
export type ClassicFieldsReader<T> = (
  fields: readonly string[],
  at: RecordLocation,
  sink: RejectionSink,
) => T | undefined;

/** Lines of a classic log file, one request each; CRLF and a BOM are handled by the line splitter. */
export class ClassicLogParser<T> implements LineHandler {
  private readonly splitter = new LineSplitter(this);

  constructor(
    private readonly file: string,
    private readonly map: ClassicFieldsReader<T>,
    private readonly sink: RejectionSink,
    private readonly out: RecordSink<T>,
  ) {}

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
  }

  line(text: string, lineNo: number, problem: LineProblem | undefined, unterminated: boolean): void {
    const at: RecordLocation = { file: this.file, line: lineNo };
    if (problem) {
      rejectAt(
        this.sink,
        at,
        "(record)",
        problem === "too-long"
          ? `line longer than ${MAX_RECORD_BYTES} bytes; skipped`
          : "not valid UTF-8 (the file must be UTF-8 encoded)",
      );
      return;
    }
    if (text.trim().length === 0) return;
    const fields = splitClassicLine(text);
    if (!Array.isArray(fields)) {
      const name = classicFieldName(fields.field);
      const hint = unterminated ? " (last line has no line break: truncated record?)" : "";
      rejectAt(this.sink, at, name, fields.problem + hint);
      return;
    }
    const r = this.map(fields, at, this.sink);
    if (r !== undefined) this.out.push(r);
  }
}
