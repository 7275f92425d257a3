import { z } from "zod";
import { detach } from "../detach.js";
import type { RejectionSink } from "../engine/contracts.js";
import type { ServiceType, StorageRequest } from "../model/storage-request.js";
import {
  SEEN_BOOLEAN,
  SEEN_CONTAINER,
  SEEN_NUMBER,
  SEEN_STRING,
  compileFieldSet,
  extractFields,
  flattenFields,
  type Latin1Buffer,
} from "./json-fields.js";
import { NOT_HANDLED, rejectAt, rejectZod, type RecordLocation } from "./record-location.js";
import { FieldLocator } from "./skim/field-locator.js";
import {
  ARCHIVE_COLUMNS,
  LEAN_REQUEST_FIELDS,
  LOG_ANALYTICS_COLUMNS,
  leanSuccessRecord,
  type Fields,
  type LeanField,
  type StorageColumns,
  type SuccessFields,
} from "./storage-columns.js";
import {
  INVALID_STATUS,
  accountFromResourceId,
  parseDynamic,
  parseLoggedTime,
  sameTextIgnoringCase,
  serviceFromResourceId,
  serviceFromServiceType,
  serviceFromTable,
  stripSurroundingQuotes,
  text,
  toStatusCode,
  withoutPort,
} from "./values.js";

/** Optional text column: string, or a native scalar some exporters emit. */
const optionalText = z.union([z.string(), z.number(), z.boolean()]).optional();
const optionalString = z.string().optional();
const statusCode = z.union([z.number(), z.string()]);

/**
 * A Log Analytics row (StorageBlobLogs/QueueLogs/TableLogs/FileLogs), columns by name. Values may be
 * strings or native JSON types (exports differ). Only the columns the engine uses are declared.
 */
export const logAnalyticsStorageRowSchema = z.object({
  TimeGenerated: z.string(),
  AccountName: optionalText,
  OperationName: z.string(),
  StatusCode: statusCode,
  StatusText: optionalText,
  AuthenticationType: optionalText,
  AuthenticationHash: optionalText,
  CallerIpAddress: optionalText,
  UserAgentHeader: optionalText,
  OperationVersion: optionalText,
  Uri: optionalText,
  ObjectKey: optionalText,
  RequesterObjectId: optionalText,
  RequesterAppId: optionalText,
  RequesterTenantId: optionalText,
  RequesterUpn: optionalText,
  RequesterAudience: optionalText,
  RequesterTokenIssuer: optionalText,
  AuthorizationDetails: z.unknown().optional(),
  ServiceType: optionalText,
  Type: optionalText,
  _ResourceId: optionalText,
  CorrelationId: optionalText,
  Protocol: optionalText,
  SasExpiryStatus: optionalText,
  TlsVersion: optionalText,
  ClientRequestId: optionalText,
});

/**
 * A diagnostic-setting archive record (`PT1H.json` line, storage-logs.md §2), flattened: nested fields
 * are named by their path (`identity.type`) so a rejection names exactly the bad field.
 */
export const archiveStorageRecordSchema = z.object({
  time: z.string(),
  resourceId: optionalString,
  operationName: z.string(),
  operationVersion: optionalString,
  statusCode: statusCode,
  statusText: optionalString,
  callerIpAddress: optionalString,
  correlationId: optionalString,
  uri: optionalString,
  protocol: optionalString,
  "identity.type": optionalString,
  "identity.tokenHash": optionalString,
  "identity.authorization": z.unknown().optional(),
  "identity.requester.appId": optionalString,
  "identity.requester.audience": optionalString,
  "identity.requester.objectId": optionalString,
  "identity.requester.tenantId": optionalString,
  "identity.requester.upn": optionalString,
  "identity.requester.tokenIssuer": optionalString,
  "identity.delegatedResource.resourceId": optionalString,
  /** Seen in real exports under identity rather than properties; read when properties.objectKey is absent. */
  "identity.properties.objectKey": optionalString,
  "properties.accountName": optionalString,
  "properties.serviceType": optionalString,
  "properties.userAgentHeader": optionalString,
  "properties.objectKey": optionalString,
  "properties.clientRequestId": optionalString,
  "properties.tlsVersion": optionalString,
  "properties.sasExpiryStatus": optionalString,
  /** Documented twin of `uri`; read when `uri` is absent. */
  "properties.requestUrl": optionalString,
});

const same = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, n]));

/**
 * The fields read from either shape of storage record. One selection serves both, so a JSON Lines file
 * can mix Log Analytics rows (`TimeGenerated`…) and archive records (`time`…).
 */
const STORAGE_SPEC = {
  ...same(Object.keys(logAnalyticsStorageRowSchema.shape)),
  ...same(Object.keys(archiveStorageRecordSchema.shape).filter((k) => !k.includes("."))),
  identity: {
    type: "identity.type",
    tokenHash: "identity.tokenHash",
    authorization: "identity.authorization",
    requester: {
      appId: "identity.requester.appId",
      audience: "identity.requester.audience",
      objectId: "identity.requester.objectId",
      tenantId: "identity.requester.tenantId",
      upn: "identity.requester.upn",
      tokenIssuer: "identity.requester.tokenIssuer",
    },
    delegatedResource: { resourceId: "identity.delegatedResource.resourceId" },
    properties: { objectKey: "identity.properties.objectKey" },
  },
  properties: {
    accountName: "properties.accountName",
    serviceType: "properties.serviceType",
    userAgentHeader: "properties.userAgentHeader",
    objectKey: "properties.objectKey",
    clientRequestId: "properties.clientRequestId",
    tlsVersion: "properties.tlsVersion",
    sasExpiryStatus: "properties.sasExpiryStatus",
    requestUrl: "properties.requestUrl",
  },
};
export const STORAGE_FIELDS = compileFieldSet(STORAGE_SPEC);

const TIME_GENERATED_SLOT = STORAGE_FIELDS.names.indexOf("TimeGenerated");
/** Only the fields each schema reads: half the properties to build per record. */
const makeLogAnalyticsRow = STORAGE_FIELDS.maker(Object.keys(logAnalyticsStorageRowSchema.shape));
const makeArchiveRecord = STORAGE_FIELDS.maker(Object.keys(archiveStorageRecordSchema.shape));
const TIME_SLOT = STORAGE_FIELDS.names.indexOf("time");

/** JSON types a zod field accepts, as bits. */
const STRING = 1;
const NUMBER = 2;
const BOOLEAN = 4;
const CONTAINER = 8;
const ANY = STRING | NUMBER | BOOLEAN | CONTAINER;

function kindOf(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v === "string" || v === SEEN_STRING) return STRING;
  if (typeof v === "number" || v === SEEN_NUMBER) return NUMBER;
  if (typeof v === "boolean" || v === SEEN_BOOLEAN) return BOOLEAN;
  if (v === SEEN_CONTAINER || typeof v === "object") return CONTAINER;
  return ANY + 1;
}

/** Per field of one shape: which JSON types its schema accepts, and whether the field is required. */
export interface SlotCheck {
  name: string;
  slot: number;
  accepts: number;
  required: boolean;
}

/** The type checks the shape's zod schema makes, read off the schema itself so the two cannot drift. */
export function slotChecks(schema: z.ZodObject): SlotCheck[] {
  const accepts = (t: z.core.$ZodType): number => {
    const def = t._zod.def;
    switch (def.type) {
      case "optional":
        return accepts((def as z.core.$ZodOptionalDef).innerType);
      case "union":
        return (def as z.core.$ZodUnionDef).options.reduce((m, o) => m | accepts(o), 0);
      case "string":
        return STRING;
      case "number":
        return NUMBER;
      case "boolean":
        return BOOLEAN;
      case "unknown":
        return ANY;
      default:
        throw new Error(`storage records: unsupported schema type ${def.type}`);
    }
  };
  return Object.entries(schema.shape as Record<string, z.core.$ZodType>).map(([name, t]) => ({
    name,
    slot: STORAGE_FIELDS.names.indexOf(name),
    accepts: accepts(t),
    required: t._zod.def.type !== "optional",
  }));
}

const LA_CHECKS = slotChecks(logAnalyticsStorageRowSchema);
const ARCHIVE_CHECKS = slotChecks(archiveStorageRecordSchema);

/** Whether the field of `c` takes `v` (a value, or a SEEN_* mark of one) as its zod schema does. */
function takes(c: SlotCheck, v: unknown): boolean {
  const k = kindOf(v);
  if (k === 0) return !c.required;
  // zod's numbers are finite; only a field of any type (z.unknown) takes NaN or Infinity.
  return (k & c.accepts) !== 0 && (typeof v !== "number" || Number.isFinite(v) || c.accepts === ANY);
}

/**
 * Whether `row` passes its shape's schema, told by the schema's own type checks: its fields hold no
 * transforms, so a row that passes is what zod would return (the rows are made with the schema's keys
 * only), and zod, which allocates several objects per row, is needed only to word a rejection.
 */
export function passesSchemaChecks(checks: readonly SlotCheck[], row: Record<string, unknown>): boolean {
  for (const c of checks) if (!takes(c, row[c.name])) return false;
  return true;
}

/** One shape of storage record: its schema, its column names, and how it tells the service. */
interface StorageShape {
  schema: typeof logAnalyticsStorageRowSchema | typeof archiveStorageRecordSchema;
  /** The schema's type checks (slotChecks), so that a row that passes needs no zod parse. */
  checks: readonly SlotCheck[];
  columns: StorageColumns;
  /** Where a field is read when its column is absent (documented or seen twins). */
  fallbacks?: { objectKey?: string; uri?: string };
  serviceOf(row: Record<string, unknown>): ServiceType | undefined;
}

type ColumnsOf<S extends z.ZodObject> = {
  [F in keyof StorageColumns]: undefined extends StorageColumns[F]
    ? (keyof z.infer<S> & string) | undefined
    : keyof z.infer<S> & string;
};

// Each shape's column names are keys of its schema: a name that is not fails to compile here.
LOG_ANALYTICS_COLUMNS satisfies ColumnsOf<typeof logAnalyticsStorageRowSchema>;
ARCHIVE_COLUMNS satisfies ColumnsOf<typeof archiveStorageRecordSchema>;

const LOG_ANALYTICS_SHAPE: StorageShape = {
  schema: logAnalyticsStorageRowSchema,
  checks: LA_CHECKS,
  columns: LOG_ANALYTICS_COLUMNS,
  // Exports without ServiceType still name their table (StorageBlobLogs…) in Type.
  serviceOf: (row) => serviceFromServiceType(text(row.ServiceType)) ?? serviceFromTable(text(row.Type)),
};

const ARCHIVE_SHAPE: StorageShape = {
  schema: archiveStorageRecordSchema,
  checks: ARCHIVE_CHECKS,
  columns: ARCHIVE_COLUMNS,
  fallbacks: { objectKey: "identity.properties.objectKey", uri: "properties.requestUrl" },
  serviceOf: (row) => serviceFromServiceType(text(row["properties.serviceType"])),
};

function ipOf(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined ? undefined : withoutPort(s);
}

function userAgentOf(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined ? undefined : stripSurroundingQuotes(s);
}

/**
 * Validates a record of one shape and normalises it; a record that fails is rejected with the field
 * (as the shape names it) and the reason.
 */
function storageRequestOfShape(
  shape: StorageShape,
  raw: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  let row = raw;
  if (!passesSchemaChecks(shape.checks, raw)) {
    const parsed = shape.schema.safeParse(raw);
    if (!parsed.success) {
      rejectZod(sink, at, raw, parsed.error);
      return undefined;
    }
    row = parsed.data;
  }
  const cols = shape.columns;
  const time = row[cols.time] as string;
  const timeMs = parseLoggedTime(time);
  if (Number.isNaN(timeMs)) {
    rejectAt(sink, at, cols.time, `not a date: ${JSON.stringify(time.slice(0, 40))}`);
    return undefined;
  }
  const rawStatus = row[cols.statusCode] as string | number;
  const status = toStatusCode(rawStatus);
  if (status === INVALID_STATUS) {
    const shown = JSON.stringify(String(rawStatus).slice(0, 40));
    rejectAt(sink, at, cols.statusCode, `not an HTTP status code: ${shown}`);
    return undefined;
  }
  const resourceId = text(row[cols.resourceId]);
  const named = text(row[cols.account]);
  const accountOfId = accountFromResourceId(resourceId);
  if (named !== undefined && accountOfId !== undefined && !sameTextIgnoringCase(named, accountOfId)) {
    // Never pick one silently: the record is about one account or the other.
    rejectAt(
      sink,
      at,
      cols.account,
      `names account ${JSON.stringify(named.slice(0, 64))} but ${cols.resourceId} is of account ${JSON.stringify(accountOfId.slice(0, 64))}`,
    );
    return undefined;
  }
  const account = named ?? accountOfId;
  if (!account) {
    rejectAt(sink, at, cols.account, "missing required field (and no storage account in the resource id)");
    return undefined;
  }
  const service = shape.serviceOf(row) ?? serviceFromResourceId(resourceId);
  if (!service) {
    rejectAt(sink, at, cols.service, "cannot tell the service (no ServiceType, table Type or resource id)");
    return undefined;
  }
  const r: Fields = {
    timeMs,
    account,
    service,
    operation: row[cols.operation] as string,
    statusCode: status,
    statusText: text(row[cols.statusText]) ?? "",
    authType: text(row[cols.authType]) ?? "",
    authHash: text(row[cols.authHash]),
    callerIp: ipOf(row[cols.callerIp]),
    userAgent: userAgentOf(row[cols.userAgent]),
    operationVersion: text(row[cols.operationVersion]),
    uri: text(row[cols.uri]) ?? (shape.fallbacks?.uri ? text(row[shape.fallbacks.uri]) : undefined),
    objectKey:
      text(row[cols.objectKey]) ??
      (shape.fallbacks?.objectKey ? text(row[shape.fallbacks.objectKey]) : undefined),
    requesterObjectId: text(row[cols.requesterObjectId]),
    requesterAppId: text(row[cols.requesterAppId]),
    requesterTenantId: text(row[cols.requesterTenantId]),
    requesterUpn: text(row[cols.requesterUpn]),
    requesterAudience: text(row[cols.requesterAudience]),
    requesterTokenIssuer: text(row[cols.requesterTokenIssuer]),
    delegatedResourceId: cols.delegatedResourceId ? text(row[cols.delegatedResourceId]) : undefined,
    authorizationDetails: parseDynamic(row[cols.authorizationDetails]),
    resourceId,
    correlationId: text(row[cols.correlationId]),
    protocol: text(row[cols.protocol]),
    sasExpiryStatus: text(row[cols.sasExpiryStatus]),
    tlsVersion: text(row[cols.tlsVersion]),
    clientRequestId: text(row[cols.clientRequestId]),
  };
  return r;
}

/** A Log Analytics row (StorageBlobLogs…), columns by name. */
export function storageRequestFromLogAnalyticsRow(
  raw: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  return storageRequestOfShape(LOG_ANALYTICS_SHAPE, raw, at, sink);
}

/** A diagnostic-setting archive record, flattened (nested fields named by path). */
export function storageRequestFromArchiveRecord(
  flat: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  return storageRequestOfShape(ARCHIVE_SHAPE, flat, at, sink);
}

/** Picks the mapping by shape: Log Analytics rows have `TimeGenerated`, archive records `time`. */
function fromSlots(vals: unknown[], at: RecordLocation, sink: RejectionSink): StorageRequest | undefined {
  return vals[TIME_GENERATED_SLOT] === undefined && vals[TIME_SLOT] !== undefined
    ? storageRequestFromArchiveRecord(makeArchiveRecord(vals), at, sink)
    : storageRequestFromLogAnalyticsRow(makeLogAnalyticsRow(vals), at, sink);
}

/** A parsed record of either shape (JSON array element, CSV row, Logs API row, JSON Lines line). */
export function storageRequestFromObject(
  raw: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  const flat = flattenFields(raw, STORAGE_FIELDS);
  if ("badField" in flat) {
    rejectAt(sink, at, flat.badField, "expected an object");
    return undefined;
  }
  return fromSlots(flat.vals, at, sink);
}

/**
 * JSON Lines fast path: the fields straight from the bytes; NOT_HANDLED sends the line to JSON.parse.
 * `likelyFailure` when the line has already been seen to carry a 401/403 status (by the skim, or
 * mentionsAuthFailure), so its values are copied out of the bytes at once; the line's text is then not
 * needed.
 */
export function storageRequestFromJsonBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
  line: string | undefined,
  at: RecordLocation,
  sink: RejectionSink,
  likelyFailure = false,
): StorageRequest | undefined | typeof NOT_HANDLED {
  // Copies can be made from a Buffer only (extractFields slices otherwise).
  const copies = likelyFailure && Buffer.isBuffer(bytes);
  const vals =
    (copies
      ? (storageFieldLocator ??= new FieldLocator(STORAGE_FIELDS)).fields(bytes as Latin1Buffer, start, end)
      : undefined) ?? extractFields(bytes, start, end, line, STORAGE_FIELDS, copies);
  if (vals === undefined) return NOT_HANDLED;
  if (!copies && (isFailureSlot(vals[LA_STATUS_SLOT]) || isFailureSlot(vals[ARCHIVE_STATUS_SLOT])))
    // The values are slices of the line, and a 401/403's are kept (samples, top callers): detached, a
    // kept value no longer keeps its whole ~1.5 KB line alive.
    for (let k = 0; k < vals.length; k++)
      if (typeof vals[k] === "string") vals[k] = detach(vals[k] as string);
  return fromSlots(vals, at, sink);
}

/** This thread's locator of STORAGE_FIELDS, made when the first 401/403 is read. */
let storageFieldLocator: FieldLocator | undefined;

const STATUS_KEY_TAIL = Buffer.from('tatusCode"', "latin1");

/**
 * Whether the first `…tatusCode"` key of line bytes[start, end) (StatusCode, statusCode) has the value
 * 401 or 403, as a number or a string. A quote inside a JSON string is escaped, so the bytes can only be
 * a key; a false answer either way costs time, never a different record (the full reader decides).
 */
function mentionsAuthFailure(bytes: Uint8Array, start: number, end: number): boolean {
  if (!Buffer.isBuffer(bytes)) return false;
  // Searched in the line only: a run of lines without the key must not each search the whole chunk.
  const line = bytes.subarray(start, end);
  let i = line.indexOf(STATUS_KEY_TAIL);
  if (i < 0) return false;
  const n = line.length;
  i += STATUS_KEY_TAIL.length;
  while (i < n && (line[i] === 32 || line[i] === 9)) i++;
  if (i >= n || line[i++] !== 58) return false;
  while (i < n && (line[i] === 32 || line[i] === 9)) i++;
  if (line[i] === 34) i++;
  if (i + 3 > n || line[i] !== 52 || line[i + 1] !== 48) return false;
  const last = line[i + 2];
  if (last !== 49 && last !== 51) return false;
  // 401 or 403, not the first digits of a longer number.
  return i + 3 === n || line[i + 3]! < 48 || line[i + 3]! > 57;
}

const LA_STATUS_SLOT = STORAGE_FIELDS.names.indexOf("StatusCode");
const ARCHIVE_STATUS_SLOT = STORAGE_FIELDS.names.indexOf("statusCode");

function isFailureSlot(v: unknown): boolean {
  return v === 401 || v === 403 || v === "401" || v === "403";
}

// ---------------------------------------------------------------------------------------------------
// Lean records (issue 13): 95% of rows are not 401/403, and the engine reads only a few fields of those.

const LEAN_COLUMN_KEYS: ReadonlySet<keyof StorageColumns> = new Set<keyof StorageColumns>([
  ...LEAN_REQUEST_FIELDS.filter(
    (f): f is Exclude<LeanField, "timeMs" | "statusCode"> => f !== "timeMs" && f !== "statusCode",
  ),
  "time",
  "statusCode",
]);

/** Columns of both shapes the engine never reads from a success row: validated, not materialised. */
const CHECK_ONLY = new Set<string>(
  [LOG_ANALYTICS_COLUMNS, ARCHIVE_COLUMNS].flatMap((cols) =>
    (Object.keys(cols) as Array<keyof StorageColumns>)
      .filter((k) => !LEAN_COLUMN_KEYS.has(k))
      .map((k) => cols[k])
      .filter((c): c is NonNullable<typeof c> => c !== undefined),
  ),
);
/** Same slots as STORAGE_FIELDS; unread columns only have their JSON type recorded. */
const LEAN_FIELDS = compileFieldSet(STORAGE_SPEC, CHECK_ONLY);

const slotOf = (name: string): number => STORAGE_FIELDS.names.indexOf(name);

interface LeanShape {
  checks: SlotCheck[];
  slots: { [K in keyof StorageColumns]: number };
  serviceOf(vals: unknown[]): ServiceType | undefined;
}

function leanShape(checks: SlotCheck[], cols: StorageColumns, serviceOf: LeanShape["serviceOf"]): LeanShape {
  const slots = Object.fromEntries(
    Object.entries(cols).map(([k, name]) => [k, slotOf(name)]),
  ) as LeanShape["slots"];
  return { checks, slots, serviceOf };
}

const LA_SERVICE_TYPE = slotOf("ServiceType");
const LA_TYPE = slotOf("Type");
const ARCHIVE_SERVICE_TYPE = slotOf("properties.serviceType");
const LEAN_LA = leanShape(
  LA_CHECKS,
  LOG_ANALYTICS_COLUMNS,
  (v) => serviceFromServiceType(text(v[LA_SERVICE_TYPE])) ?? serviceFromTable(text(v[LA_TYPE])),
);
const LEAN_ARCHIVE = leanShape(ARCHIVE_CHECKS, ARCHIVE_COLUMNS, (v) =>
  serviceFromServiceType(text(v[ARCHIVE_SERVICE_TYPE])),
);

/**
 * A row that is not a 401/403 with only LEAN_REQUEST_FIELDS filled in, or undefined when anything is
 * unusual (a failure, a field of the wrong type, a bad time or status, no account or service): the
 * full path then reads it, and rejects it exactly as it always has.
 */
function leanRequest(shape: LeanShape, v: unknown[]): StorageRequest | undefined {
  const s = shape.slots;
  const rawStatus = v[s.statusCode];
  let status: number | null;
  if (typeof rawStatus === "number")
    status = Number.isInteger(rawStatus) && rawStatus >= 0 ? rawStatus : null;
  else if (typeof rawStatus === "string") status = toStatusCode(rawStatus);
  else return undefined;
  if (status === null || status === INVALID_STATUS || status === 401 || status === 403) return undefined;
  for (const c of shape.checks) if (!takes(c, v[c.slot])) return undefined;
  const timeMs = parseLoggedTime(v[s.time] as string);
  if (Number.isNaN(timeMs)) return undefined;
  const resourceId = text(v[s.resourceId]);
  const named = text(v[s.account]);
  const accountOfId = accountFromResourceId(resourceId);
  // Disagreeing accounts are rejected by the full reader, which names both.
  if (named !== undefined && accountOfId !== undefined && !sameTextIgnoringCase(named, accountOfId))
    return undefined;
  const account = named ?? accountOfId;
  if (!account) return undefined;
  const service = shape.serviceOf(v) ?? serviceFromResourceId(resourceId);
  if (!service) return undefined;
  return leanSuccessRequest({
    timeMs,
    account,
    service,
    operation: v[s.operation] as string,
    statusCode: status,
    statusText: text(v[s.statusText]),
    authType: text(v[s.authType]),
    authHash: text(v[s.authHash]),
    callerIp: text(v[s.callerIp]),
    userAgent: text(v[s.userAgent]),
    operationVersion: text(v[s.operationVersion]),
    uri: text(v[s.uri]),
    requesterObjectId: text(v[s.requesterObjectId]),
    resourceId,
  });
}

/**
 * The record of a row that is not a 401/403: LEAN_REQUEST_FIELDS normalised as the full reader does,
 * the rest undefined.
 */
function leanSuccessRequest(f: SuccessFields): StorageRequest {
  if (f.callerIp !== undefined) f.callerIp = withoutPort(f.callerIp);
  if (f.userAgent !== undefined) f.userAgent = stripSurroundingQuotes(f.userAgent);
  return leanSuccessRecord(f);
}

/**
 * JSON Lines fast path for the engine: one scan of the line that validates it whole but builds strings
 * only for the fields the engine reads of a success row. A 401/403 row, or any row the lean checks
 * cannot vouch for, goes through storageRequestFromJsonBytes (same records, same rejections). Without
 * the line's text only a 401/403 is read here: the skim's success rows are taken before, and a 401/403's
 * values are copied out of its bytes, so its line is never decoded whole (JsonLinesParser.declined).
 */
export function leanStorageRequestFromJsonBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
  line: string | undefined,
  at: RecordLocation,
  sink: RejectionSink,
  authFailure = false,
): StorageRequest | undefined | typeof NOT_HANDLED {
  // A 401/403 is read in full whatever the lean reading says: read it in full at once (the skim that
  // declined the line may have said so already).
  if (authFailure || mentionsAuthFailure(bytes, start, end))
    return storageRequestFromJsonBytes(bytes, start, end, line, at, sink, true);
  if (line === undefined) {
    // A success row the skim declined (keys in another order, say `jq -S`'s): its fields located in
    // the module and copied out of its bytes, so the line is not decoded, nor walked in JavaScript. What
    // the lean checks refuse is read from its text, as before.
    const located = Buffer.isBuffer(bytes)
      ? (leanFieldLocator ??= new FieldLocator(LEAN_FIELDS)).fields(bytes as Latin1Buffer, start, end)
      : undefined;
    return (located && leanRequestOf(located)) ?? NOT_HANDLED;
  }
  const vals = extractFields(bytes, start, end, line, LEAN_FIELDS);
  if (vals === undefined) return NOT_HANDLED;
  return leanRequestOf(vals) ?? storageRequestFromJsonBytes(bytes, start, end, line, at, sink);
}

/** This thread's locator of LEAN_FIELDS, made when the skim first declines a success row. */
let leanFieldLocator: FieldLocator | undefined;

function leanRequestOf(vals: unknown[]): StorageRequest | undefined {
  const archive = vals[TIME_GENERATED_SLOT] === undefined && vals[TIME_SLOT] !== undefined;
  return leanRequest(archive ? LEAN_ARCHIVE : LEAN_LA, vals);
}
