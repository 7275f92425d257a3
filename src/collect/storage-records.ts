import { z } from "zod";
import type { RejectionSink } from "../engine/contracts.js";
import { stripPort, type ServiceType, type StorageRequest } from "../model/storage-request.js";
import { rejectAt, rejectZod, type RecordLocation } from "./record-location.js";
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
} from "./values.js";

/** Optional text column: string, or a native scalar some exporters emit; null/absent allowed. */
const optionalText = z.union([z.string(), z.number(), z.boolean()]).nullish();
const statusCode = z.union([z.string(), z.number()]);

/**
 * A StorageBlobLogs/QueueLogs/TableLogs/FileLogs row (Log Analytics column names). Only the columns the
 * engine uses are declared; everything else passes unvalidated and is dropped.
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
  AuthorizationDetails: z.unknown(),
  ServiceType: optionalText,
  Type: optionalText,
  _ResourceId: optionalText,
  CorrelationId: optionalText,
  Protocol: optionalText,
  SasExpiryStatus: optionalText,
  TlsVersion: optionalText,
  ClientRequestId: optionalText,
});

/** A diagnostic-setting archive record (`PT1H.json` line), storage-logs.md §2. */
export const archiveStorageRecordSchema = z.object({
  time: z.string(),
  resourceId: optionalText,
  operationName: z.string(),
  operationVersion: optionalText,
  statusCode: statusCode,
  statusText: optionalText,
  callerIpAddress: optionalText,
  correlationId: optionalText,
  uri: optionalText,
  protocol: optionalText,
  identity: z
    .object({
      type: optionalText,
      tokenHash: optionalText,
      authorization: z.unknown(),
      requester: z
        .object({
          appId: optionalText,
          audience: optionalText,
          objectId: optionalText,
          tenantId: optionalText,
          upn: optionalText,
        })
        .nullish(),
    })
    .nullish(),
  properties: z
    .object({
      accountName: optionalText,
      serviceType: optionalText,
      userAgentHeader: optionalText,
      objectKey: optionalText,
      clientRequestId: optionalText,
      tlsVersion: optionalText,
      sasExpiryStatus: optionalText,
    })
    .nullish(),
});

interface CommonFields {
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

/** Checks the fields shared by both shapes; returns the typed core or rejects. */
function core(
  c: CommonFields,
  at: RecordLocation,
  sink: RejectionSink,
): { timeMs: number; status: number | null; account: string; service: ServiceType } | undefined {
  const timeMs = parseLoggedTime(c.time);
  if (Number.isNaN(timeMs)) {
    rejectAt(sink, at, c.timeField, `not a date: ${JSON.stringify(c.time.slice(0, 40))}`);
    return undefined;
  }
  const status = toStatusCode(c.statusCode);
  if (status === INVALID_STATUS) {
    rejectAt(
      sink,
      at,
      c.statusField,
      `not an HTTP status code: ${JSON.stringify(String(c.statusCode).slice(0, 40))}`,
    );
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

/** Sets only present optional fields, so records compare equal whichever form they came from. */
function setOptional(r: StorageRequest, key: keyof StorageRequest, v: string | undefined): void {
  if (v !== undefined) (r as unknown as Record<string, unknown>)[key] = v;
}

export function storageRequestFromLogAnalyticsRow(
  raw: unknown,
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
  const r: StorageRequest = {
    timeMs: c.timeMs,
    account: c.account,
    service: c.service,
    operation: row.OperationName,
    statusCode: c.status,
    statusText: text(row.StatusText) ?? "",
    authType: text(row.AuthenticationType) ?? "",
  };
  setOptional(r, "authHash", text(row.AuthenticationHash));
  const ip = text(row.CallerIpAddress);
  if (ip !== undefined) r.callerIp = stripPort(ip);
  const ua = text(row.UserAgentHeader);
  if (ua !== undefined) r.userAgent = stripSurroundingQuotes(ua);
  setOptional(r, "operationVersion", text(row.OperationVersion));
  setOptional(r, "uri", text(row.Uri));
  setOptional(r, "objectKey", text(row.ObjectKey));
  setOptional(r, "requesterObjectId", text(row.RequesterObjectId));
  setOptional(r, "requesterAppId", text(row.RequesterAppId));
  setOptional(r, "requesterTenantId", text(row.RequesterTenantId));
  setOptional(r, "requesterUpn", text(row.RequesterUpn));
  setOptional(r, "requesterAudience", text(row.RequesterAudience));
  const details = parseDynamic(row.AuthorizationDetails);
  if (details !== undefined) r.authorizationDetails = details;
  setOptional(r, "resourceId", resourceId);
  setOptional(r, "correlationId", text(row.CorrelationId));
  setOptional(r, "protocol", text(row.Protocol));
  setOptional(r, "sasExpiryStatus", text(row.SasExpiryStatus));
  setOptional(r, "tlsVersion", text(row.TlsVersion));
  setOptional(r, "clientRequestId", text(row.ClientRequestId));
  return r;
}

export function storageRequestFromArchiveRecord(
  raw: unknown,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  const parsed = archiveStorageRecordSchema.safeParse(raw);
  if (!parsed.success) {
    rejectZod(sink, at, raw, parsed.error);
    return undefined;
  }
  const rec = parsed.data;
  const props = rec.properties;
  const identity = rec.identity;
  const resourceId = text(rec.resourceId);
  const c = core(
    {
      time: rec.time,
      timeField: "time",
      statusCode: rec.statusCode,
      statusField: "statusCode",
      account: text(props?.accountName),
      accountField: "properties.accountName",
      service: serviceFromServiceType(text(props?.serviceType)),
      serviceField: "properties.serviceType",
      resourceId,
    },
    at,
    sink,
  );
  if (!c) return undefined;
  const r: StorageRequest = {
    timeMs: c.timeMs,
    account: c.account,
    service: c.service,
    operation: rec.operationName,
    statusCode: c.status,
    statusText: text(rec.statusText) ?? "",
    authType: text(identity?.type) ?? "",
  };
  setOptional(r, "authHash", text(identity?.tokenHash));
  const ip = text(rec.callerIpAddress);
  if (ip !== undefined) r.callerIp = stripPort(ip);
  const ua = text(props?.userAgentHeader);
  if (ua !== undefined) r.userAgent = stripSurroundingQuotes(ua);
  setOptional(r, "operationVersion", text(rec.operationVersion));
  setOptional(r, "uri", text(rec.uri));
  setOptional(r, "objectKey", text(props?.objectKey));
  const requester = identity?.requester;
  if (requester) {
    setOptional(r, "requesterObjectId", text(requester.objectId));
    setOptional(r, "requesterAppId", text(requester.appId));
    setOptional(r, "requesterTenantId", text(requester.tenantId));
    setOptional(r, "requesterUpn", text(requester.upn));
    setOptional(r, "requesterAudience", text(requester.audience));
  }
  const details = parseDynamic(identity?.authorization);
  if (details !== undefined) r.authorizationDetails = details;
  setOptional(r, "resourceId", resourceId);
  setOptional(r, "correlationId", text(rec.correlationId));
  setOptional(r, "protocol", text(rec.protocol));
  setOptional(r, "sasExpiryStatus", text(props?.sasExpiryStatus));
  setOptional(r, "tlsVersion", text(props?.tlsVersion));
  setOptional(r, "clientRequestId", text(props?.clientRequestId));
  return r;
}

/** Picks the mapping by shape: Log Analytics rows have `TimeGenerated`, archive records `time`. */
export function storageRequestFromObject(
  raw: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  return raw.TimeGenerated === undefined && raw.time !== undefined
    ? storageRequestFromArchiveRecord(raw, at, sink)
    : storageRequestFromLogAnalyticsRow(raw, at, sink);
}
