import { z } from "zod";
import { DECISIONS, type Decision, type Incident } from "../model/incident.js";
import type { ServiceType } from "../model/storage-request.js";
import type { IncidentQuery, IncidentReader, IncidentRecord, IncidentStatus } from "../state/contracts.js";
import { BUCKET_LADDER, bucketMinutesOf } from "../cluster/failure-series.js";
import { errorResponse, jsonResponse, type DashboardResponse } from "./http.js";
import { readInputHealth, type InputHealth } from "../timer/input-health.js";

/**
 * The dashboard's JSON API as pure handlers over an IncidentReader: `GET /api/incidents` (filtered, paged
 * list) and `GET /api/incidents/{id}` (one incident with all its evidence). The local server and the Azure
 * Functions both call these, so both answer identically.
 */

/** Largest page the list answers in one go; the page fetches more pages when there are more incidents. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;
/** Deep offsets are a scan, not a use case: cap them so one request cannot make the store walk forever. */
export const MAX_OFFSET = 100_000;
/** Longest incident id accepted in a path (real ids are `inc-` + 12 hex). */
export const MAX_ID_LENGTH = 200;

/** `code` is the Azure Functions key; it reaches the handler in the query string and is not a filter. */
const IGNORED_PARAMETERS = new Set(["code"]);

const isoDateTime = (name: string) =>
  z.iso
    .datetime({ offset: true, error: `${name}: expected an ISO 8601 date-time such as 2026-11-22T10:00:00Z` })
    .transform((s) => new Date(s).toISOString());

const pageNumber = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: `${name}: expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `${name}: must be at least ${min}` })
        .max(max, { error: `${name}: must be at most ${max}` }),
    )
    .default(fallback);

const filterText = (name: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: `${name}: must not be empty (leave the parameter out to match everything)` })
    .max(max, { error: `${name}: at most ${max} characters` });

export const listQuerySchema = z
  .strictObject(
    {
      from: isoDateTime("from").optional(),
      to: isoDateTime("to").optional(),
      account: filterText("account", 256).optional(),
      decision: z
        .enum(DECISIONS as [Decision, ...Decision[]], { error: `decision: one of ${DECISIONS.join(", ")}` })
        .optional(),
      errorCode: filterText("errorCode", 128).optional(),
      status: z.enum(["open", "resolved"], { error: "status: one of open, resolved" }).optional(),
      offset: pageNumber("offset", 0, MAX_OFFSET, 0),
      limit: pageNumber("limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown parameter(s) ${issue.keys.join(", ")}; allowed: from, to, account, decision, errorCode, status, offset, limit`
          : undefined,
    },
  )
  .refine((q) => !q.from || !q.to || q.from <= q.to, { error: "from: must not be after to", path: ["from"] });

export type ListQuery = z.output<typeof listQuerySchema>;

export type ParsedListQuery =
  | { ok: true; query: IncidentQuery & { offset: number; limit: number } }
  | { ok: false; issues: Array<{ parameter: string; problem: string }> };

/** Validates the list query string; every problem names the parameter and says what to send instead. */
export function parseListQuery(params: URLSearchParams): ParsedListQuery {
  const raw: Record<string, string> = {};
  const issues: Array<{ parameter: string; problem: string }> = [];
  for (const key of new Set(params.keys())) {
    if (IGNORED_PARAMETERS.has(key)) continue;
    const values = params.getAll(key);
    if (values.length > 1) {
      issues.push({ parameter: key, problem: `${key}: given ${values.length} times; give it once` });
      continue;
    }
    raw[key] = values[0]!;
  }
  const parsed = listQuerySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const parameter =
        issue.code === "unrecognized_keys"
          ? issue.keys.join(", ")
          : issue.path.map(String).join(".") || "(query)";
      issues.push({ parameter, problem: issue.message });
    }
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  const q = parsed.data;
  const query: IncidentQuery & { offset: number; limit: number } = { offset: q.offset, limit: q.limit };
  if (q.from !== undefined) query.from = q.from;
  if (q.to !== undefined) query.to = q.to;
  if (q.account !== undefined) query.account = q.account;
  if (q.decision !== undefined) query.decision = q.decision;
  if (q.errorCode !== undefined) query.errorCode = q.errorCode;
  if (q.status !== undefined) query.status = q.status;
  return { ok: true, query };
}

/** The most likely cause, as shown in the list (the detail carries all of them with evidence). */
export interface TopCauseSummary {
  source: "activity" | "logs";
  time: string;
  operation: string;
  summary: string;
  score: number;
}

/** One row of `GET /api/incidents`: enough for the table, the filters and the over-time charts. */
export interface IncidentListItem {
  id: string;
  status: IncidentStatus;
  openedAt: string;
  updatedAt: string;
  resolvedAt?: string;
  silencedBy?: string;
  account: string;
  services: ServiceType[];
  statusCode: number;
  errorCode: string;
  authType: string;
  decision: Decision;
  operations: string[];
  count: number;
  firstSeen: string;
  lastSeen: string;
  severity: number;
  /** Summary line of the guidance. */
  summary: string;
  /** The first wrong fix to avoid: the one the page shows prominently. */
  wrongFix?: string;
  topCause?: TopCauseSummary;
  clockSkewSuspected: boolean;
  callerCount: number;
  notificationCount: number;
  /** Failures over time, dense and compact (the detail answer has the exact per-minute list). */
  timeline: Timeline;
}

/**
 * Failures per bucket from `start`: `counts[i]` failed in [start + i·bucket, start + (i+1)·bucket). Dense
 * numbers are a fraction of the size of ISO-keyed pairs, which matters with hundreds of incidents.
 */
export interface Timeline {
  /** ISO minute of the first bucket (the first failure's minute, floored to the bucket). */
  start: string;
  bucketMinutes: number;
  counts: number[];
}

/** Bucket sizes (BUCKET_LADDER) are tried in order until a timeline has at most this many entries. */
export const MAX_TIMELINE_BUCKETS = 2880;
const MINUTE_MS = 60_000;

export function toTimeline(incident: Pick<Incident, "perMinute" | "bucketMinutes">): Timeline {
  const points = incident.perMinute
    .map(([minute, n]) => [Date.parse(minute), n] as const)
    .filter(([t, n]) => Number.isFinite(t) && Number.isFinite(n));
  if (points.length === 0) return { start: new Date(0).toISOString(), bucketMinutes: 1, counts: [] };
  let min = Infinity;
  let max = -Infinity;
  for (const [t] of points) {
    min = Math.min(min, t);
    max = Math.max(max, t);
  }
  const spanMinutes = (max - min) / MINUTE_MS + 1;
  // Never finer than the incident's own buckets (a long span's series is already widened).
  const bucketMinutes =
    BUCKET_LADDER.find((b) => b >= bucketMinutesOf(incident) && spanMinutes / b <= MAX_TIMELINE_BUCKETS) ??
    Math.max(BUCKET_LADDER.at(-1)!, bucketMinutesOf(incident));
  const bucketMs = bucketMinutes * MINUTE_MS;
  const start = Math.floor(min / bucketMs) * bucketMs;
  const counts = new Array<number>(Math.floor((max - start) / bucketMs) + 1).fill(0);
  for (const [t, n] of points) counts[Math.floor((t - start) / bucketMs)]! += n;
  return { start: new Date(start).toISOString(), bucketMinutes, counts };
}

export interface IncidentListResponse {
  total: number;
  offset: number;
  limit: number;
  items: IncidentListItem[];
  /** The timer's latest check of its inputs (src/timer/input-health.ts), when the reader has one. */
  inputs?: InputHealth;
}

/** `GET /api/incidents/{id}` answers the stored record: the incident with its evidence, status and notification history. */
export type IncidentDetailResponse = IncidentRecord;

export function toListItem(record: IncidentRecord): IncidentListItem {
  const inc: Incident = record.incident;
  const top = inc.changes[0];
  const item: IncidentListItem = {
    id: inc.id,
    status: record.status,
    openedAt: record.openedAt,
    updatedAt: record.updatedAt,
    account: inc.account,
    services: [...inc.services],
    statusCode: inc.statusCode,
    errorCode: inc.errorCode,
    authType: inc.authType,
    decision: inc.decision,
    operations: [...inc.operations],
    count: inc.count,
    firstSeen: inc.firstSeen,
    lastSeen: inc.lastSeen,
    severity: inc.severity,
    summary: inc.guidance.summary,
    clockSkewSuspected: inc.clockSkew.suspected,
    callerCount: inc.callers.length,
    notificationCount: record.notifications.length,
    timeline: toTimeline(inc),
  };
  if (record.resolvedAt !== undefined) item.resolvedAt = record.resolvedAt;
  if (record.silencedBy !== undefined) item.silencedBy = record.silencedBy;
  if (inc.guidance.avoid[0] !== undefined) item.wrongFix = inc.guidance.avoid[0];
  if (top)
    item.topCause = {
      source: top.source,
      time: top.time,
      operation: top.operation,
      summary: top.summary,
      score: top.score,
    };
  return item;
}

/** Called with store failures so the host can log them; the client only learns that the store failed. */
export type ErrorReporter = (message: string, error: unknown) => void;

const STORE_FAILED = {
  error: "internal",
  message: "The incident store could not be read; try again, and check the app's logs.",
} as const;

/** `GET /api/incidents`. */
export async function handleListIncidents(
  reader: IncidentReader,
  params: URLSearchParams,
  reportError?: ErrorReporter,
): Promise<DashboardResponse> {
  const parsed = parseListQuery(params);
  if (!parsed.ok) {
    return errorResponse(400, {
      error: "bad-request",
      message: `Bad query: ${parsed.issues.map((i) => i.problem).join("; ")}`,
      issues: parsed.issues,
    });
  }
  try {
    const [{ total, items }, inputs] = await Promise.all([
      reader.list(parsed.query),
      readInputHealth(reader),
    ]);
    const body: IncidentListResponse = {
      total,
      offset: parsed.query.offset,
      limit: parsed.query.limit,
      items: items.slice(0, parsed.query.limit).map(toListItem),
    };
    if (inputs) body.inputs = inputs;
    return jsonResponse(200, body);
  } catch (err) {
    reportError?.("listing incidents failed", err);
    return errorResponse(500, STORE_FAILED);
  }
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20 || s.charCodeAt(i) === 0x7f) return true;
  return false;
}

/** `GET /api/incidents/{id}`; `id` is the decoded path segment. */
export async function handleGetIncident(
  reader: IncidentReader,
  id: string,
  reportError?: ErrorReporter,
): Promise<DashboardResponse> {
  const trimmed = id.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_ID_LENGTH || hasControlCharacter(trimmed)) {
    return errorResponse(400, {
      error: "bad-request",
      message: `id: expected an incident id such as inc-0123456789ab (1 to ${MAX_ID_LENGTH} printable characters)`,
      issues: [{ parameter: "id", problem: "not an incident id" }],
    });
  }
  try {
    const record = await reader.get(trimmed);
    if (!record) {
      return errorResponse(404, {
        error: "not-found",
        message: `No incident with id ${trimmed}.`,
      });
    }
    // jsonResponse is the redaction boundary of every answer (src/redact.ts).
    const body: IncidentDetailResponse = record;
    return jsonResponse(200, body);
  } catch (err) {
    reportError?.("reading an incident failed", err);
    return errorResponse(500, STORE_FAILED);
  }
}
