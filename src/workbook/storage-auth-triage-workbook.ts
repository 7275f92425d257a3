import { verdictCaseKql } from "../codes/kql.js";

/**
 * The Azure Workbook over the Storage*Logs tables (infra/workbook/storage-auth-triage.workbook.json). It
 * clusters 401/403 failures the way the engine does (account, service, operation, status, error code,
 * auth type) and labels each cluster with the verdict `case()` generated from the single error-code table,
 * so the workbook and the engine can never disagree. scripts/build-workbook.mjs writes the JSON; a test
 * proves the committed file is exactly what this module produces.
 */

/** Replaced at deploy time (infra/modules/workbook.bicep) by the JSON array of workspace resource ids. */
export const DEFAULT_WORKSPACES_PLACEHOLDER = "__DEFAULT_WORKSPACE_RESOURCE_IDS__";

export const WORKBOOK_RELATIVE_PATH = "infra/workbook/storage-auth-triage.workbook.json";

/** The KQL shared by every item: one row per 401/403 request, with the columns the items group by. */
export function failuresKql(timeFilter = "{TimeRange}"): string {
  return [
    "let failures = union isfuzzy=true StorageBlobLogs, StorageQueueLogs, StorageTableLogs, StorageFileLogs",
    `| where TimeGenerated ${timeFilter}`,
    // StatusCode is a string (it can be "Unknown"); SMB rows carry NTSTATUS codes and drop out here.
    "| where toint(StatusCode) in (401, 403)",
    "| extend ErrorCode = StatusText",
    // CallerIpAddress is ip:port ([v6]:port for IPv6); group callers by address alone.
    '| extend CallerIp = case(CallerIpAddress startswith "[", extract(@"^\\[([^\\]]*)\\]", 1, CallerIpAddress), countof(CallerIpAddress, ":") == 1, tostring(split(CallerIpAddress, ":")[0]), CallerIpAddress)',
    // The docs say the user agent is quoted, real rows are not: accept both.
    "| extend UserAgent = trim(@'\"', UserAgentHeader)",
    `| extend Verdict = ${verdictCaseKql("StatusText", "AuthenticationType")};`,
  ].join("\n");
}

/** Clusters: the grid everyone opens first during an incident. No Uri column: SAS URIs carry `sig=`. */
export function clusteredFailuresKql(timeFilter?: string): string {
  return [
    failuresKql(timeFilter),
    "failures",
    "| summarize Failures = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Callers = dcount(CallerIp)",
    "    by AccountName, Service = ServiceType, OperationName, StatusCode, ErrorCode, AuthenticationType, Verdict",
    "| order by Failures desc",
  ].join("\n");
}

export function failuresOverTimeKql(timeFilter?: string, grain = "{TimeRange:grain}"): string {
  return [
    failuresKql(timeFilter),
    "failures",
    `| summarize Failures = count() by Verdict, bin(TimeGenerated, ${grain})`,
    "| order by TimeGenerated asc",
  ].join("\n");
}

export function topCallersKql(timeFilter?: string): string {
  return [
    failuresKql(timeFilter),
    "failures",
    "| summarize Failures = count(), Accounts = make_set(AccountName, 10), ErrorCodes = make_set(ErrorCode, 10), Verdicts = make_set(Verdict, 10), LastSeen = max(TimeGenerated)",
    "    by CallerIp, UserAgent",
    "| top 25 by Failures desc",
  ].join("\n");
}

const WORKSPACE_RESOURCE_TYPE = "microsoft.operationalinsights/workspaces";

function queryItem(name: string, title: string, query: string, visualization: "table" | "timechart") {
  return {
    type: 3,
    content: {
      version: "KqlItem/1.0",
      query,
      size: 0,
      title,
      timeContextFromParameter: "TimeRange",
      queryType: 0,
      resourceType: WORKSPACE_RESOURCE_TYPE,
      crossComponentResources: ["{Workspaces}"],
      visualization,
      ...(visualization === "table" ? { gridSettings: { filter: true } } : {}),
    },
    name,
  };
}

/** The workbook's serializedData, as an object. */
export function buildWorkbook(): Record<string, unknown> {
  return {
    version: "Notebook/1.0",
    items: [
      {
        type: 1,
        content: {
          json: [
            "## Storage auth failures (401/403)",
            "Failures from StorageBlobLogs, StorageQueueLogs, StorageTableLogs and StorageFileLogs, clustered by account, service, operation, status, error code and authentication type. " +
              "**Verdict** uses the same error-code table as the Storage Auth Triage engine: authentication, rbac, sas, network or policy.",
          ].join("\n\n"),
        },
        name: "title",
      },
      {
        type: 9,
        content: {
          version: "KqlParameterItem/1.0",
          parameters: [
            {
              id: "time-range",
              version: "KqlParameterItem/1.0",
              name: "TimeRange",
              label: "Time range",
              type: 4,
              isRequired: true,
              value: { durationMs: 86400000 },
              typeSettings: {
                selectableValues: [
                  3600000, 14400000, 43200000, 86400000, 259200000, 604800000, 2592000000,
                ].map((durationMs) => ({
                  durationMs,
                })),
                allowCustom: true,
              },
            },
            {
              id: "subscriptions",
              version: "KqlParameterItem/1.0",
              name: "Subscriptions",
              label: "Subscriptions",
              type: 6,
              isRequired: true,
              multiSelect: true,
              quote: "'",
              delimiter: ",",
              typeSettings: {
                additionalResourceOptions: ["value::all"],
                includeAll: false,
                showDefault: false,
              },
              value: ["value::all"],
            },
            {
              id: "workspaces",
              version: "KqlParameterItem/1.0",
              name: "Workspaces",
              label: "Log Analytics workspaces",
              type: 5,
              isRequired: true,
              multiSelect: true,
              quote: "'",
              delimiter: ",",
              query: `resources\n| where type =~ '${WORKSPACE_RESOURCE_TYPE}'\n| project id`,
              crossComponentResources: ["{Subscriptions}"],
              typeSettings: {
                resourceTypeFilter: { [WORKSPACE_RESOURCE_TYPE]: true },
                additionalResourceOptions: [],
                showDefault: false,
              },
              queryType: 1,
              resourceType: "microsoft.resourcegraph/resources",
              value: DEFAULT_WORKSPACES_PLACEHOLDER,
            },
          ],
          style: "pills",
          queryType: 0,
          resourceType: WORKSPACE_RESOURCE_TYPE,
        },
        name: "parameters",
      },
      queryItem("clustered-failures", "Clustered failures", clusteredFailuresKql(), "table"),
      queryItem("failures-over-time", "Failures over time by verdict", failuresOverTimeKql(), "timechart"),
      queryItem("top-callers", "Top failing callers (IP without port, user agent)", topCallersKql(), "table"),
    ],
    fallbackResourceIds: [],
    $schema: "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json",
  };
}

/** The exact text of the committed workbook file. */
export function renderWorkbookJson(): string {
  return `${JSON.stringify(buildWorkbook(), null, 2)}\n`;
}
