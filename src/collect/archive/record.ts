import { z } from "zod";
import type { RejectionSink } from "../../engine/contracts.js";
import {
  SERVICE_TYPES,
  stripPort,
  type ServiceType,
  type StorageRequest,
} from "../../model/storage-request.js";

/**
 * One archived JSON Lines record → StorageRequest (field mapping of reference §2). Kept minimal and behind
 * this one function so it can be replaced by the `collect` module's archive-record mapping, which the file
 * readers use, once that lands: both sources must map records identically.
 */
export interface LineLocation {
  file: string;
  line: number;
}

const text = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : String(v)));

const ArchiveRecordSchema = z.object({
  time: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not an ISO time"),
  resourceId: text,
  operationName: z.string().min(1),
  operationVersion: text,
  statusCode: z.union([z.number(), z.string()]),
  statusText: text,
  callerIpAddress: text,
  correlationId: text,
  protocol: text,
  uri: text,
  identity: z
    .object({
      type: text,
      tokenHash: text,
      authorization: z.unknown().optional(),
      requester: z
        .object({ objectId: text, appId: text, tenantId: text, upn: text, audience: text })
        .partial()
        .optional(),
    })
    .partial()
    .optional(),
  properties: z
    .object({
      accountName: text,
      serviceType: text,
      userAgentHeader: text,
      objectKey: text,
      tlsVersion: text,
      clientRequestId: text,
      sasExpiryStatus: text,
    })
    .partial()
    .optional(),
});

const RESOURCE_ACCOUNT = /\/storageAccounts\/([^/]+)\/(blob|queue|table|file)Services\//i;

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

function set<K extends keyof StorageRequest>(
  r: StorageRequest,
  k: K,
  v: StorageRequest[K] | undefined,
): void {
  if (v !== undefined) r[k] = v;
}

/** Parses one line; a bad line is rejected into `sink` with file, line, field and reason. */
export function parseArchiveLine(
  line: string,
  at: LineLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  const reject = (field: string, reason: string) => {
    sink.reject({ file: at.file, line: at.line, field, reason });
    return undefined;
  };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return reject("(record)", "not valid JSON");
  }
  const parsed = ArchiveRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reject(issue?.path.join(".") || "(record)", issue?.message ?? "invalid record");
  }
  const rec = parsed.data;
  const fromResource = rec.resourceId ? RESOURCE_ACCOUNT.exec(rec.resourceId) : null;
  const account = rec.properties?.accountName ?? fromResource?.[1];
  if (!account) return reject("properties.accountName", "missing required field");
  const service = (rec.properties?.serviceType ?? fromResource?.[2])?.toLowerCase();
  if (!service || !(SERVICE_TYPES as readonly string[]).includes(service)) {
    return reject("properties.serviceType", `must be one of ${SERVICE_TYPES.join(", ")}`);
  }
  const status = typeof rec.statusCode === "number" ? rec.statusCode : Number.parseInt(rec.statusCode, 10);
  const r: StorageRequest = {
    timeMs: Date.parse(rec.time),
    account,
    service: service as ServiceType,
    operation: rec.operationName,
    statusCode: Number.isInteger(status) ? status : null,
    statusText: rec.statusText ?? "",
    authType: rec.identity?.type ?? "",
  };
  set(r, "authHash", rec.identity?.tokenHash);
  set(r, "callerIp", rec.callerIpAddress ? stripPort(rec.callerIpAddress) : undefined);
  set(r, "userAgent", rec.properties?.userAgentHeader ? unquote(rec.properties.userAgentHeader) : undefined);
  set(r, "operationVersion", rec.operationVersion);
  set(r, "uri", rec.uri);
  set(r, "objectKey", rec.properties?.objectKey);
  set(r, "requesterObjectId", rec.identity?.requester?.objectId);
  set(r, "requesterAppId", rec.identity?.requester?.appId);
  set(r, "requesterTenantId", rec.identity?.requester?.tenantId);
  set(r, "requesterUpn", rec.identity?.requester?.upn);
  set(r, "requesterAudience", rec.identity?.requester?.audience);
  set(r, "authorizationDetails", rec.identity?.authorization);
  set(r, "resourceId", rec.resourceId);
  set(r, "correlationId", rec.correlationId);
  set(r, "protocol", rec.protocol);
  set(r, "tlsVersion", rec.properties?.tlsVersion);
  set(r, "clientRequestId", rec.properties?.clientRequestId);
  set(r, "sasExpiryStatus", rec.properties?.sasExpiryStatus);
  return r;
}
