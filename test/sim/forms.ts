/**
 * Writers for every input form the collectors read: the inverse of src/collect. The scenario simulator
 * renders its ground-truth requests through these, and the parser tests round-trip through them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ActivityEvent } from "../../src/model/activity.js";
import type { ServiceType, StorageRequest } from "../../src/model/storage-request.js";

const TABLE_OF_SERVICE: Record<ServiceType, string> = {
  blob: "StorageBlobLogs",
  queue: "StorageQueueLogs",
  table: "StorageTableLogs",
  file: "StorageFileLogs",
};

/** Log Analytics datetimes carry 7 fractional digits. */
export function isoWith7Digits(timeMs: number): string {
  return new Date(timeMs).toISOString().replace("Z", "0000Z");
}

/** The Azure portal's CSV datetime, e.g. `5/23/2024, 8:41:12.283 PM` (UTC). */
export function portalTime(timeMs: number): string {
  const d = new Date(timeMs);
  const h24 = d.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}, ` +
    `${h12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} ${h24 < 12 ? "AM" : "PM"}`
  );
}

/** Deterministic source port, so the same request always renders the same bytes. */
function callerIpWithPort(ip: string, r: StorageRequest): string {
  const port = 1024 + (Math.abs(Math.trunc(r.timeMs)) % 60000);
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * The ETag a successful request on an object logs, in its quotes as Storage logs it (`"0x8D…"`, so JSON
 * holds `"\"0x8D…\""`): deterministic, from the object and the time.
 */
function etagOf(r: StorageRequest): string | undefined {
  if (r.objectKey === undefined || r.statusCode === null || r.statusCode >= 400) return undefined;
  if (r.operation.startsWith("Delete")) return undefined;
  let h = 0x811c9dc5;
  for (const c of `${r.objectKey}|${r.timeMs}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return `"0x8DC${(h >>> 0).toString(16).toUpperCase().padStart(8, "0")}${String(r.timeMs % 100000).padStart(5, "0")}"`;
}

export function defaultResourceId(account: string, service: ServiceType): string {
  return (
    `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-${account}` +
    `/providers/Microsoft.Storage/storageAccounts/${account}/${service}Services/default`
  );
}

export interface LogAnalyticsWriteOptions {
  /** Numbers as JSON numbers (StatusCode) instead of the strings `az` prints. */
  nativeTypes?: boolean;
  /** Leave out ServiceType (the reader then uses Type, then _ResourceId). */
  omitServiceType?: boolean;
  /** Leave out Type as some exports do. */
  omitType?: boolean;
  /** Quote UserAgentHeader as the docs show it. */
  quoteUserAgent?: boolean;
  /** AuthorizationDetails as JSON text (CSV, `az`) rather than an object. */
  dynamicAsText?: boolean;
}

/** One request as a StorageBlobLogs-style row (Log Analytics column names). */
export function toLogAnalyticsRow(
  r: StorageRequest,
  o: LogAnalyticsWriteOptions = {},
): Record<string, unknown> {
  const row: Record<string, unknown> = { TimeGenerated: isoWith7Digits(r.timeMs), AccountName: r.account };
  if (!o.omitServiceType) row.ServiceType = r.service;
  row.OperationName = r.operation;
  row.StatusCode = r.statusCode === null ? "Unknown" : o.nativeTypes ? r.statusCode : String(r.statusCode);
  row.StatusText = r.statusText;
  row.AuthenticationType = r.authType;
  const put = (k: string, v: unknown) => {
    if (v !== undefined) row[k] = v;
  };
  put("AuthenticationHash", r.authHash);
  put("CallerIpAddress", r.callerIp === undefined ? undefined : callerIpWithPort(r.callerIp, r));
  put(
    "UserAgentHeader",
    r.userAgent === undefined ? undefined : o.quoteUserAgent ? `"${r.userAgent}"` : r.userAgent,
  );
  put("OperationVersion", r.operationVersion);
  put("Uri", r.uri);
  put("ObjectKey", r.objectKey);
  put("RequesterObjectId", r.requesterObjectId);
  put("RequesterAppId", r.requesterAppId);
  put("RequesterTenantId", r.requesterTenantId);
  put("RequesterUpn", r.requesterUpn);
  put("RequesterAudience", r.requesterAudience);
  if (r.authorizationDetails !== undefined)
    row.AuthorizationDetails = o.dynamicAsText
      ? JSON.stringify(r.authorizationDetails)
      : r.authorizationDetails;
  put("_ResourceId", r.resourceId);
  put("CorrelationId", r.correlationId);
  put("Protocol", r.protocol);
  put("SasExpiryStatus", r.sasExpiryStatus);
  put("TlsVersion", r.tlsVersion);
  put("ClientRequestId", r.clientRequestId);
  put("Etag", etagOf(r));
  if (!o.omitType) row.Type = TABLE_OF_SERVICE[r.service];
  return row;
}

/** Portal / `az monitor log-analytics query` output: a pretty-printed JSON array of row objects. */
export function storageRequestsToLogAnalyticsJsonArray(
  requests: readonly StorageRequest[],
  o: LogAnalyticsWriteOptions & { pretty?: boolean } = {},
): string {
  const rows = requests.map((r) => toLogAnalyticsRow(r, o));
  return JSON.stringify(rows, null, o.pretty === false ? undefined : 2) + "\n";
}

export function storageRequestsToNdjson(
  requests: readonly StorageRequest[],
  o: LogAnalyticsWriteOptions = {},
): string {
  return requests.map((r) => JSON.stringify(toLogAnalyticsRow(r, o)) + "\n").join("");
}

/**
 * RFC 4180 field: quoted when it holds the delimiter, a quote, CR or LF (or `always`, as PowerShell's
 * Export-Csv quotes every field).
 */
export function csvField(v: unknown, delimiter = ",", always = false): string {
  if (v === undefined || v === null) return always ? '""' : "";
  const s = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
  return always || /["\r\n]/.test(s) || s.includes(delimiter) || s !== s.trim()
    ? `"${s.replace(/"/g, '""')}"`
    : s;
}

interface CsvLayout {
  bom: boolean;
  delimiter?: string;
  /** Windows PowerShell's Export-Csv: a `#TYPE` line first, every field quoted. */
  powershell?: boolean;
}

function toCsv(
  rows: Record<string, unknown>[],
  headerOf: (column: string) => string,
  layout: CsvLayout,
): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows)
    for (const k of Object.keys(row))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  if (columns.length === 0) return "";
  const d = layout.delimiter ?? ",";
  const field = (v: unknown) => csvField(v, d, layout.powershell);
  const lines = [columns.map((c) => field(headerOf(c))).join(d)];
  if (layout.powershell) lines.unshift("#TYPE System.Management.Automation.PSCustomObject");
  for (const row of rows) lines.push(columns.map((c) => field(row[c])).join(d));
  return (layout.bom ? "\ufeff" : "") + lines.join("\r\n") + "\r\n";
}

export interface CsvWriteOptions extends LogAnalyticsWriteOptions {
  /** Portal style: `TimeGenerated [UTC]` header, `M/D/YYYY, h:mm:ss.fff AM` times, and a BOM. */
  portal?: boolean;
  /** `;` as Excel and `Export-Csv -UseCulture` write where the decimal separator is a comma, or a tab. */
  delimiter?: string;
  /** Windows PowerShell's Export-Csv: a `#TYPE` line first, every field quoted. */
  powershell?: boolean;
}

export function storageRequestsToCsv(requests: readonly StorageRequest[], o: CsvWriteOptions = {}): string {
  const rows = requests.map((r) => {
    const row = toLogAnalyticsRow(r, { ...o, dynamicAsText: true });
    if (o.portal) row.TimeGenerated = portalTime(r.timeMs);
    return row;
  });
  return toCsv(rows, (c) => (o.portal && c === "TimeGenerated" ? "TimeGenerated [UTC]" : c), {
    bom: o.portal ?? false,
    ...(o.delimiter === undefined ? {} : { delimiter: o.delimiter }),
    ...(o.powershell === undefined ? {} : { powershell: o.powershell }),
  });
}

function logsApiType(column: string): string {
  if (column === "TimeGenerated") return "datetime";
  if (column === "AuthorizationDetails") return "dynamic";
  return "string";
}

/** The Logs API response body: `{"tables":[{"name","columns","rows"}]}`. */
export function storageRequestsToLogsApiJson(requests: readonly StorageRequest[]): string {
  const rows = requests.map((r) => toLogAnalyticsRow(r, { dynamicAsText: true }));
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows)
    for (const k of Object.keys(row))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  return JSON.stringify({
    tables: [
      {
        name: "PrimaryResult",
        columns: columns.map((name) => ({ name, type: logsApiType(name) })),
        rows: rows.map((row) => columns.map((c) => row[c] ?? null)),
      },
    ],
  });
}

/** Diagnostic-setting category of an operation (which `insights-logs-*` container it lands in). */
export function categoryOf(operation: string): "StorageRead" | "StorageWrite" | "StorageDelete" {
  if (/^Delete|^Undelete/.test(operation)) return "StorageDelete";
  if (/^(Get|List|Query|Peek|Head|Read|Find)/.test(operation)) return "StorageRead";
  return "StorageWrite";
}

export interface ArchiveWriteOptions {
  /** Leave out properties.accountName and properties.serviceType (read from resourceId instead). */
  omitAccountAndService?: boolean;
}

/** One request as a `PT1H.json` record (storage-logs.md §2). */
export function toArchiveRecord(r: StorageRequest, o: ArchiveWriteOptions = {}): Record<string, unknown> {
  const identity: Record<string, unknown> = {};
  if (r.authType) identity.type = r.authType;
  if (r.authHash !== undefined) identity.tokenHash = r.authHash;
  if (r.authorizationDetails !== undefined) identity.authorization = r.authorizationDetails;
  const requester: Record<string, string> = {};
  if (r.requesterAppId !== undefined) requester.appId = r.requesterAppId;
  if (r.requesterAudience !== undefined) requester.audience = r.requesterAudience;
  if (r.requesterObjectId !== undefined) requester.objectId = r.requesterObjectId;
  if (r.requesterTenantId !== undefined) requester.tenantId = r.requesterTenantId;
  if (r.requesterUpn !== undefined) requester.upn = r.requesterUpn;
  if (Object.keys(requester).length > 0) identity.requester = requester;
  const properties: Record<string, unknown> = {};
  if (!o.omitAccountAndService) properties.accountName = r.account;
  if (r.userAgent !== undefined) properties.userAgentHeader = r.userAgent;
  if (r.clientRequestId !== undefined) properties.clientRequestId = r.clientRequestId;
  const etag = etagOf(r);
  if (etag !== undefined) properties.etag = etag;
  if (!o.omitAccountAndService) properties.serviceType = r.service;
  if (r.objectKey !== undefined) properties.objectKey = r.objectKey;
  properties.metricResponseType =
    r.statusCode !== null && r.statusCode < 400 ? "Success" : "ClientOtherError";
  if (r.tlsVersion !== undefined) properties.tlsVersion = r.tlsVersion;
  if (r.sasExpiryStatus !== undefined) properties.sasExpiryStatus = r.sasExpiryStatus;
  const rec: Record<string, unknown> = {
    time: isoWith7Digits(r.timeMs),
    resourceId: r.resourceId ?? defaultResourceId(r.account, r.service),
    category: categoryOf(r.operation),
    operationName: r.operation,
  };
  if (r.operationVersion !== undefined) rec.operationVersion = r.operationVersion;
  rec.schemaVersion = "1.0";
  rec.statusCode = r.statusCode === null ? "Unknown" : r.statusCode;
  rec.statusText = r.statusText;
  rec.durationMs = 5;
  if (r.callerIp !== undefined) rec.callerIpAddress = callerIpWithPort(r.callerIp, r);
  if (r.correlationId !== undefined) rec.correlationId = r.correlationId;
  if (Object.keys(identity).length > 0) rec.identity = identity;
  rec.location = "West Europe";
  rec.properties = properties;
  if (r.uri !== undefined) rec.uri = r.uri;
  if (r.protocol !== undefined) rec.protocol = r.protocol;
  rec.resourceType = `Microsoft.Storage/storageAccounts/${r.service}Services`;
  return rec;
}

export function storageRequestsToArchiveJsonLines(
  requests: readonly StorageRequest[],
  o: ArchiveWriteOptions = {},
): string {
  return requests.map((r) => JSON.stringify(toArchiveRecord(r, o)) + "\n").join("");
}

/**
 * As a diagnostic setting streams them to Event Hubs: events whose body is `{"records": [...]}`, one
 * per line, `perEvent` archive records each.
 */
export function storageRequestsToRecordsEnvelopes(
  requests: readonly StorageRequest[],
  perEvent: number,
  o: ArchiveWriteOptions = {},
): string {
  const lines: string[] = [];
  for (let i = 0; i < requests.length; i += perEvent)
    lines.push(
      JSON.stringify({ records: requests.slice(i, i + perEvent).map((r) => toArchiveRecord(r, o)) }),
    );
  return lines.join("\n") + "\n";
}

/** Where a diagnostic setting would put a request's record, relative to the download root. */
export function archivePathOf(r: StorageRequest): string {
  const resourceId = r.resourceId ?? defaultResourceId(r.account, r.service);
  const d = new Date(r.timeMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return join(
    `insights-logs-${categoryOf(r.operation).toLowerCase()}`,
    `resourceId=${resourceId}`,
    `y=${d.getUTCFullYear()}`,
    `m=${pad(d.getUTCMonth() + 1)}`,
    `d=${pad(d.getUTCDate())}`,
    `h=${pad(d.getUTCHours())}`,
    "m=00",
    "PT1H.json",
  );
}

/**
 * Lays requests out as a downloaded archive: one `PT1H.json` per container, resource and hour, with the
 * real path layout. Returns the files written (relative to `root`), sorted.
 */
export async function writeArchiveTree(
  requests: readonly StorageRequest[],
  root: string,
  o: ArchiveWriteOptions = {},
): Promise<string[]> {
  const byPath = new Map<string, StorageRequest[]>();
  for (const r of requests) {
    const path = archivePathOf(r);
    const list = byPath.get(path);
    if (list) list.push(r);
    else byPath.set(path, [r]);
  }
  const paths = [...byPath.keys()].sort();
  for (const path of paths) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, storageRequestsToArchiveJsonLines(byPath.get(path)!, o));
  }
  return paths;
}

/** One activity event as an AzureActivity row. */
export function toActivityRow(
  e: ActivityEvent,
  o: { dynamicAsText?: boolean } = {},
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    TimeGenerated: isoWith7Digits(e.timeMs),
    OperationNameValue: e.operationName,
  };
  const put = (k: string, v: unknown) => {
    if (v !== undefined) row[k] = v;
  };
  const dyn = (v: Record<string, unknown> | undefined) =>
    v === undefined ? undefined : o.dynamicAsText ? JSON.stringify(v) : v;
  put("OperationName", e.operationDisplayName);
  row.ActivityStatusValue = e.status;
  put("ActivitySubstatusValue", e.subStatus);
  put("CategoryValue", e.category);
  put("CorrelationId", e.correlationId);
  put("EventDataId", e.eventDataId);
  put("OperationId", e.operationId);
  row._ResourceId = e.resourceId;
  put("ResourceGroup", e.resourceGroup);
  put("SubscriptionId", e.subscriptionId);
  put("ResourceProviderValue", e.resourceProvider);
  put("Caller", e.caller);
  put("CallerIpAddress", e.callerIpAddress);
  put("Level", e.level);
  put("Properties_d", dyn(e.properties));
  put("Authorization_d", dyn(e.authorization));
  put("Claims_d", dyn(e.claims));
  row.Type = "AzureActivity";
  return row;
}

export function activityEventsToLogAnalyticsJsonArray(events: readonly ActivityEvent[]): string {
  return (
    JSON.stringify(
      events.map((e) => toActivityRow(e)),
      null,
      2,
    ) + "\n"
  );
}

export function activityEventsToCsv(
  events: readonly ActivityEvent[],
  o: Pick<CsvWriteOptions, "portal" | "delimiter" | "powershell"> = {},
): string {
  const rows = events.map((e) => {
    const row = toActivityRow(e, { dynamicAsText: true });
    if (o.portal) row.TimeGenerated = portalTime(e.timeMs);
    return row;
  });
  return toCsv(rows, (c) => (o.portal && c === "TimeGenerated" ? "TimeGenerated [UTC]" : c), {
    bom: o.portal ?? false,
    ...(o.delimiter === undefined ? {} : { delimiter: o.delimiter }),
    ...(o.powershell === undefined ? {} : { powershell: o.powershell }),
  });
}

/** An archived activity-log record (`insights-activity-logs`). */
export function toArchivedActivityRecord(e: ActivityEvent): Record<string, unknown> {
  const rec: Record<string, unknown> = {
    time: isoWith7Digits(e.timeMs),
    resourceId: e.resourceId,
    operationName: e.operationName,
  };
  const put = (k: string, v: unknown) => {
    if (v !== undefined) rec[k] = v;
  };
  put("category", e.category);
  rec.resultType = e.status;
  put("resultSignature", e.subStatus);
  put("correlationId", e.correlationId);
  put("eventDataId", e.eventDataId);
  put("operationId", e.operationId);
  put("caller", e.caller);
  put("callerIpAddress", e.callerIpAddress);
  if (e.authorization !== undefined || e.claims !== undefined) {
    const identity: Record<string, unknown> = {};
    if (e.authorization !== undefined) identity.authorization = e.authorization;
    if (e.claims !== undefined) identity.claims = e.claims;
    rec.identity = identity;
  }
  put("level", e.level);
  put("properties", e.properties);
  return rec;
}

/** An event as the Activity Log API returns it (what `az monitor activity-log list` prints). */
export function toRestActivityEvent(e: ActivityEvent): Record<string, unknown> {
  const localized = (value: string | undefined, words?: string) =>
    value === undefined ? undefined : { value, localizedValue: words ?? value };
  const rec: Record<string, unknown> = {
    eventTimestamp: isoWith7Digits(e.timeMs),
    operationName: localized(e.operationName, e.operationDisplayName),
    status: localized(e.status),
    resourceId: e.resourceId,
  };
  const put = (k: string, v: unknown) => {
    if (v !== undefined) rec[k] = v;
  };
  put("subStatus", localized(e.subStatus));
  put("category", localized(e.category));
  put("correlationId", e.correlationId);
  put("eventDataId", e.eventDataId);
  put("operationId", e.operationId);
  put("resourceGroupName", e.resourceGroup);
  put("subscriptionId", e.subscriptionId);
  put("resourceProviderName", localized(e.resourceProvider));
  put("caller", e.caller);
  if (e.callerIpAddress !== undefined) rec.httpRequest = { clientIpAddress: e.callerIpAddress };
  put("level", e.level);
  put("authorization", e.authorization);
  put("claims", e.claims);
  put("properties", e.properties);
  return rec;
}

/**
 * An event as `Get-AzActivityLog | ConvertTo-Json -Depth 5` writes it (Az.Monitor's PSEventData):
 * PascalCase, the names' invariant values, Level as the enum's number, Properties and Claims as a
 * PSDictionaryElement (`{Content: {string: string}}`). Windows PowerShell 5.1 writes dates as
 * `/Date(ms)/`, PowerShell 7 as ISO 8601.
 */
export function toPowerShellActivityEvent(
  e: ActivityEvent,
  o: { windowsPowerShell?: boolean } = {},
): Record<string, unknown> {
  const levels = ["Critical", "Error", "Warning", "Informational", "Verbose"];
  const dictionary = (d: Record<string, unknown> | undefined) =>
    d && {
      Content: Object.fromEntries(
        Object.entries(d).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      ),
    };
  const capitalised = (d: Record<string, unknown> | undefined) =>
    d && Object.fromEntries(Object.entries(d).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));
  const rec: Record<string, unknown> = {
    Authorization: capitalised(e.authorization) ?? null,
    Caller: e.caller ?? null,
    Claims: dictionary(e.claims) ?? { Content: {} },
    CorrelationId: e.correlationId ?? null,
    Description: "",
    EventDataId: e.eventDataId ?? null,
    EventName: "EndRequest",
    Category: e.category ?? null,
    EventTimestamp: o.windowsPowerShell ? `/Date(${e.timeMs})/` : isoWith7Digits(e.timeMs),
    HttpRequest: e.callerIpAddress
      ? { ClientId: null, ClientIpAddress: e.callerIpAddress, Method: "POST", Url: null }
      : null,
    Id: `${e.resourceId}/events/${e.eventDataId ?? "x"}/ticks/${e.timeMs}`,
    Level: e.level !== undefined && levels.includes(e.level) ? levels.indexOf(e.level) : 3,
    OperationId: e.operationId ?? null,
    OperationName: e.operationName,
    Properties: dictionary(e.properties) ?? { Content: {} },
    ResourceGroupName: e.resourceGroup ?? null,
    ResourceProviderName: e.resourceProvider ?? null,
    ResourceId: e.resourceId,
    Status: e.status,
    SubmissionTimestamp: o.windowsPowerShell ? `/Date(${e.timeMs + 5000})/` : isoWith7Digits(e.timeMs + 5000),
    SubscriptionId: e.subscriptionId ?? null,
    SubStatus: e.subStatus ?? "",
  };
  return rec;
}

/**
 * `Get-AzActivityLog | ConvertTo-Json` saved to a file: PowerShell 7 writes UTF-8; Windows PowerShell
 * 5.1's `>` writes UTF-16 with a byte order mark, and escapes `/` in its dates (`"\/Date(…)\/"`).
 */
export function activityEventsToPowerShellJson(
  events: readonly ActivityEvent[],
  o: { windowsPowerShell?: boolean } = {},
): Buffer {
  const json = JSON.stringify(
    events.map((e) => toPowerShellActivityEvent(e, o)),
    null,
    4,
  );
  if (!o.windowsPowerShell) return Buffer.from(json + "\n", "utf8");
  const escaped = json.replace(/"\/Date\((\d+)\)\/"/g, '"\\/Date($1)\\/"');
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(escaped + "\r\n", "utf16le")]);
}

export function activityEventsToRestApiJsonArray(events: readonly ActivityEvent[]): string {
  return JSON.stringify(events.map(toRestActivityEvent), null, 2) + "\n";
}

export function activityEventsToArchiveJsonLines(events: readonly ActivityEvent[]): string {
  return events.map((e) => JSON.stringify(toArchivedActivityRecord(e)) + "\n").join("");
}

/** Path of an activity record in a downloaded `insights-activity-logs` tree. */
export function activityArchivePathOf(e: ActivityEvent, subscriptionId: string): string {
  const d = new Date(e.timeMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return join(
    "insights-activity-logs",
    `resourceId=/SUBSCRIPTIONS/${subscriptionId.toUpperCase()}`,
    `y=${d.getUTCFullYear()}`,
    `m=${pad(d.getUTCMonth() + 1)}`,
    `d=${pad(d.getUTCDate())}`,
    `h=${pad(d.getUTCHours())}`,
    "m=00",
    "PT1H.json",
  );
}

/** Storage Analytics request status of a request (the classic `$logs` field), by outcome and scheme. */
export function classicStatusOf(r: StorageRequest): string {
  const prefix = r.authType === "SAS" ? "SAS" : r.authType === "Anonymous" ? "Anonymous" : "";
  const status = r.statusCode;
  if (status === null || status < 400) return `${prefix}Success`;
  if (status === 401 || status === 403) {
    if (r.statusText === "AuthorizationFailure") {
      if (r.authType === "SAS") return "SASIpAuthorizationError";
      if (r.authType === "OAuth") return "OAuthIpAuthorizationError";
      if (r.authType === "Anonymous") return "NetworkAuthorizationError";
      return "IpAuthorizationError";
    }
    if (r.statusText === "AuthorizationSourceIPMismatch") return "SASIpAuthorizationError";
    return `${prefix}AuthorizationError`;
  }
  if (status === 503) return `${prefix}ThrottlingError`;
  return status >= 500 ? `${prefix}ServerOtherError` : `${prefix}ClientOtherError`;
}

const CLASSIC_AUTH: Record<string, string> = {
  AccountKey: "authenticated",
  SAS: "sas",
  Anonymous: "anonymous",
};

/** A quoted classic field: `"`, `&`, `<`, `>` HTML-encoded as Storage Analytics writes them; `;` stays. */
function classicQuoted(v: string | undefined): string {
  if (v === undefined) return "";
  return `"${v.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}"`;
}

/** Deterministic request id from the request's time and operation (classic lines always carry one). */
function classicRequestId(r: StorageRequest): string {
  if (r.correlationId !== undefined) return r.correlationId;
  const hex = (Math.abs(Math.trunc(r.timeMs)) % 0xffffffff).toString(16).padStart(8, "0");
  return `${hex}-0000-4000-8000-${r.operation.length.toString(16).padStart(12, "0")}`;
}

/**
 * One request as a classic Storage Analytics line (learn.microsoft.com "Storage Analytics log format"):
 * 30 fields in 1.0, 38 in 2.0 (the Entra fields filled for OAuth requests). The status is the classic
 * request status (classicStatusOf), not the error code: that is what these logs lose.
 */
export function toClassicLine(r: StorageRequest, version: "1.0" | "2.0"): string {
  const oauth = r.authType === "OAuth";
  const auth = oauth ? (version === "1.0" ? "bearer" : "oauth") : (CLASSIC_AUTH[r.authType] ?? r.authType);
  const fields = [
    version,
    isoWith7Digits(r.timeMs),
    r.operation,
    classicStatusOf(r),
    r.statusCode === null ? "Unknown" : String(r.statusCode),
    "12",
    "9",
    auth,
    r.authType === "AccountKey" ? r.account : "",
    r.account,
    r.service,
    classicQuoted(r.uri),
    classicQuoted(r.objectKey),
    classicRequestId(r),
    "0",
    r.callerIp === undefined ? "" : callerIpWithPort(r.callerIp, r),
    r.operationVersion ?? "",
    "512",
    "0",
    "256",
    "0",
    "0",
    "",
    "",
    "",
    "",
    "",
    classicQuoted(r.userAgent),
    "",
    classicQuoted(r.clientRequestId),
  ];
  if (version === "2.0") {
    const entra = oauth && r.requesterObjectId !== undefined;
    fields.push(
      entra ? r.requesterObjectId! : "",
      entra ? (r.requesterTenantId ?? "") : "",
      entra ? (r.requesterAppId ?? "") : "",
      entra ? (r.requesterAudience ?? "https://storage.azure.com") : "",
      entra && r.requesterTenantId ? `https://sts.windows.net/${r.requesterTenantId}/` : "",
      entra ? (r.requesterUpn ?? "") : "",
      "",
      r.authorizationDetails === undefined ? "" : classicQuoted(JSON.stringify(r.authorizationDetails)),
    );
  }
  return fields.join(";");
}

export function storageRequestsToClassicLog(
  requests: readonly StorageRequest[],
  o: { version: "1.0" | "2.0"; crlf?: boolean },
): string {
  const eol = o.crlf ? "\r\n" : "\n";
  return requests.map((r) => toClassicLine(r, o.version) + eol).join("");
}

/** Where Storage Analytics puts a request's line: `<service>/YYYY/MM/DD/hh00/000000.log` in `$logs`. */
export function classicLogPathOf(r: StorageRequest): string {
  const d = new Date(r.timeMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return join(
    r.service,
    String(d.getUTCFullYear()),
    pad(d.getUTCMonth() + 1),
    pad(d.getUTCDate()),
    `${pad(d.getUTCHours())}00`,
    "000000.log",
  );
}

/** Lays requests out as a downloaded `$logs` container; `.gz` for one service to mix both. */
export async function writeClassicLogsTree(
  requests: readonly StorageRequest[],
  root: string,
  o: { version: "1.0" | "2.0"; gzipService?: ServiceType },
): Promise<string[]> {
  const { gzipSync } = await import("node:zlib");
  const byPath = new Map<string, StorageRequest[]>();
  for (const r of requests) {
    const path = classicLogPathOf(r);
    const list = byPath.get(path);
    if (list) list.push(r);
    else byPath.set(path, [r]);
  }
  const paths = [...byPath.keys()].sort();
  for (const path of paths) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    const text = storageRequestsToClassicLog(byPath.get(path)!, o);
    const service = path.split(/[\\/]/)[0];
    await writeFile(full, service === o.gzipService ? gzipSync(text) : text);
  }
  return paths;
}
