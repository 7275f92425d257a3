import { kqlString, knownAuthCodesKql, verdictCaseKql } from "../../codes/kql.js";
import { DEFAULT_PARTIAL_CAPS, NO_VERSION, OTHER_VERSIONS, type PartialCaps } from "./caps.js";
import { STORAGE_LOG_TABLES } from "./schemas.js";

/**
 * KQL generation. Every query summarises server-side so that the rows returned grow with clusters (or
 * callers, or changes), never with the number of failures. Each query starts with a `// auth-triage:`
 * marker line naming its shape, which makes the query recognisable in the workspace's query audit log.
 */

/** Which rows one query run covers. Times are epoch ms; the bounds are literals, not now(), so reruns agree. */
export interface IngestionWindow {
  /** Rows generated at or before this are ignored (bounds the scan; see docs/log-analytics.md). */
  generatedAfterMs: number;
  /** ingestion_time() in (ingestedAfterMs, ingestedUntilMs]: half-open, so adjacent windows never overlap. */
  ingestedAfterMs: number;
  ingestedUntilMs: number;
}

export type QueryName = "failure-clusters" | "activity-changes" | "root-cause-evidence";

export const QUERY_MARKER = "// auth-triage:";

export function kqlDatetime(ms: number): string {
  return `datetime(${new Date(ms).toISOString()})`;
}

/** The columns of a cluster key, in the order the queries and result parsing use. */
export const CLUSTER_KEY_COLUMNS = [
  "AccountName",
  "ServiceType",
  "OperationName",
  "StatusCode",
  "StatusText",
  "AuthenticationType",
] as const;

/**
 * Expressions shared by every storage query: the port-stripped caller IP (same rule as stripPort in
 * src/model/storage-request.ts), the key slot from AuthenticationHash (as keySlotOf), the user agent
 * without the surrounding quotes the docs show, and the SAS st/se parameters url-decoded from the Uri.
 */

function derivedColumnsKql(): string {
  return [
    // As the file readers do: a missing ServiceType comes from the table or the resource id, a missing
    // AccountName from the resource id; the service is lower case.
    `| extend ServiceType = tolower(case(`,
    `    isnotempty(ServiceType), ServiceType,`,
    `    Type == "StorageBlobLogs" or _ResourceId has "/blobservices", "blob",`,
    `    Type == "StorageQueueLogs" or _ResourceId has "/queueservices", "queue",`,
    `    Type == "StorageTableLogs" or _ResourceId has "/tableservices", "table",`,
    `    Type == "StorageFileLogs" or _ResourceId has "/fileservices", "file",`,
    `    "")),`,
    `    AccountName = iff(isnotempty(AccountName), AccountName,`,
    `        extract(@"(?i)/storageaccounts/([^/]+)", 1, _ResourceId))`,
    `| extend TrimmedIp = trim(@"\\s+", CallerIpAddress)`,
    `| extend CallerIp = case(`,
    `    TrimmedIp startswith "[" and indexof(TrimmedIp, "]") > 0, substring(TrimmedIp, 1, indexof(TrimmedIp, "]") - 1),`,
    `    countof(TrimmedIp, ":") == 1, substring(TrimmedIp, 0, indexof(TrimmedIp, ":")),`,
    `    TrimmedIp)`,
    `| extend KeySlot = tolower(extract(@"(?i)^\\s*(key[12])\\(", 1, AuthenticationHash)),`,
    // One pair of surrounding quotes is dropped (the docs show the header quoted, real rows are not).
    `    UserAgent = iff(strlen(UserAgentHeader) >= 2 and UserAgentHeader startswith '"' and UserAgentHeader endswith '"',`,
    `        substring(UserAgentHeader, 1, strlen(UserAgentHeader) - 2), UserAgentHeader),`,
    `    SasStart = url_decode(extract(@"[?&]st=([^&#]*)", 1, Uri)),`,
    `    SasExpiry = url_decode(extract(@"[?&]se=([^&#]*)", 1, Uri))`,
  ].join("\n");
}

function storageUnionKql(window: IngestionWindow): string {
  return [
    `union isfuzzy=true ${STORAGE_LOG_TABLES.join(", ")}`,
    `| where TimeGenerated > ${kqlDatetime(window.generatedAfterMs)}`,
    `| where ingestion_time() > ${kqlDatetime(window.ingestedAfterMs)} and ingestion_time() <= ${kqlDatetime(window.ingestedUntilMs)}`,
  ].join("\n");
}

const AUTH_FAILURE_FILTER = "toint(StatusCode) in (401, 403)";

/**
 * The failure clusters: one row per cluster key with everything a ClusterPartial holds, plus one
 * `RowKind = "totals"` row counting the window's requests. The scan of the failures is materialised once
 * and summarised five ways, then joined on the cluster id.
 */
export function failureClustersQuery(
  window: IngestionWindow,
  caps: PartialCaps = DEFAULT_PARTIAL_CAPS,
): string {
  return failureClustersQueryOver(storageUnionKql(window), caps);
}

/**
 * The failure-clusters query over any row source that has the Log Analytics storage columns
 * (TimeGenerated, AccountName, StatusCode as a string, …): the workspace tables, or an Azure Data
 * Explorer external table over the archive (src/collect/adx/archive-kql.ts), so both run the same code table.
 */
export function failureClustersQueryOver(rows: string, caps: PartialCaps = DEFAULT_PARTIAL_CAPS): string {
  const key = CLUSTER_KEY_COLUMNS.join(", ");
  return `${QUERY_MARKER} failure-clusters
let InWindow = ${rows};
let AuthFailures = materialize(InWindow
| where ${AUTH_FAILURE_FILTER}
${derivedColumnsKql()}
| extend ClusterId = strcat_delim("|", ${key})
| project TimeGenerated, ClusterId, ${key}, CallerIp, UserAgent, RequesterObjectId, RequesterUpn, KeySlot,
    Uri, ObjectKey, OperationVersion, SasStart, SasExpiry);
let Clusters = AuthFailures
| summarize FailureCount = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated),
    SampleUris = make_set_if(Uri, isnotempty(Uri), ${caps.sampleUris}),
    SampleObjectKeys = make_set_if(ObjectKey, isnotempty(ObjectKey), ${caps.sampleObjectKeys})
    by ClusterId, ${key}
| extend Decision = ${verdictCaseKql("StatusText", "AuthenticationType")},
    KnownCode = StatusText in~ (${knownAuthCodesKql()});
let PerMinute = AuthFailures
| summarize MinuteCount = count() by ClusterId, Minute = bin(TimeGenerated, 1m)
| summarize PerMinute = make_bag(bag_pack(tostring(Minute), MinuteCount)) by ClusterId;
let Callers = AuthFailures
| summarize CallerCount = count(), CallerFirstSeen = min(TimeGenerated), CallerLastSeen = max(TimeGenerated),
    CallerUpn = take_anyif(RequesterUpn, isnotempty(RequesterUpn))
    by ClusterId, CallerIp, UserAgent, RequesterObjectId, KeySlot
| sort by ClusterId asc, CallerCount desc, CallerIp asc, RequesterObjectId asc, KeySlot asc, UserAgent asc
| extend CallerRank = row_number(1, prev(ClusterId) != ClusterId)
| where CallerRank <= ${caps.topCallers}
| summarize Callers = make_list(bag_pack("ip", CallerIp, "userAgent", UserAgent, "requesterObjectId", RequesterObjectId,
    "requesterUpn", CallerUpn, "keySlot", KeySlot, "count", CallerCount,
    "firstSeen", CallerFirstSeen, "lastSeen", CallerLastSeen), ${caps.topCallers}) by ClusterId;
let SasWindows = AuthFailures
| where isnotempty(SasStart) or isnotempty(SasExpiry)
| summarize SasCount = count(),
    Expired = countif(isnotempty(SasExpiry) and TimeGenerated > todatetime(SasExpiry)),
    NotYetValid = countif(isnotempty(SasStart) and TimeGenerated < todatetime(SasStart))
    by ClusterId, SasStart, SasExpiry
| sort by ClusterId asc, SasCount desc, SasStart asc, SasExpiry asc
| extend SasRank = row_number(1, prev(ClusterId) != ClusterId)
// Windows beyond the cap are counted together, without st/se, as the local engine does.
| extend SasStart = iff(SasRank <= ${caps.sasWindows}, SasStart, ""), SasExpiry = iff(SasRank <= ${caps.sasWindows}, SasExpiry, "")
| summarize SasCount = sum(SasCount), Expired = sum(Expired), NotYetValid = sum(NotYetValid)
    by ClusterId, SasStart, SasExpiry
| summarize SasWindows = make_list(bag_pack("st", SasStart, "se", SasExpiry, "count", SasCount,
    "expired", Expired, "notYetValid", NotYetValid), ${caps.sasWindows + 1}) by ClusterId;
let Versions = AuthFailures
| extend Version = iff(isempty(OperationVersion), ${kqlString(NO_VERSION)}, OperationVersion)
| summarize VersionCount = count() by ClusterId, Version
| sort by ClusterId asc, VersionCount desc, Version asc
| extend VersionRank = row_number(1, prev(ClusterId) != ClusterId)
| extend Version = iff(VersionRank <= ${caps.operationVersions}, Version, ${kqlString(OTHER_VERSIONS)})
| summarize VersionCount = sum(VersionCount) by ClusterId, Version
| summarize OperationVersions = make_bag(bag_pack(Version, VersionCount)) by ClusterId;
Clusters
| join kind=leftouter PerMinute on ClusterId
| join kind=leftouter Callers on ClusterId
| join kind=leftouter SasWindows on ClusterId
| join kind=leftouter Versions on ClusterId
| project ${key}, FailureCount, FirstSeen, LastSeen, PerMinute, Callers,
    SampleUris, SampleObjectKeys, SasWindows, OperationVersions, Decision, KnownCode, RowKind = "cluster"
| order by FailureCount desc
// One extra row: how many requests the window held, failures or not (the report's "rows").
| union (print RowKind = "totals", RowsInWindow = toscalar(InWindow | count))`;
}

/** Resource providers whose control-plane changes can explain storage auth failures (reference §4). */
export const ACTIVITY_PROVIDERS = [
  "microsoft.storage",
  "microsoft.authorization",
  "microsoft.network",
  "microsoft.resources",
  "microsoft.web",
  "microsoft.keyvault",
  "microsoft.managedidentity",
  "microsoft.insights",
] as const;

/** Cap on activity rows per query; the result says when it was reached. */
export const ACTIVITY_ROW_CAP = 20_000;

/**
 * AzureActivity changes in the lookback. Not incremental: root-cause ranking needs every change of the
 * lookback on each run, and activity arrives up to 20 minutes late, so each run re-reads the lookback.
 * Reads (`/read`) are left out: they change nothing.
 */
export function activityChangesQuery(fromMs: number, toMs: number, rowCap = ACTIVITY_ROW_CAP): string {
  return `${QUERY_MARKER} activity-changes
AzureActivity
| where TimeGenerated > ${kqlDatetime(fromMs)} and TimeGenerated <= ${kqlDatetime(toMs)}
| where CategoryValue in~ ("Administrative", "Policy")
| where tolower(tostring(split(OperationNameValue, "/")[0])) in (${ACTIVITY_PROVIDERS.map(kqlString).join(", ")})
| where not(OperationNameValue endswith "/read")
| project TimeGenerated, OperationNameValue, OperationName, ActivityStatusValue, ActivitySubstatusValue,
    CategoryValue, CorrelationId, EventDataId, OperationId, ResourceId = coalesce(_ResourceId, ResourceId),
    ResourceGroup, SubscriptionId, ResourceProviderValue, Caller, CallerIpAddress, Level,
    Properties_d, Authorization_d, Claims_d
| order by TimeGenerated asc
| take ${rowCap}`;
}
