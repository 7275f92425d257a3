import type { ActivityEvent } from "../model/activity.js";
import { compareText } from "../order.js";

/**
 * AzureActivity as logged → one change per operation (reference §4 traps): start and end events share a
 * CorrelationId; OperationNameValue, ResourceGroup and resource ids come in any casing; Success and
 * Succeeded (Start/Started, Accept/Accepted, Failure/Failed) mean the same; failed operations changed
 * nothing; the request body hides in Properties(_d).requestbody as a JSON string or an object.
 */

export type ActivityPhase = "start" | "success" | "failure" | "other";

export function phaseOf(status: string): ActivityPhase {
  const s = status.trim().toLowerCase();
  if (s === "succeeded" || s === "success" || s === "completed") return "success";
  if (s === "failed" || s === "failure" || s === "canceled" || s === "cancelled") return "failure";
  if (
    s === "started" ||
    s === "start" ||
    s === "accepted" ||
    s === "accept" ||
    s === "active" ||
    s === "inprogress"
  )
    return "start";
  return "other";
}

/** One operation that completed (or at least started) in the control plane. */
export interface ActivityChange {
  /** OperationNameValue as logged (from the success event when there is one). */
  operation: string;
  /** Lower-case OperationNameValue, for matching. */
  operationKey: string;
  /** Resource id as logged. */
  resourceId: string;
  /** Lower-case resource id, for matching. */
  resourceKey: string;
  subscriptionId?: string;
  resourceGroup?: string;
  /** The success event's time; the latest event's time when no outcome was logged yet. */
  timeMs: number;
  /** The earliest event of the operation (the start). */
  startMs: number;
  caller: string;
  callerIpAddress?: string;
  correlationId?: string;
  /** True when a Succeeded/Success event was seen; false when only start events were (outcome unknown). */
  confirmed: boolean;
  /** Parsed request body, when logged. */
  body?: Record<string, unknown>;
  /** Parsed response body, when logged (role assignment deletes carry the removed assignment here). */
  responseBody?: Record<string, unknown>;
  displayName?: string;
}

export interface NormalisedActivity {
  changes: ActivityChange[];
  /** Operations dropped because they failed (they changed nothing). */
  failedOperations: number;
  /** Events merged into another event of the same operation (start/end pairs, duplicates). */
  mergedEvents: number;
  /** Events without an operation, resource or time (the parsers validate, so this should stay 0). */
  invalidEvents: number;
}

/** Case-insensitive property lookup. */
export function getCI(obj: unknown, key: string): unknown {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  if (key in rec) return rec[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  return undefined;
}

/** Case-insensitive path lookup: getPathCI(body, "properties", "principalId"). */
export function getPathCI(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    cur = getCI(cur, p);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** First value of `key` at any depth (bounded), case-insensitive. */
export function findDeepCI(obj: unknown, key: string, depth = 6): unknown {
  if (depth < 0 || !obj || typeof obj !== "object") return undefined;
  const direct = Array.isArray(obj) ? undefined : getCI(obj, key);
  if (direct !== undefined) return direct;
  for (const v of Array.isArray(obj) ? obj : Object.values(obj as Record<string, unknown>)) {
    const found = findDeepCI(v, key, depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A JSON object from a string or an object; undefined for anything else or unparsable text. */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v === "string") {
    const s = v.trim();
    if (!s.startsWith("{")) return undefined;
    try {
      const parsed: unknown = JSON.parse(s);
      return parsed && typeof parsed === "object" && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bodyOf(
  properties: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> | undefined {
  if (!properties) return undefined;
  const direct = asObject(getCI(properties, key));
  if (direct) return direct;
  // Some exports nest Properties_d inside Properties, or keep the whole Properties as a JSON string.
  const nested = asObject(getCI(properties, "properties")) ?? asObject(getCI(properties, "properties_d"));
  return nested ? asObject(getCI(nested, key)) : undefined;
}

const SUB_RE = /^\/subscriptions\/([^/]+)/i;
const RG_RE = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)/i;

export function subscriptionOf(resourceId: string): string | undefined {
  return SUB_RE.exec(resourceId)?.[1]?.toLowerCase();
}

export function resourceGroupOf(resourceId: string): string | undefined {
  return RG_RE.exec(resourceId)?.[1]?.toLowerCase();
}

function groupKey(e: ActivityEvent, index: number): string {
  const op = e.operationName.trim().toLowerCase();
  const res = e.resourceId.trim().toLowerCase();
  // A deployment's CorrelationId also links its child writes: pair by operation and resource too.
  const id = e.correlationId?.trim().toLowerCase() || e.operationId?.trim().toLowerCase();
  if (id) return `${id}|${op}|${res}`;
  const eventId = e.eventDataId?.trim().toLowerCase();
  return eventId ? `event:${eventId}` : `row:${index}|${e.timeMs}|${op}|${res}`;
}

/** Pairs start/end events, drops failed operations, parses request bodies. Deterministic output order. */
export function normaliseActivity(events: readonly ActivityEvent[]): NormalisedActivity {
  const groups = new Map<string, ActivityEvent[]>();
  let invalidEvents = 0;
  events.forEach((e, i) => {
    if (
      !e ||
      typeof e.operationName !== "string" ||
      typeof e.resourceId !== "string" ||
      !Number.isFinite(e.timeMs)
    ) {
      invalidEvents++;
      return;
    }
    const k = groupKey(e, i);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  });
  const changes: ActivityChange[] = [];
  let failedOperations = 0;
  let mergedEvents = 0;
  for (const g of groups.values()) {
    mergedEvents += g.length - 1;
    const successes = g.filter((e) => phaseOf(e.status) === "success").sort((a, b) => a.timeMs - b.timeMs);
    const failed = g.some((e) => phaseOf(e.status) === "failure");
    if (successes.length === 0 && failed) {
      failedOperations++;
      continue;
    }
    const end = successes[0] ?? [...g].sort((a, b) => b.timeMs - a.timeMs)[0]!;
    const startMs = Math.min(...g.map((e) => e.timeMs));
    const withBody = g.find((e) => bodyOf(e.properties, "requestbody")) ?? end;
    const withResponse = g.find((e) => bodyOf(e.properties, "responsebody"));
    const callerEvent = [end, ...g].find((e) => e.caller && e.caller.trim()) ?? end;
    const resourceId = end.resourceId.trim();
    const change: ActivityChange = {
      operation: end.operationName.trim(),
      operationKey: end.operationName.trim().toLowerCase(),
      resourceId,
      resourceKey: resourceId.toLowerCase(),
      timeMs: end.timeMs,
      startMs,
      caller: callerEvent.caller?.trim() || "unknown caller",
      confirmed: successes.length > 0,
    };
    const sub = end.subscriptionId?.trim().toLowerCase() || subscriptionOf(resourceId);
    if (sub) change.subscriptionId = sub;
    const rg = end.resourceGroup?.trim().toLowerCase() || resourceGroupOf(resourceId);
    if (rg) change.resourceGroup = rg;
    if (callerEvent.callerIpAddress) change.callerIpAddress = callerEvent.callerIpAddress;
    if (end.correlationId) change.correlationId = end.correlationId.trim().toLowerCase();
    const body = bodyOf(withBody.properties, "requestbody");
    if (body) change.body = body;
    const response = withResponse ? bodyOf(withResponse.properties, "responsebody") : undefined;
    if (response) change.responseBody = response;
    const display = g.find((e) => e.operationDisplayName)?.operationDisplayName;
    if (display) change.displayName = display;
    changes.push(change);
  }
  changes.sort(
    (a, b) =>
      a.timeMs - b.timeMs ||
      compareText(a.operationKey, b.operationKey) ||
      compareText(a.resourceKey, b.resourceKey),
  );
  return { changes, failedOperations, mergedEvents, invalidEvents };
}
