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

/** An activity record in whichever shape it came: Log Analytics row, archived record or API event. */
export function activityEventFromObject(
  raw: Record<string, unknown>,
  at: RecordLocation,
  sink: RejectionSink,
): ActivityEvent | undefined {
  if (raw.TimeGenerated === undefined && raw.eventTimestamp !== undefined)
    return activityEventFromRestEvent(raw, at, sink);
  return raw.TimeGenerated === undefined && raw.time !== undefined
    ? activityEventFromArchiveRecord(raw, at, sink)
    : activityEventFromLogAnalyticsRow(raw, at, sink);
}
