import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { verdictRuleFor } from "../../src/codes/error-codes.js";
import { generateTestCertificate, type TestCertificate } from "./test-tls.js";

/**
 * A local stand-in for the Logs Query API (POST /v1/workspaces/{id}/query), speaking the documented wire
 * format: tables of typed columns and rows, 200 + `error` PartialError for incomplete results, 204 for an
 * empty workspace, OneAPI errors for 4xx/5xx, Retry-After on 429.
 *
 * It holds raw table rows (each with the time it was "ingested") and evaluates the query shapes this
 * product generates, recognised by their `// auth-triage: <name>` marker, by re-implementing their meaning
 * in JS: the window literals are read from the query text, so the stand-in answers exactly the window the
 * client asked for. The KQL text itself is validated separately by the Kusto language service.
 */
export type RawRow = Record<string, unknown>;

export interface IngestedRow {
  table: string;
  /** ingestion_time() of the row, ISO. */
  ingestedAt: string;
  row: RawRow;
}

export type Fault =
  | { status: 429; retryAfterSeconds?: number }
  | { status: 500 | 502 | 503 | 504 }
  | { status: 204 }
  | { status: 400; code: string; message: string }
  | { status: 403; code: string; message: string };

export interface RecordedRequest {
  workspaceId: string;
  queryName: string;
  query: string;
  timespan: string | undefined;
  prefer: string | undefined;
  authorization: string | undefined;
  status: number;
  at: number;
}

export interface LogsApiStandIn {
  /** Endpoint to give the client, with /v1. */
  endpoint: string;
  certificate: TestCertificate;
  requests: RecordedRequest[];
  /** Rows of a workspace (replaces what it held). */
  setRows(workspaceId: string, rows: IngestedRow[]): void;
  /** Faults answered, in order, to the next requests to this workspace. */
  enqueueFaults(workspaceId: string, ...faults: Fault[]): void;
  /** A result with more rows than this comes back as 200 + PartialError, truncated (the 500 000-row cap, scaled down). */
  maxResultRows: number;
  close(): Promise<void>;
}

const STORAGE_TABLES = new Set([
  "StorageBlobLogs",
  "StorageQueueLogs",
  "StorageTableLogs",
  "StorageFileLogs",
]);

type Column = { name: string; type: string };
type ResultTable = { name: string; columns: Column[]; rows: unknown[][] };

class QueryShapeError extends Error {}

function literalMs(query: string, pattern: RegExp, what: string): number {
  const m = pattern.exec(query);
  if (!m?.[1]) throw new QueryShapeError(`stand-in: cannot find ${what} in the query`);
  return Date.parse(m[1]);
}

/** Kusto's datetime rendering: 7 fractional digits. */
function kustoDatetime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

/** tostring() of a whole-minute datetime, as bin(..., 1m) keys appear in a bag. */
function kustoMinute(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

function str(v: unknown): string {
  return v === undefined || v === null ? "" : String(v);
}

function toint(v: unknown): number | null {
  const n = Number.parseInt(str(v), 10);
  return Number.isNaN(n) ? null : n;
}

/** extract(regex, 1, s): the first capture or "". */
function extract(re: RegExp, s: string): string {
  return re.exec(s)?.[1] ?? "";
}

function urlDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

function callerIpOf(raw: string): string {
  const t = raw.replace(/^\s+|\s+$/g, "");
  if (t.startsWith("[") && t.indexOf("]") > 0) return t.slice(1, t.indexOf("]"));
  if ((t.match(/:/g) ?? []).length === 1) return t.slice(0, t.indexOf(":"));
  return t;
}

/** trim(@"\s+", s) (RE2's \s: ASCII white space) then substring(…, 0, 512), as the evidence columns do. */
function evidenceText(v: unknown): string {
  return str(v)
    .replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "")
    .slice(0, 512);
}

/** EvidenceText(v) of the query: only dynamic strings count. */
function dynamicText(v: unknown): string {
  return typeof v === "string" ? evidenceText(v) : "";
}

/** coalesce(o.name, o.Name) over a dynamic value. */
function dynamicField(o: unknown, name: string): unknown {
  if (!o || typeof o !== "object" || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  return r[name] ?? r[name[0]!.toUpperCase() + name.slice(1)];
}

/** AuthEntries of the query: an array as is, one object packed, JSON text parsed, anything else none. */
function authEntriesOf(details: unknown): unknown[] {
  let d = details;
  if (typeof d === "string") {
    try {
      d = JSON.parse(d) as unknown;
    } catch {
      return [];
    }
  }
  if (Array.isArray(d)) return d;
  return d && typeof d === "object" ? [d] : [];
}

const AUTH_FIELDS = [
  "action",
  "result",
  "reason",
  "roleAssignmentId",
  "roleDefinitionId",
  "denyAssignmentId",
] as const;

/** Top `cap` of counted values: count desc, then the sort key asc (Kusto's ordinal string order). */
function topByCount<T extends { count: number; sortKey: string }>(values: Iterable<T>, cap: number): T[] {
  return [...values]
    .sort((a, b) => b.count - a.count || (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    .slice(0, cap);
}

/** The Containers/OtherContainers, Principals and Authorization columns of one cluster. */
function remedyEvidenceCells(
  group: readonly Failure[],
  caps: { containers: number; principals: number; authorization: number },
): [string, number, string | null, string | null] {
  const containers = new Map<string, { name: string; count: number; sortKey: string }>();
  let other = 0;
  for (const f of group) {
    if (f.container === "") {
      other++;
      continue;
    }
    const c = containers.get(f.container) ?? { name: f.container, count: 0, sortKey: f.container };
    c.count++;
    containers.set(f.container, c);
  }
  const kept = topByCount(containers.values(), caps.containers);
  other += [...containers.values()].reduce((n, c) => n + c.count, 0) - kept.reduce((n, c) => n + c.count, 0);

  const principals = new Map<
    string,
    {
      objectId: string;
      appId: string;
      tenantId: string;
      upn: string;
      type: string;
      count: number;
      sortKey: string;
    }
  >();
  for (const f of group) {
    if (f.principalId === "") continue;
    const p = principals.get(f.principalId) ?? {
      objectId: f.principalId,
      appId: "",
      tenantId: "",
      upn: "",
      type: "",
      count: 0,
      sortKey: f.principalId,
    };
    p.count++;
    if (p.appId === "") p.appId = f.appId;
    if (p.tenantId === "") p.tenantId = f.tenantId;
    if (p.upn === "") p.upn = f.principalUpn;
    if (p.type === "") {
      for (const entry of f.authEntries) {
        const list = dynamicField(entry, "principals");
        for (const ap of Array.isArray(list) ? list : []) {
          const type = dynamicText(dynamicField(ap, "type"));
          if (type !== "" && dynamicText(dynamicField(ap, "id")).toLowerCase() === f.principalId)
            p.type ||= type;
        }
      }
    }
    principals.set(f.principalId, p);
  }
  const topPrincipals = topByCount(principals.values(), caps.principals).map(
    ({ sortKey: _sortKey, ...p }) => p,
  );

  const authorization = new Map<
    string,
    Record<string, string | number> & { count: number; sortKey: string }
  >();
  for (const f of group) {
    for (const entry of f.authEntries) {
      const values = AUTH_FIELDS.map((k) => dynamicText(dynamicField(entry, k)));
      if (values[0] === "" || values[1] === "") continue;
      const id = values.join("\u0001");
      const a = authorization.get(id) ?? {
        ...Object.fromEntries(AUTH_FIELDS.map((k, i) => [k, values[i]!])),
        count: 0,
        sortKey: id,
      };
      a.count++;
      authorization.set(id, a);
    }
  }
  const topAuthorization = topByCount(authorization.values(), caps.authorization).map(
    ({ sortKey: _sortKey, ...a }) => a,
  );
  return [
    JSON.stringify(Object.fromEntries(kept.map((c) => [c.name, c.count]))),
    other,
    topPrincipals.length > 0 ? JSON.stringify(topPrincipals) : null,
    topAuthorization.length > 0 ? JSON.stringify(topAuthorization) : null,
  ];
}

interface Failure {
  time: number;
  clusterId: string;
  key: string[];
  callerIp: string;
  userAgent: string;
  objectId: string;
  upn: string;
  keySlot: string;
  uri: string;
  objectKey: string;
  version: string;
  sasStart: string;
  sasExpiry: string;
  resourceId: string;
  container: string;
  principalId: string;
  appId: string;
  tenantId: string;
  principalUpn: string;
  authEntries: unknown[];
}

function timespanBounds(timespan: string | undefined): [number, number] {
  if (!timespan) return [-Infinity, Infinity];
  const [a, b] = timespan.split("/");
  return [Date.parse(a ?? ""), Date.parse(b ?? "")];
}

function evaluateFailureClusters(
  query: string,
  timespan: string | undefined,
  rows: IngestedRow[],
): ResultTable {
  const generatedAfter = literalMs(query, /TimeGenerated > datetime\(([^)]+)\)/, "the TimeGenerated bound");
  const ingestedAfter = literalMs(
    query,
    /ingestion_time\(\) > datetime\(([^)]+)\)/,
    "the ingestion lower bound",
  );
  const ingestedUntil = literalMs(
    query,
    /ingestion_time\(\) <= datetime\(([^)]+)\)/,
    "the ingestion upper bound",
  );
  const capOf = (re: RegExp) => Number(re.exec(query)?.[1] ?? NaN);
  const caps = {
    uris: capOf(/make_set_if\(Uri, isnotempty\(Uri\), (\d+)\)/),
    keys: capOf(/make_set_if\(ObjectKey, isnotempty\(ObjectKey\), (\d+)\)/),
    callers: capOf(/CallerRank <= (\d+)/),
    sas: capOf(/SasRank <= (\d+)/),
    versions: capOf(/VersionRank <= (\d+)/),
    containers: capOf(/ContainerRank <= (\d+)/),
    principals: capOf(/PrincipalRank <= (\d+)/),
    authorization: capOf(/AuthRank <= (\d+)/),
  };
  const [spanStart, spanEnd] = timespanBounds(timespan);
  const failures: Failure[] = [];
  let rowsInWindow = 0;
  for (const { table, ingestedAt, row } of rows) {
    if (!STORAGE_TABLES.has(table)) continue;
    const time = Date.parse(str(row.TimeGenerated));
    const ingested = Date.parse(ingestedAt);
    if (!(time > generatedAfter && time >= spanStart && time <= spanEnd)) continue;
    if (!(ingested > ingestedAfter && ingested <= ingestedUntil)) continue;
    rowsInWindow++;
    const status = toint(row.StatusCode);
    if (status !== 401 && status !== 403) continue;
    // The query's fallbacks: ServiceType from the table or resource id, AccountName from the resource id.
    const resourceId = str(row._ResourceId).toLowerCase();
    const type = str(row.Type) || table;
    const inferred = (name: string, table: string) =>
      type === table || resourceId.includes(`/${name}services`);
    const service = (
      str(row.ServiceType) ||
      ["blob", "queue", "table", "file"].find((name, i) => inferred(name, [...STORAGE_TABLES][i]!)) ||
      ""
    ).toLowerCase();
    const account =
      str(row.AccountName) || (/\/storageaccounts\/([^/]+)/i.exec(str(row._ResourceId))?.[1] ?? "");
    const key = [
      account,
      service,
      ...["OperationName", "StatusCode", "StatusText", "AuthenticationType"].map((c) => str(row[c])),
    ];
    const uri = str(row.Uri);
    failures.push({
      time,
      clusterId: key.join("|"),
      key,
      callerIp: callerIpOf(str(row.CallerIpAddress)),
      userAgent: unquote(str(row.UserAgentHeader)),
      objectId: str(row.RequesterObjectId),
      upn: str(row.RequesterUpn),
      keySlot: extract(/^\s*(key[12])\(/i, str(row.AuthenticationHash)).toLowerCase(),
      uri,
      objectKey: str(row.ObjectKey),
      version: str(row.OperationVersion),
      sasStart: urlDecode(extract(/[?&]st=([^&#]*)/, uri)),
      sasExpiry: urlDecode(extract(/[?&]se=([^&#]*)/, uri)),
      resourceId: extract(
        /^\s*(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.storage\/storageaccounts\/[^/]+)/i,
        str(row._ResourceId),
      ),
      container: ((seg) => (seg.indexOf("(") > 0 ? seg.slice(0, seg.indexOf("(")) : seg).slice(0, 512))(
        extract(/^\/*[^/]+\/+([^/]+)/, str(row.ObjectKey)),
      ),
      principalId: evidenceText(str(row.RequesterObjectId).toLowerCase()),
      appId: evidenceText(row.RequesterAppId),
      tenantId: evidenceText(row.RequesterTenantId),
      principalUpn: evidenceText(row.RequesterUpn),
      authEntries: authEntriesOf(row.AuthorizationDetails),
    });
  }
  const byCluster = new Map<string, Failure[]>();
  for (const f of failures) byCluster.set(f.clusterId, [...(byCluster.get(f.clusterId) ?? []), f]);
  const out: unknown[][] = [];
  for (const group of byCluster.values()) {
    const first = group[0]!;
    const times = group.map((f) => f.time);
    const distinct = (values: string[], cap: number) =>
      [...new Set(values.filter((v) => v !== ""))].slice(0, cap);
    const perMinute: Record<string, number> = {};
    for (const f of group) {
      const minute = kustoMinute(Math.floor(f.time / 60_000) * 60_000);
      perMinute[minute] = (perMinute[minute] ?? 0) + 1;
    }
    const callers = new Map<
      string,
      { f: Failure; upn: string; count: number; first: number; last: number }
    >();
    for (const f of group) {
      const id = [f.callerIp, f.userAgent, f.objectId, f.keySlot].join("\u0000");
      const c = callers.get(id) ?? { f, upn: "", count: 0, first: Infinity, last: -Infinity };
      c.count++;
      if (c.upn === "" && f.upn !== "") c.upn = f.upn;
      c.first = Math.min(c.first, f.time);
      c.last = Math.max(c.last, f.time);
      callers.set(id, c);
    }
    const topCallers = [...callers.values()]
      .sort(
        (a, b) =>
          b.count - a.count ||
          a.f.callerIp.localeCompare(b.f.callerIp) ||
          a.f.objectId.localeCompare(b.f.objectId) ||
          a.f.keySlot.localeCompare(b.f.keySlot) ||
          a.f.userAgent.localeCompare(b.f.userAgent),
      )
      .slice(0, caps.callers)
      .map((c) => ({
        ip: c.f.callerIp,
        userAgent: c.f.userAgent,
        requesterObjectId: c.f.objectId,
        requesterUpn: c.upn,
        keySlot: c.f.keySlot,
        count: c.count,
        firstSeen: kustoDatetime(c.first),
        lastSeen: kustoDatetime(c.last),
      }));
    const sas = new Map<
      string,
      { st: string; se: string; count: number; expired: number; notYetValid: number }
    >();
    for (const f of group) {
      if (f.sasStart === "" && f.sasExpiry === "") continue;
      const id = `${f.sasStart}\u0000${f.sasExpiry}`;
      const w = sas.get(id) ?? { st: f.sasStart, se: f.sasExpiry, count: 0, expired: 0, notYetValid: 0 };
      w.count++;
      const se = Date.parse(f.sasExpiry);
      const st = Date.parse(f.sasStart);
      if (f.sasExpiry !== "" && f.time > se) w.expired++;
      if (f.sasStart !== "" && f.time < st) w.notYetValid++;
      sas.set(id, w);
    }
    const rankedSas = [...sas.values()].sort(
      (a, b) => b.count - a.count || a.st.localeCompare(b.st) || a.se.localeCompare(b.se),
    );
    const sasWindows = rankedSas.slice(0, caps.sas);
    const sasOverflow = rankedSas.slice(caps.sas);
    if (sasOverflow.length > 0) {
      sasWindows.push({
        st: "",
        se: "",
        count: sasOverflow.reduce((n, w) => n + w.count, 0),
        expired: sasOverflow.reduce((n, w) => n + w.expired, 0),
        notYetValid: sasOverflow.reduce((n, w) => n + w.notYetValid, 0),
      });
    }
    const versionCounts = new Map<string, number>();
    for (const f of group) {
      const v = f.version === "" ? "(none)" : f.version;
      versionCounts.set(v, (versionCounts.get(v) ?? 0) + 1);
    }
    const rankedVersions = [...versionCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const versions: Record<string, number> = Object.fromEntries(rankedVersions.slice(0, caps.versions));
    const versionOverflow = rankedVersions.slice(caps.versions).reduce((n, [, c]) => n + c, 0);
    if (versionOverflow > 0) versions["(other)"] = versionOverflow;
    const [account, service, operation, statusCode, statusText, authType] = first.key as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    out.push([
      account,
      service,
      operation,
      statusCode,
      statusText,
      authType,
      group.length,
      kustoDatetime(Math.min(...times)),
      kustoDatetime(Math.max(...times)),
      JSON.stringify(perMinute),
      callers.size > 0 ? JSON.stringify(topCallers) : null,
      JSON.stringify(
        distinct(
          group.map((f) => f.uri),
          caps.uris,
        ),
      ),
      JSON.stringify(
        distinct(
          group.map((f) => f.objectKey),
          caps.keys,
        ),
      ),
      sasWindows.length > 0 ? JSON.stringify(sasWindows) : null,
      Object.keys(versions).length > 0 ? JSON.stringify(versions) : null,
      verdictRuleFor(statusText, authType, Number(statusCode)).decision,
      true,
      group.find((f) => f.resourceId !== "")?.resourceId ?? "",
      ...remedyEvidenceCells(group, caps),
      "cluster",
      null,
    ]);
  }
  out.sort((a, b) => Number(b[6]) - Number(a[6]));
  out.push([...Array.from({ length: 22 }, () => null), "totals", rowsInWindow]);
  const columns: Column[] = [
    ...["AccountName", "ServiceType", "OperationName", "StatusCode", "StatusText", "AuthenticationType"].map(
      (name) => ({
        name,
        type: "string",
      }),
    ),
    { name: "FailureCount", type: "long" },
    { name: "FirstSeen", type: "datetime" },
    { name: "LastSeen", type: "datetime" },
    { name: "PerMinute", type: "dynamic" },
    { name: "Callers", type: "dynamic" },
    { name: "SampleUris", type: "dynamic" },
    { name: "SampleObjectKeys", type: "dynamic" },
    { name: "SasWindows", type: "dynamic" },
    { name: "OperationVersions", type: "dynamic" },
    { name: "Decision", type: "string" },
    { name: "KnownCode", type: "bool" },
    { name: "ResourceId", type: "string" },
    { name: "Containers", type: "dynamic" },
    { name: "OtherContainers", type: "long" },
    { name: "Principals", type: "dynamic" },
    { name: "Authorization", type: "dynamic" },
    { name: "RowKind", type: "string" },
    { name: "RowsInWindow", type: "long" },
  ];
  return { name: "PrimaryResult", columns, rows: out };
}

const ACTIVITY_COLUMNS: Column[] = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "OperationNameValue", type: "string" },
  { name: "OperationName", type: "string" },
  { name: "ActivityStatusValue", type: "string" },
  { name: "ActivitySubstatusValue", type: "string" },
  { name: "CategoryValue", type: "string" },
  { name: "CorrelationId", type: "string" },
  { name: "EventDataId", type: "string" },
  { name: "OperationId", type: "string" },
  { name: "ResourceId", type: "string" },
  { name: "ResourceGroup", type: "string" },
  { name: "SubscriptionId", type: "string" },
  { name: "ResourceProviderValue", type: "string" },
  { name: "Caller", type: "string" },
  { name: "CallerIpAddress", type: "string" },
  { name: "Level", type: "string" },
  { name: "Properties_d", type: "dynamic" },
  { name: "Authorization_d", type: "dynamic" },
  { name: "Claims_d", type: "dynamic" },
];

/** accounts-with-rows: rows per account (lower case, from the resource id when empty) by TimeGenerated. */
function evaluateAccountsWithRows(
  query: string,
  timespan: string | undefined,
  rows: IngestedRow[],
): ResultTable {
  const from = literalMs(query, /TimeGenerated >= datetime\(([^)]+)\)/, "the accounts lower bound");
  const to = literalMs(query, /TimeGenerated < datetime\(([^)]+)\)/, "the accounts upper bound");
  const cap = Number(/\| take (\d+)/.exec(query)?.[1] ?? NaN);
  const [spanStart, spanEnd] = timespanBounds(timespan);
  const counts = new Map<string, number>();
  for (const { table, row } of rows) {
    if (!STORAGE_TABLES.has(table)) continue;
    const time = Date.parse(str(row.TimeGenerated));
    if (!(time >= from && time < to && time >= spanStart && time <= spanEnd)) continue;
    const account = (
      str(row.AccountName) ||
      (/\/storageaccounts\/([^/]+)/i.exec(str(row._ResourceId))?.[1] ?? "")
    ).toLowerCase();
    if (account === "") continue;
    counts.set(account, (counts.get(account) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    name: "PrimaryResult",
    columns: [
      { name: "Account", type: "string" },
      { name: "RowCount", type: "long" },
    ],
    rows: sorted.slice(0, cap).map(([account, n]) => [account, n]),
  };
}

function evaluateActivityChanges(query: string, rows: IngestedRow[]): ResultTable {
  const from = literalMs(query, /TimeGenerated > datetime\(([^)]+)\)/, "the activity lower bound");
  const to = literalMs(query, /TimeGenerated <= datetime\(([^)]+)\)/, "the activity upper bound");
  const providers = new Set(
    [...(/in \(("microsoft[^)]*)\)/.exec(query)?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]!),
  );
  const cap = Number(/\| take (\d+)/.exec(query)?.[1] ?? NaN);
  const selected = rows
    .filter((r) => r.table === "AzureActivity")
    .map((r) => r.row)
    .filter((row) => {
      const t = Date.parse(str(row.TimeGenerated));
      const op = str(row.OperationNameValue);
      return (
        t > from &&
        t <= to &&
        ["administrative", "policy"].includes(str(row.CategoryValue).toLowerCase()) &&
        providers.has((op.split("/")[0] ?? "").toLowerCase()) &&
        !op.toLowerCase().endsWith("/read")
      );
    })
    .sort((a, b) => Date.parse(str(a.TimeGenerated)) - Date.parse(str(b.TimeGenerated)))
    .slice(0, cap);
  return {
    name: "PrimaryResult",
    columns: ACTIVITY_COLUMNS,
    rows: selected.map((row) =>
      ACTIVITY_COLUMNS.map(({ name, type }) => {
        if (name === "TimeGenerated") return kustoDatetime(Date.parse(str(row.TimeGenerated)));
        if (name === "ResourceId") return str(row._ResourceId) || str(row.ResourceId);
        const v = row[name];
        if (type === "dynamic") return v === undefined || v === null ? null : JSON.stringify(v);
        return str(v);
      }),
    ),
  };
}

function evaluateRootCauseEvidence(query: string, rows: IngestedRow[]): ResultTable {
  const from = literalMs(query, /TimeGenerated > datetime\(([^)]+)\)/, "the evidence lower bound");
  const to = literalMs(query, /TimeGenerated <= datetime\(([^)]+)\)/, "the evidence upper bound");
  const accounts = new Set(
    [...(/tolower\(AccountName\) in \(([^)]*)\)/.exec(query)?.[1] ?? "").matchAll(/"([^"]+)"/g)].map(
      (m) => m[1]!,
    ),
  );
  const valueCap = Number(/ValueRank <= (\d+)/.exec(query)?.[1] ?? NaN);
  const binMs = Number(/bin\(TimeGenerated, (\d+)m\)/.exec(query)?.[1] ?? NaN) * 60_000;
  type Value = {
    account: string;
    caller: string;
    outcome: string;
    dimension: string;
    value: string;
    count: number;
    first: number;
    last: number;
    notYetValid: number;
    maxLead: number | null;
    expired: number;
    maxExpiredBy: number | null;
    stMax: number | null;
    seMax: number | null;
  };
  const values = new Map<string, Value>();
  const bins = new Map<
    string,
    { account: string; caller: string; bin: number; ok: number; failed: number }
  >();
  const accountIds = new Map<string, string>();
  const maxNullable = (a: number | null, b: number | null) =>
    a === null ? b : b === null ? a : Math.max(a, b);
  for (const { table, row } of rows) {
    if (!STORAGE_TABLES.has(table)) continue;
    const t = Date.parse(str(row.TimeGenerated));
    if (!(t > from && t <= to)) continue;
    const account = str(row.AccountName).toLowerCase();
    if (!accounts.has(account)) continue;
    const status = toint(row.StatusCode);
    if (status === null) continue;
    const hash = str(row.AuthenticationHash);
    const ip = callerIpOf(str(row.CallerIpAddress));
    const slot = extract(/^\s*(key[12])\(/i, hash).toLowerCase();
    const keyHash = extract(/^\s*key[12]\(([0-9a-f]+)\)/i, hash).toUpperCase();
    const sasHash = extract(/SasSignature\(([0-9A-Fa-f]+)\)/, hash).toUpperCase();
    const authType = str(row.AuthenticationType);
    const oid = str(row.RequesterObjectId);
    const outcome = status === 401 || status === 403 ? `${status}|${str(row.StatusText)}|${authType}` : "ok";
    const caller = oid
      ? `oid:${oid.toLowerCase()}`
      : ip
        ? `ip:${ip}`
        : sasHash
          ? `sas:${sasHash}`
          : slot
            ? `key:${slot}`
            : "unknown";
    const credential = sasHash
      ? `sas:${sasHash}`
      : authType.toLowerCase() === "accountkey" && keyHash
        ? `${slot}(${keyHash})`
        : "";
    const ua = unquote(str(row.UserAgentHeader).trim()).slice(0, 200);
    const version = str(row.OperationVersion).trim();
    const uri = str(row.Uri);
    const stRaw = extract(/[?&]st=([^&#]+)/i, uri);
    const seRaw = extract(/[?&]se=([^&#]+)/i, uri);
    const st = stRaw ? Date.parse(urlDecode(stRaw)) : NaN;
    const se = seRaw ? Date.parse(urlDecode(seRaw)) : NaN;
    const dims: Array<[string, string]> = [["all", ""]];
    if (ua) dims.push(["userAgent", ua]);
    if (version) dims.push(["operationVersion", version]);
    if (slot) dims.push(["keySlot", slot]);
    if (authType) dims.push(["authType", authType]);
    if (ip && !caller.startsWith("ip:")) dims.push(["callerIp", ip]);
    if (credential) dims.push(["credential", credential]);
    for (const [dimension, value] of dims) {
      const id = [account, caller, outcome, dimension, value].join("\u0000");
      const v = values.get(id) ?? {
        account,
        caller,
        outcome,
        dimension,
        value,
        count: 0,
        first: Infinity,
        last: -Infinity,
        notYetValid: 0,
        maxLead: null,
        expired: 0,
        maxExpiredBy: null,
        stMax: null,
        seMax: null,
      };
      v.count++;
      v.first = Math.min(v.first, t);
      v.last = Math.max(v.last, t);
      if (dimension === "credential" && value.startsWith("sas:")) {
        if (!Number.isNaN(st)) {
          v.stMax = maxNullable(v.stMax, st);
          if (st > t) {
            v.notYetValid++;
            v.maxLead = maxNullable(v.maxLead, st - t);
          }
        }
        if (!Number.isNaN(se)) {
          v.seMax = maxNullable(v.seMax, se);
          if (se < t) {
            v.expired++;
            v.maxExpiredBy = maxNullable(v.maxExpiredBy, t - se);
          }
        }
      }
      values.set(id, v);
    }
    const bin = Math.floor(t / binMs) * binMs;
    const binId = [account, caller, bin].join("\u0000");
    const b = bins.get(binId) ?? { account, caller, bin, ok: 0, failed: 0 };
    if (outcome === "ok") b.ok++;
    else b.failed++;
    bins.set(binId, b);
    const accountId =
      /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.storage\/storageaccounts\/[^/]+)/i.exec(
        str(row._ResourceId),
      )?.[1];
    if (accountId && !accountIds.has(account)) accountIds.set(account, accountId);
  }
  // Keep the busiest failing callers per (account, challenge) and the busiest never-failing callers per
  // account (ties by caller, ordinal); the others are dropped and counted per account.
  const failingCap = Number(/FailingRank <= (\d+)/.exec(query)?.[1] ?? NaN);
  const okCap = Number(/OkRank <= (\d+)/.exec(query)?.[1] ?? NaN);
  const ordinal = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const totals = [...values.values()].filter((v) => v.dimension === "all");
  const keptCallers = new Set<string>();
  const callerKey = (account: string, caller: string) => `${account}\u0000${caller}`;
  const failingGroups = new Map<string, Value[]>();
  for (const v of totals.filter((t) => t.outcome !== "ok")) {
    const g = `${v.account}\u0000${v.outcome}`;
    failingGroups.set(g, [...(failingGroups.get(g) ?? []), v]);
  }
  for (const group of failingGroups.values())
    group
      .sort((a, b) => b.count - a.count || ordinal(a.caller, b.caller))
      .slice(0, failingCap)
      .forEach((v) => keptCallers.add(callerKey(v.account, v.caller)));
  const everFailed = new Set(
    totals.filter((t) => t.outcome !== "ok").map((t) => callerKey(t.account, t.caller)),
  );
  const okGroups = new Map<string, Value[]>();
  for (const v of totals.filter((t) => t.outcome === "ok" && !everFailed.has(callerKey(t.account, t.caller))))
    okGroups.set(v.account, [...(okGroups.get(v.account) ?? []), v]);
  for (const group of okGroups.values())
    group
      .sort((a, b) => b.count - a.count || ordinal(a.caller, b.caller))
      .slice(0, okCap)
      .forEach((v) => keptCallers.add(callerKey(v.account, v.caller)));
  const droppedPerAccount = new Map<string, Set<string>>();
  for (const [id, v] of values) {
    if (keptCallers.has(callerKey(v.account, v.caller))) continue;
    values.delete(id);
    droppedPerAccount.set(v.account, (droppedPerAccount.get(v.account) ?? new Set()).add(v.caller));
  }
  for (const [id, b] of bins) if (!keptCallers.has(callerKey(b.account, b.caller))) bins.delete(id);
  // Fold values beyond the cap per (account, caller, outcome, dimension), largest kept.
  const groups = new Map<string, Value[]>();
  for (const v of values.values()) {
    const g = [v.account, v.caller, v.outcome, v.dimension].join("\u0000");
    groups.set(g, [...(groups.get(g) ?? []), v]);
  }
  const out: unknown[][] = [];
  const columns: Column[] = [
    { name: "Account", type: "string" },
    { name: "Caller", type: "string" },
    { name: "Outcome", type: "string" },
    { name: "Dimension", type: "string" },
    { name: "Value", type: "string" },
    { name: "RecordCount", type: "long" },
    { name: "FirstSeen", type: "datetime" },
    { name: "LastSeen", type: "datetime" },
    { name: "NotYetValid", type: "long" },
    { name: "MaxStartLeadMs", type: "real" },
    { name: "Expired", type: "long" },
    { name: "MaxExpiredByMs", type: "real" },
    { name: "SasStartMax", type: "datetime" },
    { name: "SasExpiryMax", type: "datetime" },
    { name: "Folded", type: "long" },
    { name: "Kind", type: "string" },
    { name: "Ok", type: "long" },
    { name: "Failed", type: "long" },
    { name: "BinStart", type: "datetime" },
    { name: "AccountResourceId", type: "string" },
    { name: "DroppedCallers", type: "long" },
  ];
  const dt = (ms: number | null) => (ms === null ? null : kustoDatetime(ms));
  for (const group of groups.values()) {
    group.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    const kept = group.slice(0, valueCap);
    const folded = group.slice(valueCap);
    if (folded.length > 0) {
      kept.push(
        folded.reduce(
          (acc, v) => ({
            ...acc,
            count: acc.count + v.count,
            first: Math.min(acc.first, v.first),
            last: Math.max(acc.last, v.last),
            notYetValid: acc.notYetValid + v.notYetValid,
            maxLead: maxNullable(acc.maxLead, v.maxLead),
            expired: acc.expired + v.expired,
            maxExpiredBy: maxNullable(acc.maxExpiredBy, v.maxExpiredBy),
            stMax: maxNullable(acc.stMax, v.stMax),
            seMax: maxNullable(acc.seMax, v.seMax),
          }),
          {
            ...folded[0]!,
            value: "(other)",
            count: 0,
            first: Infinity,
            last: -Infinity,
            notYetValid: 0,
            maxLead: null,
            expired: 0,
            maxExpiredBy: null,
            stMax: null,
            seMax: null,
          },
        ),
      );
    }
    for (const v of kept) {
      const foldedCount = v.value === "(other)" ? v.count : 0;
      out.push([
        v.account,
        v.caller,
        v.outcome,
        v.dimension,
        v.value,
        v.count,
        dt(v.first),
        dt(v.last),
        v.notYetValid,
        v.maxLead,
        v.expired,
        v.maxExpiredBy,
        dt(v.stMax),
        dt(v.seMax),
        foldedCount,
        "value",
        null,
        null,
        null,
        null,
      ]);
    }
  }
  for (const b of bins.values()) {
    out.push([
      b.account,
      b.caller,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      "bin",
      b.ok,
      b.failed,
      dt(b.bin),
      null,
    ]);
  }
  for (const [account, id] of accountIds) {
    out.push([
      account,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      "account",
      null,
      null,
      null,
      id,
    ]);
  }
  for (const row of out) row.push(null);
  for (const [account, callers] of droppedPerAccount) {
    const row: unknown[] = columns.map(() => null);
    row[0] = account;
    row[columns.findIndex((c) => c.name === "Kind")] = "dropped";
    row[columns.length - 1] = callers.size;
    out.push(row);
  }
  return { name: "PrimaryResult", columns, rows: out };
}

function oneApiError(code: string, message: string): string {
  return JSON.stringify({ error: { code, message, innererror: { code, message } } });
}

export async function startLogsApiStandIn(): Promise<LogsApiStandIn> {
  const certificate = generateTestCertificate();
  const rowsByWorkspace = new Map<string, IngestedRow[]>();
  const faults = new Map<string, Fault[]>();
  const requests: RecordedRequest[] = [];
  const state = { maxResultRows: 500_000 };

  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const m = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(req.url ?? "");
      const record: RecordedRequest = {
        workspaceId: m?.[1] ?? "",
        queryName: "",
        query: "",
        timespan: undefined,
        prefer: typeof req.headers.prefer === "string" ? req.headers.prefer : undefined,
        authorization: req.headers.authorization,
        status: 0,
        at: Date.now(),
      };
      requests.push(record);
      const send = (status: number, body?: string, headers: Record<string, string> = {}) => {
        record.status = status;
        res.writeHead(
          status,
          body ? { "content-type": "application/json; charset=utf-8", ...headers } : headers,
        );
        res.end(body);
      };
      if (req.method !== "POST" || !m)
        return send(404, oneApiError("PathNotFoundError", `no route ${req.url}`));
      if (!req.headers.authorization?.startsWith("Bearer ")) {
        return send(401, oneApiError("AuthorizationRequiredError", "Valid authentication was not provided"));
      }
      let body: { query?: string; timespan?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
      } catch {
        return send(400, oneApiError("BadArgumentError", "The request body is not valid JSON"));
      }
      record.query = body.query ?? "";
      record.timespan = body.timespan;
      record.queryName = /^\/\/ auth-triage: (\S+)/.exec(record.query)?.[1] ?? "";
      const fault = faults.get(record.workspaceId)?.shift();
      if (fault) {
        if (fault.status === 204) return send(204);
        if (fault.status === 429) {
          return send(
            429,
            oneApiError("ThrottledError", "Too many requests"),
            fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {},
          );
        }
        if (fault.status === 400 || fault.status === 403)
          return send(fault.status, oneApiError(fault.code, fault.message));
        if (fault.status === 504)
          return send(504, oneApiError("GatewayTimeout", "The query exceeded its time limit"));
        return send(fault.status, oneApiError("ServiceError", "The service is unavailable"));
      }
      const rows = rowsByWorkspace.get(record.workspaceId) ?? [];
      let table: ResultTable;
      try {
        if (record.queryName === "failure-clusters")
          table = evaluateFailureClusters(record.query, body.timespan, rows);
        else if (record.queryName === "activity-changes") table = evaluateActivityChanges(record.query, rows);
        else if (record.queryName === "root-cause-evidence")
          table = evaluateRootCauseEvidence(record.query, rows);
        else if (record.queryName === "accounts-with-rows")
          table = evaluateAccountsWithRows(record.query, body.timespan, rows);
        else throw new QueryShapeError(`stand-in does not know the query shape '${record.queryName}'`);
      } catch (err) {
        if (err instanceof QueryShapeError) return send(400, oneApiError("BadArgumentError", err.message));
        throw err;
      }
      if (table.rows.length > state.maxResultRows) {
        return send(
          200,
          JSON.stringify({
            tables: [{ ...table, rows: table.rows.slice(0, state.maxResultRows) }],
            error: {
              code: "PartialError",
              message: "There were some errors when processing your query.",
              details: [
                {
                  code: "EngineError",
                  message: "Query result set has exceeded the internal record count limit",
                  innererror: { code: "-2133196797", message: "E_QUERY_RESULT_SET_TOO_LARGE" },
                },
              ],
            },
          }),
        );
      }
      return send(200, JSON.stringify({ tables: [table] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}/v1`,
    certificate,
    requests,
    setRows: (workspaceId, rows) => rowsByWorkspace.set(workspaceId, rows),
    enqueueFaults: (workspaceId, ...f) => faults.set(workspaceId, [...(faults.get(workspaceId) ?? []), ...f]),
    get maxResultRows() {
      return state.maxResultRows;
    },
    set maxResultRows(n: number) {
      state.maxResultRows = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
