import { kqlString, knownAuthCodesKql, verdictCaseKql } from "../../codes/kql.js";
import { DEFAULT_PARTIAL_CAPS, NO_VERSION, OTHER_VERSIONS, type PartialCaps } from "./caps.js";
import { EVIDENCE_LIMITS } from "../../remedy/evidence.js";
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

export type QueryName =
  "failure-clusters" | "activity-changes" | "root-cause-evidence" | "accounts-with-rows";

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
${remedyColumnsKql()}
| project TimeGenerated, ClusterId, ${key}, CallerIp, UserAgent, RequesterObjectId, RequesterUpn, KeySlot,
    Uri, ObjectKey, OperationVersion, SasStart, SasExpiry,
    AccountResourceId, Container, PrincipalId, PrincipalAppId, PrincipalTenantId, PrincipalUpn, AuthEntries);
let Clusters = AuthFailures
| summarize FailureCount = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated),
    SampleUris = make_set_if(Uri, isnotempty(Uri), ${caps.sampleUris}),
    SampleObjectKeys = make_set_if(ObjectKey, isnotempty(ObjectKey), ${caps.sampleObjectKeys}),
    ResourceId = take_anyif(AccountResourceId, isnotempty(AccountResourceId))
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
${remedyEvidenceKql()}
Clusters
| join kind=leftouter PerMinute on ClusterId
| join kind=leftouter Callers on ClusterId
| join kind=leftouter SasWindows on ClusterId
| join kind=leftouter Versions on ClusterId
| join kind=leftouter Containers on ClusterId
| join kind=leftouter Principals on ClusterId
| join kind=leftouter Authorization on ClusterId
| project ${key}, FailureCount, FirstSeen, LastSeen, PerMinute, Callers,
    SampleUris, SampleObjectKeys, SasWindows, OperationVersions, Decision, KnownCode,
    ResourceId, Containers, OtherContainers, Principals, Authorization, RowKind = "cluster"
| order by FailureCount desc
// One extra row: how many requests the window held, failures or not (the report's "rows").
| union (print RowKind = "totals", RowsInWindow = toscalar(InWindow | count))`;
}

/**
 * Per-failure columns of the remedy evidence, with the local rules of src/remedy/evidence.ts: the account's
 * ARM id from _ResourceId, the container as the second non-empty segment of ObjectKey (table entity keys
 * `(…)` stripped), the requester's object id trimmed and lower case, and AuthorizationDetails as an array
 * of entries (one object is one entry; JSON text is parsed). Texts are clipped to 512 characters.
 */
const EVIDENCE_TEXT_MAX = 512;

function remedyColumnsKql(): string {
  const text = (v: string) => `substring(trim(@"\\s+", ${v}), 0, ${EVIDENCE_TEXT_MAX})`;
  return [
    `| extend AccountResourceId = extract(@"(?i)^\\s*(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.storage/storageaccounts/[^/]+)", 1, _ResourceId),`,
    `    ContainerSegment = extract(@"^/*[^/]+/+([^/]+)", 1, ObjectKey),`,
    `    PrincipalId = ${text("tolower(RequesterObjectId)")},`,
    `    PrincipalAppId = ${text("RequesterAppId")},`,
    `    PrincipalTenantId = ${text("RequesterTenantId")},`,
    `    PrincipalUpn = ${text("RequesterUpn")},`,
    `    AuthDetails = iff(gettype(AuthorizationDetails) == "string", todynamic(tostring(AuthorizationDetails)), AuthorizationDetails)`,
    `| extend Container = substring(iff(indexof(ContainerSegment, "(") > 0,`,
    `        substring(ContainerSegment, 0, indexof(ContainerSegment, "(")), ContainerSegment), 0, ${EVIDENCE_TEXT_MAX}),`,
    `    AuthEntries = case(gettype(AuthDetails) == "array", AuthDetails,`,
    `        gettype(AuthDetails) == "dictionary", pack_array(AuthDetails), dynamic([]))`,
  ].join("\n");
}

/**
 * The remedy evidence, summarised per cluster and capped as the local engine caps it (EVIDENCE_LIMITS):
 * the busiest containers (the rest, and failures without a container, counted as other), the busiest
 * principals with the first app id, tenant, UPN and AuthorizationDetails principal type logged for them,
 * and the most frequent authorization entries. The local accumulator keeps the first values it sees and
 * the merge keeps the largest; the query keeps the largest, so both agree whenever a cluster stays
 * within the caps (see docs/log-analytics.md).
 */
function remedyEvidenceKql(): string {
  const { containers, principals, authorization } = EVIDENCE_LIMITS;
  const field = (name: string) =>
    `EvidenceText(coalesce(AuthEntry.${name}, AuthEntry.${name[0]!.toUpperCase()}${name.slice(1)}))`;
  return `let EvidenceText = (v: dynamic) {
    substring(trim(@"\\s+", iff(gettype(v) == "string", tostring(v), "")), 0, ${EVIDENCE_TEXT_MAX})
};
let Containers = AuthFailures
| summarize ContainerCount = count() by ClusterId, Container
| extend Named = isnotempty(Container)
| sort by ClusterId asc, Named desc, ContainerCount desc, Container asc
| extend ContainerRank = row_number(1, prev(ClusterId) != ClusterId)
| extend Kept = Named and ContainerRank <= ${containers}
| summarize Containers = make_bag_if(bag_pack(Container, ContainerCount), Kept),
    OtherContainers = sumif(ContainerCount, not(Kept)) by ClusterId;
let PrincipalTypes = AuthFailures
| where isnotempty(PrincipalId) and array_length(AuthEntries) > 0
| mv-expand AuthEntry = AuthEntries
| extend AuthPrincipals = coalesce(AuthEntry.principals, AuthEntry.Principals)
| mv-expand AuthPrincipal = iff(gettype(AuthPrincipals) == "array", AuthPrincipals, dynamic([]))
| extend AuthPrincipalId = tolower(EvidenceText(coalesce(AuthPrincipal.id, AuthPrincipal.Id))),
    AuthPrincipalType = EvidenceText(coalesce(AuthPrincipal.type, AuthPrincipal.Type))
| where AuthPrincipalId == PrincipalId and isnotempty(AuthPrincipalType)
| summarize PrincipalType = take_any(AuthPrincipalType) by ClusterId, PrincipalId;
let Principals = AuthFailures
| where isnotempty(PrincipalId)
| summarize PrincipalCount = count(), AppId = take_anyif(PrincipalAppId, isnotempty(PrincipalAppId)),
    TenantId = take_anyif(PrincipalTenantId, isnotempty(PrincipalTenantId)),
    Upn = take_anyif(PrincipalUpn, isnotempty(PrincipalUpn)) by ClusterId, PrincipalId
| sort by ClusterId asc, PrincipalCount desc, PrincipalId asc
| extend PrincipalRank = row_number(1, prev(ClusterId) != ClusterId)
| where PrincipalRank <= ${principals}
| join kind=leftouter PrincipalTypes on ClusterId, PrincipalId
| summarize Principals = make_list(bag_pack("objectId", PrincipalId, "appId", AppId, "tenantId", TenantId,
    "upn", Upn, "type", PrincipalType, "count", PrincipalCount), ${principals}) by ClusterId;
let Authorization = AuthFailures
| where array_length(AuthEntries) > 0
| mv-expand AuthEntry = AuthEntries
| extend AuthAction = ${field("action")}, AuthResult = ${field("result")},
    AuthReason = ${field("reason")}, RoleAssignmentId = ${field("roleAssignmentId")},
    RoleDefinitionId = ${field("roleDefinitionId")}, DenyAssignmentId = ${field("denyAssignmentId")}
| where isnotempty(AuthAction) and isnotempty(AuthResult)
| summarize AuthCount = count()
    by ClusterId, AuthAction, AuthResult, AuthReason, RoleAssignmentId, RoleDefinitionId, DenyAssignmentId
| sort by ClusterId asc, AuthCount desc, AuthAction asc, AuthResult asc, AuthReason asc, RoleAssignmentId asc,
    RoleDefinitionId asc, DenyAssignmentId asc
| extend AuthRank = row_number(1, prev(ClusterId) != ClusterId)
| where AuthRank <= ${authorization}
| summarize Authorization = make_list(bag_pack("action", AuthAction, "result", AuthResult, "reason", AuthReason,
    "roleAssignmentId", RoleAssignmentId, "roleDefinitionId", RoleDefinitionId,
    "denyAssignmentId", DenyAssignmentId, "count", AuthCount), ${authorization}) by ClusterId;`;
}

/** Accounts one input-health answer may name; past it the list is incomplete and not used. */
export const ACCOUNTS_WITH_ROWS_CAP = 10_000;

/**
 * Input health (src/timer/input-health.ts): the storage accounts with any request logged in the cycle's
 * window, by TimeGenerated in [fromMs, toMs) as the file source counts it, each with its row count. The
 * account name comes from the resource id when the column is empty, as in every query. At most `cap + 1`
 * rows, so the caller can tell a cut list (then it says nothing rather than name an account that sent logs).
 */
export function accountsWithRowsQuery(fromMs: number, toMs: number, cap = ACCOUNTS_WITH_ROWS_CAP): string {
  return `${QUERY_MARKER} accounts-with-rows
union isfuzzy=true ${STORAGE_LOG_TABLES.join(", ")}
| where TimeGenerated >= ${kqlDatetime(fromMs)} and TimeGenerated < ${kqlDatetime(toMs)}
| extend Account = tolower(iff(isnotempty(AccountName), AccountName,
    extract(@"(?i)/storageaccounts/([^/]+)", 1, _ResourceId)))
| where isnotempty(Account)
| summarize RowCount = count() by Account
| order by RowCount desc, Account asc
| take ${cap + 1}`;
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
