import { z } from "zod";
import type { RejectionSink } from "../engine/contracts.js";
import type { ServiceType, StorageRequest } from "../model/storage-request.js";
import { compileFieldSet, extractFields, flattenFields } from "./json-fields.js";
import { NOT_HANDLED, rejectAt, rejectZod, type RecordLocation } from "./record-location.js";
import {
  INVALID_STATUS,
  accountFromResourceId,
  parseDynamic,
  parseLoggedTime,
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
export const STORAGE_FIELDS = compileFieldSet({
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
});

const TIME_GENERATED_SLOT = STORAGE_FIELDS.names.indexOf("TimeGenerated");
/** Only the fields each schema reads: half the properties to build per record. */
const makeLogAnalyticsRow = STORAGE_FIELDS.maker(Object.keys(logAnalyticsStorageRowSchema.shape));
const makeArchiveRecord = STORAGE_FIELDS.maker(Object.keys(archiveStorageRecordSchema.shape));
const TIME_SLOT = STORAGE_FIELDS.names.indexOf("time");

/**
 * Every field of a StorageRequest, present or not (optional ones as `undefined`): one object shape for
 * every record, and a missing field is a compile error.
 */
type Fields = { [K in RequestField]: StorageRequest[K] };
/** Mapped through an alias, the type keeps no `?`: every field is required, optional ones may be undefined. */
type RequestField = keyof StorageRequest;

/** Where one shape of record keeps each StorageRequest field. */
interface StorageColumns {
  time: string;
  statusCode: string;
  account: string;
  /** Named in the rejection when no service can be told. */
  service: string;
  resourceId: string;
  operation: string;
  statusText: string;
  authType: string;
  authHash: string;
  callerIp: string;
  userAgent: string;
  operationVersion: string;
  uri: string;
  objectKey: string;
  requesterObjectId: string;
  requesterAppId: string;
  requesterTenantId: string;
  requesterUpn: string;
  requesterAudience: string;
  requesterTokenIssuer: string;
  delegatedResourceId: string | undefined;
  authorizationDetails: string;
  correlationId: string;
  protocol: string;
  sasExpiryStatus: string;
  tlsVersion: string;
  clientRequestId: string;
}

/** One shape of storage record: its schema, its column names, and how it tells the service. */
interface StorageShape {
  schema: typeof logAnalyticsStorageRowSchema | typeof archiveStorageRecordSchema;
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

const LOG_ANALYTICS_COLUMNS: ColumnsOf<typeof logAnalyticsStorageRowSchema> = {
  time: "TimeGenerated",
  statusCode: "StatusCode",
  account: "AccountName",
  service: "ServiceType",
  resourceId: "_ResourceId",
  operation: "OperationName",
  statusText: "StatusText",
  authType: "AuthenticationType",
  authHash: "AuthenticationHash",
  callerIp: "CallerIpAddress",
  userAgent: "UserAgentHeader",
  operationVersion: "OperationVersion",
  uri: "Uri",
  objectKey: "ObjectKey",
  requesterObjectId: "RequesterObjectId",
  requesterAppId: "RequesterAppId",
  requesterTenantId: "RequesterTenantId",
  requesterUpn: "RequesterUpn",
  requesterAudience: "RequesterAudience",
  requesterTokenIssuer: "RequesterTokenIssuer",
  delegatedResourceId: undefined,
  authorizationDetails: "AuthorizationDetails",
  correlationId: "CorrelationId",
  protocol: "Protocol",
  sasExpiryStatus: "SasExpiryStatus",
  tlsVersion: "TlsVersion",
  clientRequestId: "ClientRequestId",
};

const ARCHIVE_COLUMNS: ColumnsOf<typeof archiveStorageRecordSchema> = {
  time: "time",
  statusCode: "statusCode",
  account: "properties.accountName",
  service: "properties.serviceType",
  resourceId: "resourceId",
  operation: "operationName",
  statusText: "statusText",
  authType: "identity.type",
  authHash: "identity.tokenHash",
  callerIp: "callerIpAddress",
  userAgent: "properties.userAgentHeader",
  operationVersion: "operationVersion",
  uri: "uri",
  objectKey: "properties.objectKey",
  requesterObjectId: "identity.requester.objectId",
  requesterAppId: "identity.requester.appId",
  requesterTenantId: "identity.requester.tenantId",
  requesterUpn: "identity.requester.upn",
  requesterAudience: "identity.requester.audience",
  requesterTokenIssuer: "identity.requester.tokenIssuer",
  delegatedResourceId: "identity.delegatedResource.resourceId",
  authorizationDetails: "identity.authorization",
  correlationId: "correlationId",
  protocol: "protocol",
  sasExpiryStatus: "properties.sasExpiryStatus",
  tlsVersion: "properties.tlsVersion",
  clientRequestId: "properties.clientRequestId",
};

const LOG_ANALYTICS_SHAPE: StorageShape = {
  schema: logAnalyticsStorageRowSchema,
  columns: LOG_ANALYTICS_COLUMNS,
  // Exports without ServiceType still name their table (StorageBlobLogs…) in Type.
  serviceOf: (row) => serviceFromServiceType(text(row.ServiceType)) ?? serviceFromTable(text(row.Type)),
};

const ARCHIVE_SHAPE: StorageShape = {
  schema: archiveStorageRecordSchema,
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
  const parsed = shape.schema.safeParse(raw);
  if (!parsed.success) {
    rejectZod(sink, at, raw, parsed.error);
    return undefined;
  }
  const row: Record<string, unknown> = parsed.data;
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
  if (named !== undefined && accountOfId !== undefined && named.toLowerCase() !== accountOfId.toLowerCase()) {
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

/** JSON Lines fast path: the fields straight from the bytes; NOT_HANDLED sends the line to JSON.parse. */
export function storageRequestFromJsonBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
  line: string,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined | typeof NOT_HANDLED {
  const vals = extractFields(bytes, start, end, line, STORAGE_FIELDS);
  return vals === undefined ? NOT_HANDLED : fromSlots(vals, at, sink);
}
