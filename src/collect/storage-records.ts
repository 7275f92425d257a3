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
  "properties.accountName": optionalString,
  "properties.serviceType": optionalString,
  "properties.userAgentHeader": optionalString,
  "properties.objectKey": optionalString,
  "properties.clientRequestId": optionalString,
  "properties.tlsVersion": optionalString,
  "properties.sasExpiryStatus": optionalString,
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
    },
  },
  properties: {
    accountName: "properties.accountName",
    serviceType: "properties.serviceType",
    userAgentHeader: "properties.userAgentHeader",
    objectKey: "properties.objectKey",
    clientRequestId: "properties.clientRequestId",
    tlsVersion: "properties.tlsVersion",
    sasExpiryStatus: "properties.sasExpiryStatus",
  },
});

const TIME_GENERATED_SLOT = STORAGE_FIELDS.names.indexOf("TimeGenerated");
/** Only the fields each schema reads: half the properties to build per record. */
const makeLogAnalyticsRow = STORAGE_FIELDS.maker(Object.keys(logAnalyticsStorageRowSchema.shape));
const makeArchiveRecord = STORAGE_FIELDS.maker(Object.keys(archiveStorageRecordSchema.shape));
const TIME_SLOT = STORAGE_FIELDS.names.indexOf("time");

/** Every field of a StorageRequest, present or not: one object shape for every record. */
interface Fields {
  timeMs: number;
  account: string;
  service: ServiceType;
  operation: string;
  statusCode: number | null;
  statusText: string;
  authType: string;
  authHash: string | undefined;
  callerIp: string | undefined;
  userAgent: string | undefined;
  operationVersion: string | undefined;
  uri: string | undefined;
  objectKey: string | undefined;
  requesterObjectId: string | undefined;
  requesterAppId: string | undefined;
  requesterTenantId: string | undefined;
  requesterUpn: string | undefined;
  requesterAudience: string | undefined;
  authorizationDetails: unknown;
  resourceId: string | undefined;
  correlationId: string | undefined;
  protocol: string | undefined;
  sasExpiryStatus: string | undefined;
  tlsVersion: string | undefined;
  clientRequestId: string | undefined;
}

interface CoreInput {
  time: string;
  timeField: string;
  statusCode: string | number;
  statusField: string;
  account: string | undefined;
  accountField: string;
  service: ServiceType | undefined;
  serviceField: string;
  resourceId: string | undefined;
}

interface Core {
  timeMs: number;
  status: number | null;
  account: string;
  service: ServiceType;
}

/** Checks the fields both shapes require; returns them typed, or rejects. */
function core(c: CoreInput, at: RecordLocation, sink: RejectionSink): Core | undefined {
  const timeMs = parseLoggedTime(c.time);
  if (Number.isNaN(timeMs)) {
    rejectAt(sink, at, c.timeField, `not a date: ${JSON.stringify(c.time.slice(0, 40))}`);
    return undefined;
  }
  const status = toStatusCode(c.statusCode);
  if (status === INVALID_STATUS) {
    const shown = JSON.stringify(String(c.statusCode).slice(0, 40));
    rejectAt(sink, at, c.statusField, `not an HTTP status code: ${shown}`);
    return undefined;
  }
  const account = c.account ?? accountFromResourceId(c.resourceId);
  if (!account) {
    rejectAt(sink, at, c.accountField, "missing required field (and no storage account in the resource id)");
    return undefined;
  }
  const service = c.service ?? serviceFromResourceId(c.resourceId);
  if (!service) {
    rejectAt(sink, at, c.serviceField, "cannot tell the service (no ServiceType, table Type or resource id)");
    return undefined;
  }
  return { timeMs, status, account, service };
}

function ipOf(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined ? undefined : withoutPort(s);
}

function userAgentOf(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined ? undefined : stripSurroundingQuotes(s);
}

export function storageRequestFromLogAnalyticsRow(
  raw: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  const parsed = logAnalyticsStorageRowSchema.safeParse(raw);
  if (!parsed.success) {
    rejectZod(sink, at, raw, parsed.error);
    return undefined;
  }
  const row = parsed.data;
  const resourceId = text(row._ResourceId);
  const c = core(
    {
      time: row.TimeGenerated,
      timeField: "TimeGenerated",
      statusCode: row.StatusCode,
      statusField: "StatusCode",
      account: text(row.AccountName),
      accountField: "AccountName",
      service: serviceFromServiceType(text(row.ServiceType)) ?? serviceFromTable(text(row.Type)),
      serviceField: "ServiceType",
      resourceId,
    },
    at,
    sink,
  );
  if (!c) return undefined;
  const r: Fields = {
    timeMs: c.timeMs,
    account: c.account,
    service: c.service,
    operation: row.OperationName,
    statusCode: c.status,
    statusText: text(row.StatusText) ?? "",
    authType: text(row.AuthenticationType) ?? "",
    authHash: text(row.AuthenticationHash),
    callerIp: ipOf(row.CallerIpAddress),
    userAgent: userAgentOf(row.UserAgentHeader),
    operationVersion: text(row.OperationVersion),
    uri: text(row.Uri),
    objectKey: text(row.ObjectKey),
    requesterObjectId: text(row.RequesterObjectId),
    requesterAppId: text(row.RequesterAppId),
    requesterTenantId: text(row.RequesterTenantId),
    requesterUpn: text(row.RequesterUpn),
    requesterAudience: text(row.RequesterAudience),
    authorizationDetails: parseDynamic(row.AuthorizationDetails),
    resourceId,
    correlationId: text(row.CorrelationId),
    protocol: text(row.Protocol),
    sasExpiryStatus: text(row.SasExpiryStatus),
    tlsVersion: text(row.TlsVersion),
    clientRequestId: text(row.ClientRequestId),
  };
  return r;
}

export function storageRequestFromArchiveRecord(
  flat: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  const parsed = archiveStorageRecordSchema.safeParse(flat);
  if (!parsed.success) {
    rejectZod(sink, at, flat, parsed.error);
    return undefined;
  }
  const rec = parsed.data;
  const resourceId = text(rec.resourceId);
  const c = core(
    {
      time: rec.time,
      timeField: "time",
      statusCode: rec.statusCode,
      statusField: "statusCode",
      account: text(rec["properties.accountName"]),
      accountField: "properties.accountName",
      service: serviceFromServiceType(text(rec["properties.serviceType"])),
      serviceField: "properties.serviceType",
      resourceId,
    },
    at,
    sink,
  );
  if (!c) return undefined;
  const r: Fields = {
    timeMs: c.timeMs,
    account: c.account,
    service: c.service,
    operation: rec.operationName,
    statusCode: c.status,
    statusText: text(rec.statusText) ?? "",
    authType: text(rec["identity.type"]) ?? "",
    authHash: text(rec["identity.tokenHash"]),
    callerIp: ipOf(rec.callerIpAddress),
    userAgent: userAgentOf(rec["properties.userAgentHeader"]),
    operationVersion: text(rec.operationVersion),
    uri: text(rec.uri),
    objectKey: text(rec["properties.objectKey"]),
    requesterObjectId: text(rec["identity.requester.objectId"]),
    requesterAppId: text(rec["identity.requester.appId"]),
    requesterTenantId: text(rec["identity.requester.tenantId"]),
    requesterUpn: text(rec["identity.requester.upn"]),
    requesterAudience: text(rec["identity.requester.audience"]),
    authorizationDetails: parseDynamic(rec["identity.authorization"]),
    resourceId,
    correlationId: text(rec.correlationId),
    protocol: text(rec.protocol),
    sasExpiryStatus: text(rec["properties.sasExpiryStatus"]),
    tlsVersion: text(rec["properties.tlsVersion"]),
    clientRequestId: text(rec["properties.clientRequestId"]),
  };
  return r;
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
