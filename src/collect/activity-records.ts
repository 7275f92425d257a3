import { z } from "zod";
import type { RejectionSink } from "../engine/contracts.js";
import type { ActivityEvent } from "../model/activity.js";
import { rejectAt, rejectZod, type RecordLocation } from "./record-location.js";
import { parseDynamicObject, parseLoggedTime, text } from "./values.js";

const optionalText = z.union([z.string(), z.number(), z.boolean()]).nullish();

/** An AzureActivity row (Log Analytics column names); dynamic columns as objects or JSON text. */
export const logAnalyticsActivityRowSchema = z.object({
  TimeGenerated: z.string(),
  OperationNameValue: optionalText,
  OperationName: optionalText,
  ActivityStatusValue: optionalText,
  ActivityStatus: optionalText,
  ActivitySubstatusValue: optionalText,
  ActivitySubstatus: optionalText,
  CategoryValue: optionalText,
  Category: optionalText,
  CorrelationId: optionalText,
  EventDataId: optionalText,
  OperationId: optionalText,
  ResourceId: optionalText,
  _ResourceId: optionalText,
  ResourceGroup: optionalText,
  SubscriptionId: optionalText,
  ResourceProviderValue: optionalText,
  ResourceProvider: optionalText,
  Caller: optionalText,
  CallerIpAddress: optionalText,
  Level: optionalText,
  Properties: z.unknown().optional(),
  Properties_d: z.unknown().optional(),
  Authorization: z.unknown().optional(),
  Authorization_d: z.unknown().optional(),
  Claims: z.unknown().optional(),
  Claims_d: z.unknown().optional(),
});

/** An archived activity-log record (`insights-activity-logs` JSON Lines). */
export const archiveActivityRecordSchema = z.object({
  time: z.string(),
  resourceId: z.string(),
  operationName: z.string(),
  category: optionalText,
  resultType: z.union([z.string(), z.number()]),
  resultSignature: optionalText,
  correlationId: optionalText,
  eventDataId: optionalText,
  operationId: optionalText,
  caller: optionalText,
  callerIpAddress: optionalText,
  level: optionalText,
  identity: z.object({ authorization: z.unknown().optional(), claims: z.unknown().optional() }).nullish(),
  properties: z.unknown().optional(),
});

/** `{ value, localizedValue }`, as the Activity Log API writes names and statuses; or plain text. */
const localizable = z
  .union([z.string(), z.object({ value: optionalText, localizedValue: optionalText }).passthrough()])
  .nullish();

/**
 * An event as the Activity Log API returns it: what `az monitor activity-log list` prints (a JSON array),
 * the way to read the activity log without a workspace or an archive.
 */
export const restActivityEventSchema = z.object({
  eventTimestamp: z.string(),
  operationName: localizable,
  status: localizable,
  subStatus: localizable,
  category: localizable,
  resourceId: optionalText,
  resourceGroupName: optionalText,
  subscriptionId: optionalText,
  resourceProviderName: localizable,
  correlationId: optionalText,
  eventDataId: optionalText,
  operationId: optionalText,
  caller: optionalText,
  level: optionalText,
  httpRequest: z.object({ clientIpAddress: optionalText }).passthrough().nullish(),
  authorization: z.unknown().optional(),
  claims: z.unknown().optional(),
  properties: z.unknown().optional(),
});

/** The event's time, or undefined (and the record rejected, naming `field`) when it is not a date. */
function timeOf(value: string, field: string, at: RecordLocation, sink: RejectionSink): number | undefined {
  const timeMs = parseLoggedTime(value);
  if (!Number.isNaN(timeMs)) return timeMs;
  rejectAt(sink, at, field, `not a date: ${JSON.stringify(value.slice(0, 40))}`);
  return undefined;
}

/** `/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/…` parts. */
function resourceIdParts(id: string): { subscriptionId?: string; resourceGroup?: string; provider?: string } {
  const parts = id.split("/");
  const out: { subscriptionId?: string; resourceGroup?: string; provider?: string } = {};
  for (let i = 0; i + 1 < parts.length; i++) {
    const p = parts[i]!.toLowerCase();
    const next = parts[i + 1]!;
    if (!next) continue;
    if (p === "subscriptions" && out.subscriptionId === undefined) out.subscriptionId = next;
    else if (p === "resourcegroups" && out.resourceGroup === undefined) out.resourceGroup = next;
    else if (p === "providers" && out.provider === undefined) out.provider = next;
  }
  return out;
}

function set<K extends keyof ActivityEvent>(e: ActivityEvent, key: K, v: ActivityEvent[K] | undefined): void {
  if (v !== undefined) e[key] = v;
}

export function activityEventFromLogAnalyticsRow(
  raw: unknown,
  at: RecordLocation,
  sink: RejectionSink,
): ActivityEvent | undefined {
  const parsed = logAnalyticsActivityRowSchema.safeParse(raw);
  if (!parsed.success) {
    rejectZod(sink, at, raw, parsed.error);
    return undefined;
  }
  const row = parsed.data;
  const timeMs = timeOf(row.TimeGenerated, "TimeGenerated", at, sink);
  if (timeMs === undefined) return undefined;
  const opValue = text(row.OperationNameValue);
  const operationName = opValue ?? text(row.OperationName);
  if (!operationName) {
    rejectAt(sink, at, "OperationNameValue", "missing required field");
    return undefined;
  }
  const status = text(row.ActivityStatusValue) ?? text(row.ActivityStatus);
  if (!status) {
    rejectAt(sink, at, "ActivityStatusValue", "missing required field");
    return undefined;
  }
  const resourceId = text(row._ResourceId) ?? text(row.ResourceId);
  if (!resourceId) {
    rejectAt(sink, at, "_ResourceId", "missing required field");
    return undefined;
  }
  const parts = resourceIdParts(resourceId);
  const e: ActivityEvent = { timeMs, operationName, status, resourceId };
  if (opValue) set(e, "operationDisplayName", text(row.OperationName));
  set(e, "subStatus", text(row.ActivitySubstatusValue) ?? text(row.ActivitySubstatus));
  set(e, "category", text(row.CategoryValue) ?? text(row.Category));
  set(e, "correlationId", text(row.CorrelationId));
  set(e, "eventDataId", text(row.EventDataId));
  set(e, "operationId", text(row.OperationId));
  set(e, "resourceGroup", text(row.ResourceGroup) ?? parts.resourceGroup);
  set(e, "subscriptionId", text(row.SubscriptionId) ?? parts.subscriptionId);
  set(e, "resourceProvider", text(row.ResourceProviderValue) ?? text(row.ResourceProvider) ?? parts.provider);
  set(e, "caller", text(row.Caller));
  set(e, "callerIpAddress", text(row.CallerIpAddress));
  set(e, "level", text(row.Level));
  set(e, "properties", parseDynamicObject(row.Properties_d ?? row.Properties));
  set(e, "authorization", parseDynamicObject(row.Authorization_d ?? row.Authorization));
  set(e, "claims", parseDynamicObject(row.Claims_d ?? row.Claims));
  return e;
}

export function activityEventFromArchiveRecord(
  raw: unknown,
  at: RecordLocation,
  sink: RejectionSink,
): ActivityEvent | undefined {
  const parsed = archiveActivityRecordSchema.safeParse(raw);
  if (!parsed.success) {
    rejectZod(sink, at, raw, parsed.error);
    return undefined;
  }
  const rec = parsed.data;
  const timeMs = timeOf(rec.time, "time", at, sink);
  if (timeMs === undefined) return undefined;
  const status = String(rec.resultType);
  if (!status || !rec.operationName || !rec.resourceId) {
    const field = !status ? "resultType" : !rec.operationName ? "operationName" : "resourceId";
    rejectAt(sink, at, field, "missing required field");
    return undefined;
  }
  const parts = resourceIdParts(rec.resourceId);
  const e: ActivityEvent = { timeMs, operationName: rec.operationName, status, resourceId: rec.resourceId };
  set(e, "subStatus", text(rec.resultSignature));
  set(e, "category", text(rec.category));
  set(e, "correlationId", text(rec.correlationId));
  set(e, "eventDataId", text(rec.eventDataId));
  set(e, "operationId", text(rec.operationId));
  set(e, "resourceGroup", parts.resourceGroup);
  set(e, "subscriptionId", parts.subscriptionId);
  set(e, "resourceProvider", parts.provider);
  set(e, "caller", text(rec.caller));
  set(e, "callerIpAddress", text(rec.callerIpAddress));
  set(e, "level", text(rec.level));
  set(e, "properties", parseDynamicObject(rec.properties));
  set(e, "authorization", parseDynamicObject(rec.identity?.authorization));
  set(e, "claims", parseDynamicObject(rec.identity?.claims));
  return e;
}

/** The value of a `{ value, localizedValue }` name (the value, not the words of the portal's language). */
function valueOf(v: z.output<typeof localizable>): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? text(v) : text(v.value);
}

export function activityEventFromRestEvent(
  raw: unknown,
  at: RecordLocation,
  sink: RejectionSink,
): ActivityEvent | undefined {
  const parsed = restActivityEventSchema.safeParse(raw);
  if (!parsed.success) {
    rejectZod(sink, at, raw, parsed.error);
    return undefined;
  }
  const ev = parsed.data;
  const timeMs = timeOf(ev.eventTimestamp, "eventTimestamp", at, sink);
  if (timeMs === undefined) return undefined;
  const operationName = valueOf(ev.operationName);
  const status = valueOf(ev.status);
  const resourceId = text(ev.resourceId);
  if (!operationName || !status || !resourceId) {
    const field = !operationName ? "operationName.value" : !status ? "status.value" : "resourceId";
    rejectAt(sink, at, field, "missing required field");
    return undefined;
  }
  const parts = resourceIdParts(resourceId);
  const e: ActivityEvent = { timeMs, operationName, status, resourceId };
  const display = typeof ev.operationName === "object" ? text(ev.operationName?.localizedValue) : undefined;
  if (display && display !== operationName) set(e, "operationDisplayName", display);
  set(e, "subStatus", valueOf(ev.subStatus));
  set(e, "category", valueOf(ev.category));
  set(e, "correlationId", text(ev.correlationId));
  set(e, "eventDataId", text(ev.eventDataId));
  set(e, "operationId", text(ev.operationId));
  set(e, "resourceGroup", text(ev.resourceGroupName) ?? parts.resourceGroup);
  set(e, "subscriptionId", text(ev.subscriptionId) ?? parts.subscriptionId);
  set(e, "resourceProvider", valueOf(ev.resourceProviderName) ?? parts.provider);
  set(e, "caller", text(ev.caller));
  set(e, "callerIpAddress", text(ev.httpRequest?.clientIpAddress));
  set(e, "level", text(ev.level));
  set(e, "properties", parseDynamicObject(ev.properties));
  set(e, "authorization", parseDynamicObject(ev.authorization));
  set(e, "claims", parseDynamicObject(ev.claims));
  return e;
}

/**
 * An event as Azure PowerShell writes it: `Get-AzActivityLog | ConvertTo-Json` (Az.Monitor's
 * PSEventData, or PSEventDataNoDetails without -DetailedOutput). Names and statuses are the invariant
 * values; EventTimestamp is ISO 8601 (PowerShell 7) or `/Date(ms)/` (Windows PowerShell 5.1); Level
 * may be the enum's number; Properties and Claims are `{Content: {...}}`, or a type name when
 * ConvertTo-Json's default depth cut them off.
 */
export const powerShellActivityEventSchema = z.object({
  EventTimestamp: z.string(),
  OperationName: optionalText,
  Status: optionalText,
  SubStatus: optionalText,
  Category: optionalText,
  ResourceId: optionalText,
  ResourceGroupName: optionalText,
  SubscriptionId: optionalText,
  ResourceProviderName: optionalText,
  CorrelationId: optionalText,
  EventDataId: optionalText,
  OperationId: optionalText,
  Caller: optionalText,
  Level: optionalText,
  HttpRequest: z.object({ ClientIpAddress: optionalText }).passthrough().nullish(),
  Authorization: z.unknown().optional(),
  Claims: z.unknown().optional(),
  Properties: z.unknown().optional(),
});

/** Az.Monitor's EventLevel, as ConvertTo-Json writes an enum: its number. */
const EVENT_LEVELS = ["Critical", "Error", "Warning", "Informational", "Verbose"];
/** .NET's JSON date of Windows PowerShell 5.1: milliseconds since the epoch, an offset for display only. */
const DOTNET_JSON_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

export function activityEventFromPowerShell(
  raw: unknown,
  at: RecordLocation,
  sink: RejectionSink,
): ActivityEvent | undefined {
  const parsed = powerShellActivityEventSchema.safeParse(raw);
  if (!parsed.success) {
    rejectZod(sink, at, raw, parsed.error);
    return undefined;
  }
  const ev = parsed.data;
  const dotnet = DOTNET_JSON_DATE.exec(ev.EventTimestamp.trim());
  const timeMs = dotnet ? Number(dotnet[1]) : timeOf(ev.EventTimestamp, "EventTimestamp", at, sink);
  if (timeMs === undefined) return undefined;
  const operationName = text(ev.OperationName);
  const status = text(ev.Status);
  const resourceId = text(ev.ResourceId);
  if (!operationName || !status || !resourceId) {
    const field = !operationName ? "OperationName" : !status ? "Status" : "ResourceId";
    rejectAt(sink, at, field, "missing required field");
    return undefined;
  }
  const parts = resourceIdParts(resourceId);
  const e: ActivityEvent = { timeMs, operationName, status, resourceId };
  set(e, "subStatus", text(ev.SubStatus));
  set(e, "category", text(ev.Category));
  set(e, "correlationId", text(ev.CorrelationId));
  set(e, "eventDataId", text(ev.EventDataId));
  set(e, "operationId", text(ev.OperationId));
  set(e, "resourceGroup", text(ev.ResourceGroupName) ?? parts.resourceGroup);
  set(e, "subscriptionId", text(ev.SubscriptionId) ?? parts.subscriptionId);
  set(e, "resourceProvider", text(ev.ResourceProviderName) ?? parts.provider);
  set(e, "caller", text(ev.Caller));
  set(e, "callerIpAddress", text(ev.HttpRequest?.ClientIpAddress));
  set(e, "level", typeof ev.Level === "number" ? EVENT_LEVELS[ev.Level] : text(ev.Level));
  set(e, "properties", parseDynamicObject(contentOf(ev.Properties)));
  set(e, "authorization", lowerCaseKeys(parseDynamicObject(ev.Authorization)));
  set(e, "claims", parseDynamicObject(contentOf(ev.Claims)));
  return e;
}

/** A PSDictionaryElement's dictionary: `{Content: {...}}`. */
function contentOf(v: unknown): unknown {
  return v && typeof v === "object" && "Content" in v ? (v as { Content: unknown }).Content : v;
}

/** PSEventDataAuthorization's `Action`, `Scope`… as the API's `action`, `scope`…. */
function lowerCaseKeys(o: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return (
    o && Object.fromEntries(Object.entries(o).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]))
  );
}

/**
 * An activity record in whichever shape it came: Log Analytics row, archived record, API event or
 * Azure PowerShell event.
 */
export function activityEventFromObject(
  raw: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): ActivityEvent | undefined {
  if (raw.TimeGenerated === undefined && raw.eventTimestamp !== undefined)
    return activityEventFromRestEvent(raw, at, sink);
  if (raw.TimeGenerated === undefined && raw.EventTimestamp !== undefined)
    return activityEventFromPowerShell(raw, at, sink);
  return raw.TimeGenerated === undefined && raw.time !== undefined
    ? activityEventFromArchiveRecord(raw, at, sink)
    : activityEventFromLogAnalyticsRow(raw, at, sink);
}
