import { z } from "zod";
import type { RejectedRecord } from "../../engine/contracts.js";
import type { ActivityEvent } from "../../model/activity.js";
import { activityEventFromLogAnalyticsRow } from "../activity-records.js";
import type {
  AuthorizationObservation,
  CallerSummary,
  ClusterPartial,
  PrincipalObservation,
  RemedyEvidence,
  SasWindowObservation,
} from "../../model/incident.js";
import { mergeEvidence } from "../../remedy/evidence.js";
import { SERVICE_TYPES, type ServiceType } from "../../model/storage-request.js";
import { redactUri, sanitizeLogValue } from "../../redact.js";
import { DEFAULT_PARTIAL_CAPS, type PartialCaps } from "./caps.js";
import { mergeSamples, mergeSasWindows, mergeVersions } from "../../cluster/aggregator.js";
import { sortCallers } from "../../cluster/top-callers.js";
import { addFailures, sumSeries, type FailureSeries } from "../../cluster/failure-series.js";

/**
 * Turns Logs API result tables into the engine's types. Every row is validated with zod; a bad row is
 * rejected with the workspace, query, row number and field, and the other rows still count.
 */

/** A result table as @azure/monitor-query-logs returns it (datetime cells already Date, dynamic parsed). */
export interface ResultTable {
  name?: string;
  columnDescriptors: ReadonlyArray<{ name?: string; type?: string }>;
  rows: ReadonlyArray<ReadonlyArray<unknown>>;
}

/** Where a result came from, used in rejection reports. */
export interface ResultOrigin {
  workspaceId: string;
  query: string;
}

export interface Converted<T> {
  items: T[];
  rejected: RejectedRecord[];
}

/**
 * Kusto renders datetimes with up to 7 fractional digits; JS keeps milliseconds. Truncating (not rounding)
 * matches how the local parsers read the same timestamps.
 */
export function kustoTimeMs(value: Date | string): number {
  if (value instanceof Date) return value.getTime();
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return Number.NaN;
  const fraction = (m[2] ?? "").slice(0, 3).padEnd(3, "0");
  return Date.parse(`${m[1]}.${fraction}${m[3] ?? "Z"}`);
}

const kustoTime = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const ms = kustoTimeMs(v);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `not a datetime: ${String(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return ms;
});

/** A count cell: long arrives as a number, but a string or bigint-ish value is tolerated. */
const kustoCount = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) {
    ctx.addIssue({ code: "custom", message: `not a count: ${String(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return n;
});

/** Kusto strings are never null, but empty means "not logged". */
const optionalText = z
  .union([z.string(), z.null(), z.undefined()])
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : v));

const serviceType = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s): s is ServiceType => (SERVICE_TYPES as readonly string[]).includes(s), {
    message: `ServiceType must be one of ${SERVICE_TYPES.join(", ")}`,
  });

const statusCode = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : Number.parseInt(v, 10);
  if (n !== 401 && n !== 403) {
    ctx.addIssue({ code: "custom", message: `StatusCode must be 401 or 403, got ${String(v).slice(0, 20)}` });
    return z.NEVER;
  }
  return n;
});

/**
 * Dynamic cells the SDK parsed; an unmatched left-outer join leaves them null. Normalised before the
 * array check so that a bad item is reported by its path (`Principals.0.count`), not as the whole cell.
 */
const dynamicArray = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === null || v === undefined || v === "" ? [] : v), z.array(item));

const callerCell = z.object({
  ip: optionalText,
  userAgent: optionalText,
  requesterObjectId: optionalText,
  requesterUpn: optionalText,
  keySlot: optionalText.refine((v) => v === undefined || v === "key1" || v === "key2", {
    message: "keySlot must be key1 or key2",
  }),
  count: kustoCount,
  firstSeen: kustoTime,
  lastSeen: kustoTime,
});

const sasWindowCell = z.object({
  st: optionalText,
  se: optionalText,
  count: kustoCount,
  expired: kustoCount,
  notYetValid: kustoCount,
});

const countBag = z
  .union([z.record(z.string(), kustoCount), z.null(), z.undefined(), z.literal("")])
  .transform((v) => (v && typeof v === "object" ? v : {}));

/** Evidence cells: bag_pack always writes every key, but a missing key is tolerated as "not logged". */
const principalCell = z.object({
  objectId: z.string().min(1),
  appId: optionalText.optional(),
  tenantId: optionalText.optional(),
  upn: optionalText.optional(),
  type: optionalText.optional(),
  count: kustoCount,
});

const authorizationCell = z.object({
  action: z.string().min(1),
  result: z.string().min(1),
  reason: optionalText.optional(),
  roleAssignmentId: optionalText.optional(),
  roleDefinitionId: optionalText.optional(),
  denyAssignmentId: optionalText.optional(),
  count: kustoCount,
});

/** A count that an unmatched left-outer join leaves null (no failures of that kind): zero. */
const optionalCount = z
  .union([kustoCount, z.null(), z.undefined(), z.literal("")])
  .transform((v) => (typeof v === "number" ? v : 0));

export const FailureClusterRowSchema = z.object({
  AccountName: z.string().min(1),
  ServiceType: serviceType,
  OperationName: z.string().min(1),
  StatusCode: statusCode,
  StatusText: z.string(),
  AuthenticationType: z.string(),
  FailureCount: kustoCount,
  FirstSeen: kustoTime,
  LastSeen: kustoTime,
  PerMinute: countBag,
  Callers: dynamicArray(callerCell),
  SampleUris: dynamicArray(z.string()),
  SampleObjectKeys: dynamicArray(z.string()),
  SasWindows: dynamicArray(sasWindowCell),
  OperationVersions: countBag,
  // Evidence columns: a result without them (an older query shape) still converts, with empty evidence.
  ResourceId: optionalText.optional(),
  Containers: countBag.optional(),
  OtherContainers: optionalCount.optional(),
  Principals: dynamicArray(principalCell).optional(),
  Authorization: dynamicArray(authorizationCell).optional(),
});

export type FailureClusterRow = z.infer<typeof FailureClusterRowSchema>;

/** Column name → cell, so a result can add or reorder columns without breaking parsing. */
export function rowObjects(table: ResultTable): Array<Record<string, unknown>> {
  const names = table.columnDescriptors.map((c, i) => c.name ?? `Column${i}`);
  return table.rows.map((row) => {
    const record: Record<string, unknown> = {};
    names.forEach((name, i) => {
      record[name] = row[i];
    });
    return record;
  });
}

function rejection(origin: ResultOrigin, rowIndex: number, error: z.ZodError): RejectedRecord {
  const issue = error.issues[0];
  return {
    file: `workspace ${origin.workspaceId} (${origin.query})`,
    line: rowIndex + 1,
    field: issue ? issue.path.join(".") || "(row)" : "(row)",
    reason: issue ? redactUri(issue.message) : "invalid row",
  };
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** One validated cluster row → the ClusterPartial the local engine would build from the same failures. */
export function clusterPartialFromRow(
  row: FailureClusterRow,
  caps: PartialCaps = DEFAULT_PARTIAL_CAPS,
): ClusterPartial {
  const series: FailureSeries = { perMinute: new Map() };
  for (const [minute, n] of Object.entries(row.PerMinute)) {
    const ms = kustoTimeMs(minute);
    if (!Number.isNaN(ms)) addFailures(series, ms, n);
  }
  const callers: CallerSummary[] = sortCallers(
    row.Callers.map((c) =>
      definedOnly({
        ip: c.ip,
        userAgent: c.userAgent === undefined ? undefined : sanitizeLogValue(c.userAgent),
        requesterObjectId: c.requesterObjectId,
        requesterUpn: c.requesterUpn === undefined ? undefined : sanitizeLogValue(c.requesterUpn),
        keySlot: c.keySlot as CallerSummary["keySlot"],
        count: c.count,
        firstSeen: new Date(c.firstSeen).toISOString(),
        lastSeen: new Date(c.lastSeen).toISOString(),
      }),
    ),
  ).slice(0, caps.topCallers);
  const sasWindows: SasWindowObservation[] = mergeSasWindows(
    [
      row.SasWindows.map((w) =>
        definedOnly({ st: w.st, se: w.se, count: w.count, expired: w.expired, notYetValid: w.notYetValid }),
      ),
    ],
    caps.sasWindows,
  );
  const evidence: RemedyEvidence = {
    containers: row.Containers ?? {},
    otherContainers: row.OtherContainers ?? 0,
    principals: (row.Principals ?? []).map((p) => definedOnly<PrincipalObservation>({ ...p })),
    authorization: (row.Authorization ?? []).map((a) => definedOnly<AuthorizationObservation>({ ...a })),
  };
  if (row.ResourceId) evidence.resourceId = row.ResourceId;
  return {
    key: {
      account: row.AccountName,
      service: row.ServiceType as ServiceType,
      operation: row.OperationName,
      statusCode: row.StatusCode,
      errorCode: row.StatusText,
      authType: row.AuthenticationType,
    },
    count: row.FailureCount,
    firstSeenMs: row.FirstSeen,
    lastSeenMs: row.LastSeen,
    ...sumSeries([series]),
    callers,
    sampleUris: mergeSamples([row.SampleUris.map(sanitizeLogValue)], caps.sampleUris),
    sampleObjectKeys: mergeSamples([row.SampleObjectKeys.map(sanitizeLogValue)], caps.sampleObjectKeys),
    sasWindows,
    operationVersions: mergeVersions([row.OperationVersions], caps.operationVersions),
    // Through the one merge, so caps and order are the local engine's whatever the query returned.
    remedyEvidence: mergeEvidence([evidence])!,
  };
}

export function clusterPartialsFromTable(
  table: ResultTable,
  origin: ResultOrigin,
  caps: PartialCaps = DEFAULT_PARTIAL_CAPS,
): Converted<ClusterPartial> & { rowsInWindow: number } {
  const items: ClusterPartial[] = [];
  const rejected: RejectedRecord[] = [];
  let rowsInWindow = 0;
  rowObjects(table).forEach((record, i) => {
    if (record.RowKind === "totals") {
      const n = Number(record.RowsInWindow);
      if (Number.isInteger(n) && n >= 0) rowsInWindow += n;
      else
        rejected.push({
          ...rejection(origin, i, new z.ZodError([])),
          field: "RowsInWindow",
          reason: "not a count",
        });
      return;
    }
    const parsed = FailureClusterRowSchema.safeParse(record);
    if (parsed.success) items.push(clusterPartialFromRow(parsed.data, caps));
    else rejected.push(rejection(origin, i, parsed.error));
  });
  return { items, rejected, rowsInWindow };
}

/**
 * AzureActivity rows → ActivityEvent with the file readers' own row mapping
 * (src/collect/activity-records.ts), so exported and queried activity give identical events. The SDK hands
 * datetimes over as Date and dynamic columns parsed; the mapping takes the export forms (text, objects).
 */
export function activityEventsFromTable(table: ResultTable, origin: ResultOrigin): Converted<ActivityEvent> {
  const items: ActivityEvent[] = [];
  const rejected: RejectedRecord[] = [];
  const sink = { reject: (r: RejectedRecord) => rejected.push({ ...r, reason: redactUri(r.reason) }) };
  const file = `workspace ${origin.workspaceId} (${origin.query})`;
  rowObjects(table).forEach((record, i) => {
    const asExported: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      if (v === null || v === undefined) continue;
      asExported[k] = v instanceof Date ? v.toISOString() : v;
    }
    const event = activityEventFromLogAnalyticsRow(asExported, { file, line: i + 1 }, sink);
    if (event) items.push(event);
  });
  return { items, rejected };
}

const AccountRowSchema = z.object({ Account: z.string().min(1), RowCount: kustoCount });

/** The accounts-with-rows answer: lower-case account → rows in the window; a bad row is rejected. */
export function accountsWithRowsFromTable(
  table: ResultTable,
  origin: ResultOrigin,
): Converted<{ account: string; rows: number }> {
  const items: Array<{ account: string; rows: number }> = [];
  const rejected: RejectedRecord[] = [];
  rowObjects(table).forEach((record, i) => {
    const parsed = AccountRowSchema.safeParse(record);
    if (parsed.success)
      items.push({ account: parsed.data.Account.toLowerCase(), rows: parsed.data.RowCount });
    else rejected.push(rejection(origin, i, parsed.error));
  });
  return { items, rejected };
}
