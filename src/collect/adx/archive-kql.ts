import { STORAGE_LOG_CONTAINERS } from "../archive/paths.js";
import { DEFAULT_PARTIAL_CAPS, type PartialCaps } from "../loganalytics/caps.js";
import { failureClustersQueryOver, kqlDatetime } from "../loganalytics/queries.js";

/**
 * Past one machine: the archive (PT1H.json blobs, reference §2) queried where it lies, by Azure Data
 * Explorer through an external table, with the same code-table KQL the Log Analytics source sends.
 *
 * The external table maps the archive's JSON Lines by their top-level fields (`identity` and
 * `properties` stay dynamic) and its path to virtual columns, so a time filter on `Hour` and an account
 * filter on `StorageAccount` prune blobs before any is read:
 * `resourceId=/SUBSCRIPTIONS/<sub>/RESOURCEGROUPS/<rg>/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/<acct>/<SERVICE>/<default>/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`.
 * A row view then renames the fields to the Log Analytics columns the cluster query reads.
 */

export const ADX_ARCHIVE_TABLE = "StorageLogArchive";

/** The archive record's top-level fields, as the external table's schema (statusCode is a JSON number). */
export const ARCHIVE_RECORD_SCHEMA: ReadonlyArray<readonly [string, string]> = [
  ["time", "datetime"],
  ["resourceId", "string"],
  ["category", "string"],
  ["operationName", "string"],
  ["operationVersion", "string"],
  ["schemaVersion", "string"],
  ["statusCode", "int"],
  ["statusText", "string"],
  ["durationMs", "long"],
  ["callerIpAddress", "string"],
  ["correlationId", "string"],
  ["location", "string"],
  ["protocol", "string"],
  ["uri", "string"],
  ["identity", "dynamic"],
  ["properties", "dynamic"],
];

/** Virtual columns read from the blob path. */
export const ARCHIVE_PATH_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ["SubscriptionId", "string"],
  ["ResourceGroup", "string"],
  ["StorageAccount", "string"],
  ["Service", "string"],
  ["ServiceInstance", "string"],
  ["Hour", "datetime"],
];

const HOUR_MS = 3_600_000;

/** Raises on a value that would break out of a KQL string literal; names are checked, not escaped. */
function checkedName(what: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new Error(`${what} '${value}' is not valid (expected ${pattern.source})`);
  return value;
}

/**
 * `.create-or-alter external table` over the archive containers of one account. Access is the caller's
 * own identity (`;impersonate`: Storage Blob Data Reader on the account); no key or SAS is ever printed.
 */
export function archiveExternalTableCommand(
  accountUrl: string,
  containers: readonly string[] = STORAGE_LOG_CONTAINERS,
  table = ADX_ARCHIVE_TABLE,
): string {
  let url: URL;
  try {
    url = new URL(accountUrl);
  } catch {
    // Not echoed: a connection string pasted here would hold the account key.
    throw new Error("not a URL; give the archive account's blob endpoint");
  }
  if (url.protocol !== "https:" || url.search !== "" || url.username !== "" || url.password !== "")
    throw new Error(
      "archive account: give the blob endpoint alone, e.g. https://contosologs.blob.core.windows.net (no SAS, no key)",
    );
  const endpoint = `https://${url.host}`;
  // `time` is a keyword: every field name is bracketed.
  const schema = ARCHIVE_RECORD_SCHEMA.map(([n, t]) => `['${n}']:${t}`).join(", ");
  const partitions = ARCHIVE_PATH_COLUMNS.map(([n, t]) => `${n}:${t}`).join(", ");
  const stores = containers
    .map((c) => `    h@'${endpoint}/${checkedName("container", c, /^[a-z0-9][a-z0-9-]{2,62}$/)};impersonate'`)
    .join(",\n");
  return `.create-or-alter external table ${checkedName("table", table, /^[A-Za-z_][A-Za-z0-9_]*$/)} (${schema})
kind=storage
partition by (${partitions})
pathformat=("resourceId=/SUBSCRIPTIONS/" SubscriptionId "/RESOURCEGROUPS/" ResourceGroup
    "/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/" StorageAccount "/" Service "/" ServiceInstance "/"
    datetime_pattern("'y='yyyy'/m='MM'/d='dd'/h='HH'/m=00'", Hour))
dataformat=multijson
(
${stores}
)
with (folder="auth-triage", docString="Storage resource logs archived by diagnostic settings (PT1H.json)", fileExtension=".json")`;
}

/**
 * Rows of (fromMs, toMs] by generation time, as Log Analytics columns. Records land in the blob of the
 * hour they were received, up to an hour or so after they happened: the blobs from the hour of `fromMs`
 * to an hour past `toMs` are read, no others.
 */
export function archiveRowsKql(fromMs: number, toMs: number, table = ADX_ARCHIVE_TABLE): string {
  const firstHour = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  return [
    `external_table("${checkedName("table", table, /^[A-Za-z_][A-Za-z0-9_]*$/)}")`,
    `| where Hour between (${kqlDatetime(firstHour)} .. ${kqlDatetime(toMs + HOUR_MS)})`,
    `| where ['time'] > ${kqlDatetime(fromMs)} and ['time'] <= ${kqlDatetime(toMs)}`,
    `| extend TimeGenerated = ['time'], AccountName = tostring(properties.accountName),`,
    `    ServiceType = tostring(properties.serviceType), OperationName = operationName,`,
    `    StatusCode = tostring(statusCode), StatusText = statusText,`,
    `    AuthenticationType = tostring(identity.type), AuthenticationHash = tostring(identity.tokenHash),`,
    `    CallerIpAddress = callerIpAddress, UserAgentHeader = tostring(properties.userAgentHeader),`,
    `    RequesterObjectId = tostring(identity.requester.objectId), RequesterUpn = tostring(identity.requester.upn),`,
    `    RequesterAppId = tostring(identity.requester.appId), RequesterTenantId = tostring(identity.requester.tenantId),`,
    `    AuthorizationDetails = identity.authorization,`,
    `    Uri = uri, ObjectKey = tostring(properties.objectKey), OperationVersion = operationVersion,`,
    `    _ResourceId = resourceId, Type = ""`,
  ].join("\n");
}

/** The failure-clusters query (the same code table as Log Analytics) over the archive's external table. */
export function adxFailureClustersQuery(
  fromMs: number,
  toMs: number,
  caps: PartialCaps = DEFAULT_PARTIAL_CAPS,
  table = ADX_ARCHIVE_TABLE,
): string {
  return failureClustersQueryOver(archiveRowsKql(fromMs, toMs, table), caps);
}
