/**
 * One Storage data-plane request as the engine sees it, whatever the source (Log Analytics export,
 * diagnostic-setting archive, Log Analytics query). Parsers produce it; every later stage consumes it.
 * Times are epoch milliseconds: cheaper than Date in the hot loop and trivially comparable.
 */
export type ServiceType = "blob" | "queue" | "table" | "file";

/** A service's one letter, as a SAS's `ss` and `az storage … --services` write it. */
export const SERVICE_LETTER: Readonly<Record<ServiceType, string>> = {
  blob: "b",
  queue: "q",
  table: "t",
  file: "f",
};

export const SERVICE_TYPES: readonly ServiceType[] = ["blob", "queue", "table", "file"];

export interface StorageRequest {
  /** TimeGenerated / archive `time`: when Storage received the request. */
  timeMs: number;
  account: string;
  service: ServiceType;
  /** OperationName, e.g. PutBlob. */
  operation: string;
  /** HTTP status; null when the log says `Unknown` (interrupted request). */
  statusCode: number | null;
  /** StatusText: the storage error code on failures, `Success` otherwise. */
  statusText: string;
  /** AuthenticationType as logged: AccountKey, SAS, OAuth, Anonymous, Kerberos (or empty). */
  authType: string;
  /** AuthenticationHash, e.g. `key1(<sha256>)` or `key1(<sha256>),SasSignature(<sha256>)`. */
  authHash?: string;
  /** Caller IP without the port. */
  callerIp?: string;
  userAgent?: string;
  /** OperationVersion: the x-ms-version the client sent. */
  operationVersion?: string;
  /** Uri as logged (SAS `sig` already masked by Storage; redact again before display). */
  uri?: string;
  objectKey?: string;
  requesterObjectId?: string;
  requesterAppId?: string;
  requesterTenantId?: string;
  requesterUpn?: string;
  requesterAudience?: string;
  /** RequesterTokenIssuer / identity.requester.tokenIssuer / a 2.0 classic line's issuer. */
  requesterTokenIssuer?: string;
  /** identity.delegatedResource.resourceId: the resource a delegated token acts for. */
  delegatedResourceId?: string;
  /** AuthorizationDetails / identity.authorization[], parsed when present. */
  authorizationDetails?: unknown;
  /** _ResourceId / resourceId (service sub-resource path). */
  resourceId?: string;
  /** Storage request id (x-ms-request-id). */
  correlationId?: string;
  protocol?: string;
  sasExpiryStatus?: string;
  tlsVersion?: string;
  clientRequestId?: string;
}

/** Which account key signed the request or SAS, read from AuthenticationHash. */
export function keySlotOf(authHash: string | undefined): "key1" | "key2" | undefined {
  if (!authHash || !KEY_SLOT.test(authHash)) return undefined;
  // Tested, not matched: it runs for every 401/403, and a match allocates. trimStart takes what \s does.
  const digit = authHash.charCodeAt(authHash.length - authHash.trimStart().length + 3);
  return digit === 49 ? "key1" : "key2";
}

const KEY_SLOT = /^\s*key[12]\(/i;

/** sha256 of the SAS signature (SasSignature(...) in AuthenticationHash): identifies one distributed SAS. */
export function sasSignatureHashOf(authHash: string | undefined): string | undefined {
  if (!authHash) return undefined;
  const m = /SasSignature\(([0-9A-Fa-f]+)\)/.exec(authHash);
  return m ? m[1]!.toUpperCase() : undefined;
}

/** Strip the `:port` from `10.1.2.3:4567` or `[::1]:443`; keeps bare IPv6 intact. */
export function stripPort(ipWithPort: string): string {
  const s = ipWithPort.trim();
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    return end > 0 ? s.slice(1, end) : s;
  }
  const colons = s.split(":").length - 1;
  if (colons === 1) return s.slice(0, s.indexOf(":"));
  return s;
}

/** HTTP statuses this product triages. */
export function isAuthFailure(r: Pick<StorageRequest, "statusCode">): boolean {
  return r.statusCode === 401 || r.statusCode === 403;
}
