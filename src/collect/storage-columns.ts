import type { StorageRequest } from "../model/storage-request.js";

// No schema (zod) here: the skim-ahead thread loads this module, and the sooner it is ready the less
// the main thread reads alone (src/collect/skim/skim-ahead.ts). storage-records.ts checks these names
// against its schemas.

/**
 * Every field of a StorageRequest, present or not (optional ones as `undefined`): one object shape for
 * every record, and a missing field is a compile error.
 */
export type Fields = { [K in RequestField]: StorageRequest[K] };
/** Mapped through an alias, the type keeps no `?`: every field is required, optional ones may be undefined. */
type RequestField = keyof StorageRequest;

/** Where one shape of record keeps each StorageRequest field. */
export interface StorageColumns {
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

export const LOG_ANALYTICS_COLUMNS = {
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
} as const satisfies StorageColumns;

export const ARCHIVE_COLUMNS = {
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
} as const satisfies StorageColumns;

// Lean records (issue 13): 95% of rows are not 401/403, and the engine reads only a few fields of those.

/** The StorageRequest fields the engine reads from a row that is not a 401/403 (see LEAN_FIELDS). */
export const LEAN_REQUEST_FIELDS = [
  "timeMs",
  "account",
  "service",
  "operation",
  "statusCode",
  "statusText",
  "authType",
  "authHash",
  "callerIp",
  "userAgent",
  "operationVersion",
  "uri",
  "requesterObjectId",
  "resourceId",
] as const satisfies ReadonlyArray<keyof StorageRequest>;

export type LeanField = (typeof LEAN_REQUEST_FIELDS)[number];

/** The fields of a success row as logged (present, non-empty text or undefined). */
export type SuccessFields = Pick<StorageRequest, "timeMs" | "account" | "service" | "operation"> & {
  statusCode: number;
} & {
  [K in Exclude<LeanField, "timeMs" | "account" | "service" | "operation" | "statusCode">]:
    string | undefined;
};

/**
 * The record of a success row whose caller address and user agent are normalised already (`withoutPort`,
 * `stripSurroundingQuotes`): both readers of success rows build it here (leanRequest, and
 * json-lines-skim.ts, which normalises each distinct value once).
 */
export function leanSuccessRecord(f: Readonly<SuccessFields>): StorageRequest {
  // Same property order as storageRequestOfShape: one object shape for every record.
  const r: Fields = {
    timeMs: f.timeMs,
    account: f.account,
    service: f.service,
    operation: f.operation,
    statusCode: f.statusCode,
    statusText: f.statusText ?? "",
    authType: f.authType ?? "",
    authHash: f.authHash,
    callerIp: f.callerIp,
    userAgent: f.userAgent,
    operationVersion: f.operationVersion,
    uri: f.uri,
    objectKey: undefined,
    requesterObjectId: f.requesterObjectId,
    requesterAppId: undefined,
    requesterTenantId: undefined,
    requesterUpn: undefined,
    requesterAudience: undefined,
    authorizationDetails: undefined,
    requesterTokenIssuer: undefined,
    delegatedResourceId: undefined,
    resourceId: f.resourceId,
    correlationId: undefined,
    protocol: undefined,
    sasExpiryStatus: undefined,
    tlsVersion: undefined,
    clientRequestId: undefined,
  };
  return r;
}

/** Where each shape keeps the fields of a success row (json-lines-skim.ts searches for their keys). */
export type SuccessColumns = Pick<StorageColumns, Exclude<LeanField, "timeMs"> | "time" | "service">;
export const LOG_ANALYTICS_SUCCESS_COLUMNS: SuccessColumns = LOG_ANALYTICS_COLUMNS;
export const ARCHIVE_SUCCESS_COLUMNS: SuccessColumns = ARCHIVE_COLUMNS;
