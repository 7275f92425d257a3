/**
 * The documented Log Analytics schemas of the tables the generated queries read (reference
 * storage-logs.md §1 and §4). Kept as data so that tests can analyse every generated query against them
 * with the Kusto language service, and the local stand-in of the Logs API can type its result columns.
 */
export type KustoType = "string" | "datetime" | "int" | "long" | "real" | "bool" | "dynamic" | "guid";

export type TableSchema = Readonly<Record<string, KustoType>>;

const STANDARD_COLUMNS: TableSchema = {
  _ResourceId: "string",
  _SubscriptionId: "string",
  TenantId: "string",
  SourceSystem: "string",
  Type: "string",
  _BilledSize: "real",
  _IsBillable: "string",
};

/** Columns shared by StorageBlobLogs, StorageQueueLogs, StorageTableLogs and StorageFileLogs. */
const STORAGE_SHARED_COLUMNS: TableSchema = {
  TimeGenerated: "datetime",
  AccountName: "string",
  Location: "string",
  Protocol: "string",
  OperationName: "string",
  AuthenticationType: "string",
  StatusCode: "string",
  StatusText: "string",
  DurationMs: "real",
  ServerLatencyMs: "real",
  Uri: "string",
  CallerIpAddress: "string",
  CorrelationId: "string",
  SchemaVersion: "string",
  OperationVersion: "string",
  AuthenticationHash: "string",
  RequesterObjectId: "string",
  RequesterTenantId: "string",
  RequesterAppId: "string",
  RequesterAudience: "string",
  RequesterTokenIssuer: "string",
  RequesterUpn: "string",
  AuthorizationDetails: "dynamic",
  UserAgentHeader: "string",
  ReferrerHeader: "string",
  ClientRequestId: "string",
  Etag: "string",
  ServiceType: "string",
  OperationCount: "int",
  ObjectKey: "string",
  RequestHeaderSize: "long",
  RequestBodySize: "long",
  ResponseHeaderSize: "long",
  ResponseBodySize: "long",
  RequestMd5: "string",
  ResponseMd5: "string",
  LastModifiedTime: "datetime",
  ConditionsUsed: "string",
  ContentLengthHeader: "long",
  Category: "string",
  TlsVersion: "string",
  MetricResponseType: "string",
  ...STANDARD_COLUMNS,
};

export const STORAGE_TABLE_SCHEMAS: Readonly<Record<string, TableSchema>> = {
  StorageBlobLogs: {
    ...STORAGE_SHARED_COLUMNS,
    AccessTier: "string",
    SourceAccessTier: "string",
    RehydratePriority: "string",
    SourceUri: "string",
    DestinationUri: "string",
    SasExpiryStatus: "string",
  },
  StorageQueueLogs: STORAGE_SHARED_COLUMNS,
  StorageTableLogs: STORAGE_SHARED_COLUMNS,
  StorageFileLogs: {
    ...STORAGE_SHARED_COLUMNS,
    RequesterUserName: "string",
    SmbPrimarySID: "string",
    SmbCommandMajor: "int",
    SmbCommandMinor: "string",
    SmbCommandDetail: "string",
    SmbCreditsConsumed: "int",
    SmbFileId: "string",
    SmbMessageID: "string",
    SmbPersistentHandleID: "string",
    SmbVolatileHandleID: "string",
    SmbSessionID: "string",
    SmbTreeConnectID: "string",
  },
};

/** The storage log tables the failure queries union, in a fixed order. */
export const STORAGE_LOG_TABLES = Object.keys(STORAGE_TABLE_SCHEMAS) as readonly string[];

export const AZURE_ACTIVITY_SCHEMA: TableSchema = {
  TimeGenerated: "datetime",
  EventSubmissionTimestamp: "datetime",
  OperationNameValue: "string",
  OperationName: "string",
  CategoryValue: "string",
  Category: "string",
  ActivityStatusValue: "string",
  ActivityStatus: "string",
  ActivitySubstatusValue: "string",
  ActivitySubstatus: "string",
  Caller: "string",
  CallerIpAddress: "string",
  ResourceId: "string",
  ResourceGroup: "string",
  SubscriptionId: "string",
  ResourceProviderValue: "string",
  ResourceProvider: "string",
  CorrelationId: "string",
  OperationId: "string",
  EventDataId: "string",
  Level: "string",
  Authorization: "string",
  Authorization_d: "dynamic",
  Claims: "string",
  Claims_d: "dynamic",
  HTTPRequest: "string",
  Properties: "string",
  Properties_d: "dynamic",
  Hierarchy: "string",
  ...STANDARD_COLUMNS,
};

export const ALL_TABLE_SCHEMAS: Readonly<Record<string, TableSchema>> = {
  ...STORAGE_TABLE_SCHEMAS,
  AzureActivity: AZURE_ACTIVITY_SCHEMA,
};
