import { verdictRuleFor } from "../../src/codes/error-codes.js";
import { fixedClock } from "../../src/clock.js";
import { createRootCauseExplainer, type RootCauseResult } from "../../src/correlate/index.js";
import type { RootCauseSettingsInput } from "../../src/correlate/settings.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import { Rng } from "../sim/rng.js";
import {
  incidentIdOf,
  type CallerSummary,
  type Incident,
  type SasWindowObservation,
} from "../../src/model/incident.js";
import {
  isAuthFailure,
  keySlotOf,
  sasSignatureHashOf,
  type StorageRequest,
} from "../../src/model/storage-request.js";

/**
 * Scenario builders for root-cause tests: StorageRequest and ActivityEvent arrays built directly (no
 * file parsers), with a seeded random source so every run is identical.
 */

export const T0 = Date.parse("2026-03-02T10:00:00.000Z");
export const MIN = 60_000;
export const at = (minutes: number): number => T0 + minutes * MIN;

export const SUB = "11111111-1111-1111-1111-111111111111";
export const OTHER_SUB = "22222222-2222-2222-2222-222222222222";
export const RG = "rg-data";
export const ACCOUNT = "prodstore";
export const ACCOUNT_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`;
export const BLOB_SERVICE_ID = `${ACCOUNT_ID}/blobServices/default`;

const hex = (c: string) => c.repeat(64);
export const KEY1_HASH = hex("A");
export const KEY2_HASH = hex("B");
export const NEW_KEY1_HASH = hex("C");
export const key1 = (hash = KEY1_HASH) => `key1(${hash})`;
export const key2 = (hash = KEY2_HASH) => `key2(${hash})`;
export const sasHash = (keyPart: string, sig: string) => `${keyPart},SasSignature(${sig})`;

export const UA_OLD = "azsdk-js-storage-blob/12.17.0 core-rest-pipeline/1.10.0 Node/v20.11.0 OS/(x64-Linux)";
export const UA_NEW = "azsdk-js-storage-blob/12.30.0 core-rest-pipeline/1.22.0 Node/v20.11.0 OS/(x64-Linux)";

/** Deterministic PRNG (the simulator's mulberry32) as a function. */
export function seeded(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export function req(p: Partial<StorageRequest> & { timeMs: number }): StorageRequest {
  return {
    account: ACCOUNT,
    service: "blob",
    operation: "GetBlob",
    statusCode: 200,
    statusText: "Success",
    authType: "AccountKey",
    authHash: key1(),
    callerIp: "10.0.0.4",
    userAgent: UA_OLD,
    operationVersion: "2023-11-03",
    uri: `https://${ACCOUNT}.blob.core.windows.net/data/file.json`,
    resourceId: BLOB_SERVICE_ID,
    ...p,
  };
}

/** Periodic requests every `everyMs` (with seeded jitter < 1 s) in [from, to). */
export function traffic(
  fromMs: number,
  toMs: number,
  everyMs: number,
  fields: Partial<StorageRequest>,
  rand: () => number = seeded(7),
): StorageRequest[] {
  const out: StorageRequest[] = [];
  for (let t = fromMs; t < toMs; t += everyMs)
    out.push(req({ ...fields, timeMs: t + Math.floor(rand() * 900) }));
  return out;
}

/** A failing copy of a request's shape. */
export function failing(
  fields: Partial<StorageRequest>,
  errorCode = "AuthenticationFailed",
  statusCode = 403,
): Partial<StorageRequest> {
  return { ...fields, statusCode, statusText: errorCode };
}

export interface ActivityOpInput {
  op: string;
  resourceId: string;
  atMs: number;
  caller?: string;
  /** ok: Started + Succeeded; failed: Started + Failed; startOnly: only Started; endOnly: only Succeeded. */
  outcome?: "ok" | "failed" | "startOnly" | "endOnly";
  correlationId?: string;
  body?: Record<string, unknown>;
  /** How the request body is carried: a JSON string (LA Properties_d.requestbody) or an object. */
  bodyAs?: "string" | "object";
  responseBody?: Record<string, unknown>;
  /** Log the end event twice (duplicated rows in exports). */
  duplicateEnd?: boolean;
  /** Use the legacy status words and upper-case operation name on the end event. */
  oddCasing?: boolean;
  subscriptionId?: string;
  resourceGroup?: string;
}

let corr = 0;
export function activityOp(i: ActivityOpInput): ActivityEvent[] {
  const correlationId = i.correlationId ?? `corr-${++corr}`;
  const base = (status: string, timeMs: number, end: boolean): ActivityEvent => {
    const properties: Record<string, unknown> = {};
    if (i.body && !end) properties.requestbody = i.bodyAs === "object" ? i.body : JSON.stringify(i.body);
    if (i.body && end && i.outcome === "endOnly") properties.requestbody = JSON.stringify(i.body);
    if (i.responseBody && end) properties.responseBody = JSON.stringify(i.responseBody);
    const e: ActivityEvent = {
      timeMs,
      operationName: end && i.oddCasing ? i.op.toUpperCase() : i.op,
      status,
      correlationId,
      resourceId: end && i.oddCasing ? i.resourceId.toLowerCase() : i.resourceId,
      caller: i.caller ?? "ops@contoso.com",
      properties,
      category: "Administrative",
    };
    const sub = i.subscriptionId ?? /\/subscriptions\/([^/]+)/i.exec(i.resourceId)?.[1];
    if (sub) e.subscriptionId = sub;
    const rg = i.resourceGroup ?? /\/resourceGroups\/([^/]+)/i.exec(i.resourceId)?.[1];
    if (rg) e.resourceGroup = end && i.oddCasing ? rg.toUpperCase() : rg;
    return e;
  };
  const outcome = i.outcome ?? "ok";
  const out: ActivityEvent[] = [];
  if (outcome !== "endOnly") out.push(base(i.oddCasing ? "Start" : "Started", i.atMs - 20_000, false));
  if (outcome === "ok" || outcome === "endOnly")
    out.push(base(i.oddCasing ? "Success" : "Succeeded", i.atMs, true));
  if (outcome === "failed") out.push(base(i.oddCasing ? "Failure" : "Failed", i.atMs, true));
  if (i.duplicateEnd) out.push({ ...out[out.length - 1]! });
  return out;
}

/** Builds the incident the engine would build from the failing rows of one challenge. */
export function incidentFrom(
  requests: readonly StorageRequest[],
  challenge: { errorCode: string; authType: string; statusCode?: number },
): Incident {
  const statusCode = challenge.statusCode ?? 403;
  const rows = requests
    .filter(
      (r) =>
        isAuthFailure(r) &&
        r.statusCode === statusCode &&
        r.statusText === challenge.errorCode &&
        r.authType === challenge.authType &&
        r.account === ACCOUNT,
    )
    .sort((a, b) => a.timeMs - b.timeMs);
  if (rows.length === 0) throw new Error("scenario has no failures for the challenge");
  const callers = new Map<string, CallerSummary>();
  const perMinute = new Map<number, number>();
  const sas = new Map<string, SasWindowObservation>();
  for (const r of rows) {
    const slot = keySlotOf(r.authHash);
    const key = [r.callerIp, r.userAgent, r.requesterObjectId, slot].join("|");
    const c = callers.get(key);
    const iso = new Date(r.timeMs).toISOString();
    if (c) {
      c.count++;
      c.lastSeen = iso;
    } else {
      const s: CallerSummary = { count: 1, firstSeen: iso, lastSeen: iso };
      if (r.callerIp) s.ip = r.callerIp;
      if (r.userAgent) s.userAgent = r.userAgent;
      if (r.requesterObjectId) s.requesterObjectId = r.requesterObjectId;
      if (slot) s.keySlot = slot;
      callers.set(key, s);
    }
    const minute = Math.floor(r.timeMs / MIN) * MIN;
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    if (sasSignatureHashOf(r.authHash) && r.uri) {
      const st = /[?&]st=([^&]+)/.exec(r.uri)?.[1];
      const se = /[?&]se=([^&]+)/.exec(r.uri)?.[1];
      const k = `${st}|${se}`;
      const w = sas.get(k) ?? { count: 0, expired: 0, notYetValid: 0 };
      if (st) w.st = decodeURIComponent(st);
      if (se) w.se = decodeURIComponent(se);
      w.count++;
      if (se && Date.parse(decodeURIComponent(se)) < r.timeMs) w.expired++;
      if (st && Date.parse(decodeURIComponent(st)) > r.timeMs) w.notYetValid++;
      sas.set(k, w);
    }
  }
  const rule = verdictRuleFor(challenge.errorCode, challenge.authType, statusCode);
  const key = { account: ACCOUNT, statusCode, errorCode: challenge.errorCode, authType: challenge.authType };
  return {
    id: incidentIdOf(key),
    account: ACCOUNT,
    services: ["blob"],
    statusCode,
    errorCode: challenge.errorCode,
    authType: challenge.authType,
    operations: [...new Set(rows.map((r) => r.operation))],
    count: rows.length,
    firstSeen: new Date(rows[0]!.timeMs).toISOString(),
    lastSeen: new Date(rows[rows.length - 1]!.timeMs).toISOString(),
    decision: rule.decision,
    guidance: rule.guidance,
    clusters: [],
    callers: [...callers.values()].sort((a, b) => b.count - a.count),
    perMinute: [...perMinute].sort((a, b) => a[0] - b[0]).map(([m, n]) => [new Date(m).toISOString(), n]),
    sampleUris: [...new Set(rows.map((r) => r.uri ?? ""))].filter(Boolean).slice(0, 5),
    sampleObjectKeys: [],
    sasWindows: [...sas.values()],
    operationVersions: {},
    changes: [],
    clockSkew: { suspected: false, evidence: [] },
    severity: rows.length,
  };
}

export interface ScenarioRun {
  incident: Incident;
  result: RootCauseResult;
}

/** Feeds every request to a fresh explainer's observer, then explains the challenge's incident. */
export function runScenario(
  requests: readonly StorageRequest[],
  activity: readonly ActivityEvent[],
  challenge: { errorCode: string; authType: string; statusCode?: number },
  windowToMs: number,
  settings: RootCauseSettingsInput = {},
): ScenarioRun {
  const explainer = createRootCauseExplainer({ clock: fixedClock(new Date(windowToMs)), settings });
  for (const r of requests) explainer.observer.observe(r);
  const incident = incidentFrom(requests, challenge);
  const result = explainer.explain(incident, activity, { windowFromMs: at(-180), windowToMs });
  return { incident: { ...incident, ...result }, result };
}

export const kinds = (r: RootCauseResult) => r.changes.map((c) => c.kind);
export const ops = (r: RootCauseResult) => r.changes.map((c) => c.operation);
