import { createHash } from "node:crypto";
import type { ServiceType } from "./storage-request.js";

/** The product's verdict vocabulary (exact strings; they appear in JSON, cards, KQL and the dashboard). */
export type Decision = "authentication" | "rbac" | "sas" | "network" | "policy";
export const DECISIONS: readonly Decision[] = ["authentication", "rbac", "sas", "network", "policy"];

export interface Guidance {
  summary: string;
  steps: string[];
  /** The wrong fixes to avoid. */
  avoid: string[];
}

/** Cluster key: (account, service, operation, HTTP status, error code, authentication type). */
export interface ClusterKey {
  account: string;
  service: ServiceType;
  operation: string;
  statusCode: number;
  errorCode: string;
  authType: string;
}

/** Challenge (incident) key: the cluster key without service and operation. */
export interface ChallengeKey {
  account: string;
  statusCode: number;
  errorCode: string;
  authType: string;
}

export function challengeOf(k: ClusterKey | ChallengeKey): ChallengeKey {
  return { account: k.account, statusCode: k.statusCode, errorCode: k.errorCode, authType: k.authType };
}

/** Stable incident id for a challenge: the same challenge gets the same id in every run and source. */
export function incidentIdOf(k: ChallengeKey): string {
  const basis = [k.account.toLowerCase(), String(k.statusCode), k.errorCode, k.authType].join("|");
  return "inc-" + createHash("sha256").update(basis).digest("hex").slice(0, 12);
}

/** One distinct caller of a cluster or incident. */
export interface CallerSummary {
  /** IP without port, when logged. */
  ip?: string;
  userAgent?: string;
  requesterObjectId?: string;
  requesterUpn?: string;
  /** key1/key2 from AuthenticationHash. */
  keySlot?: "key1" | "key2";
  count: number;
  /**
   * How much of `count` may be requests of other callers: a full top-callers table (space-saving) gives a
   * newcomer the slot, and the count, of the caller it lets go. The caller made at least `count −
   * overcount` of them (callerCountText). Absent when the count is exact.
   */
  overcount?: number;
  firstSeen: string;
  lastSeen: string;
}

/** SAS validity window seen in failing requests' URIs, with how the request time relates to it. */
export interface SasWindowObservation {
  st?: string;
  se?: string;
  count: number;
  /** Failures whose request time was after `se`. */
  expired: number;
  /** Failures whose request time was before `st`. */
  notYetValid: number;
}

/**
 * Mergeable per-cluster aggregate. The local engine builds it from rows; Log Analytics builds the same
 * thing server-side. Every field is bounded: top-K lists, capped samples, and a failure series of at
 * most MAX_SERIES_BUCKETS buckets (src/cluster/failure-series.ts).
 */
export interface ClusterPartial {
  key: ClusterKey;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Bucket start (epoch ms) -> failures in that bucket: minutes unless `bucketMinutes` says wider. */
  perMinute: Map<number, number>;
  /** Bucket width of `perMinute` in minutes when it is not 1 (series past MAX_SERIES_BUCKETS minutes). */
  bucketMinutes?: number;
  /** Top callers by count (bounded). */
  callers: CallerSummary[];
  /** Redacted sample URIs (bounded). */
  sampleUris: string[];
  /** Sample object keys (bounded). */
  sampleObjectKeys: string[];
  sasWindows: SasWindowObservation[];
  /** OperationVersion (x-ms-version) -> count. */
  operationVersions: Record<string, number>;
  /** What the remedy needs (principals, containers, authorization details); absent from older sources. */
  remedyEvidence?: RemedyEvidence;
}

export interface ClusterSummary {
  service: ServiceType;
  operation: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

/** A change that plausibly caused an incident (root-cause stage). */
export interface ChangeCandidate {
  source: "activity" | "logs";
  time: string;
  /** OperationNameValue as logged (activity), or the kind of change seen in the logs. */
  operation: string;
  resourceId: string;
  caller: string;
  summary: string;
  /** 0..1, higher is likelier. */
  score: number;
  /** Why this change was ranked where it is. */
  why: string;
  /** Before/after values for changes seen in the logs. */
  before?: string;
  after?: string;
  /** Machine-readable kind of cause, e.g. `key-regenerated`, `rbac-propagation` (src/correlate/catalog.ts). */
  kind?: string;
  /** What to do about it, in plain words (renderers show it after the summary). */
  advice?: string;
}

export interface ClockSkewAssessment {
  suspected: boolean;
  evidence: string[];
  /** Skew-like signs that were checked and explained otherwise (expired SAS, rotated key…). */
  ruledOut?: string[];
}

export interface Incident {
  /** Stable across runs for the same challenge (incidentIdOf). */
  id: string;
  account: string;
  services: ServiceType[];
  statusCode: number;
  errorCode: string;
  authType: string;
  operations: string[];
  count: number;
  firstSeen: string;
  lastSeen: string;
  decision: Decision;
  guidance: Guidance;
  /**
   * Set when the logged status leaves the verdict open (classic `$logs` statuses): the verdicts it is
   * compatible with and what in the logs narrows them.
   */
  ambiguous?: { between: Decision[]; narrowedBy: string };
  clusters: ClusterSummary[];
  callers: CallerSummary[];
  /** [bucket start ISO, failures] ascending; buckets are minutes unless `bucketMinutes` says wider. */
  perMinute: Array<[string, number]>;
  /**
   * Bucket width of `perMinute` in minutes when it is not 1: a series with more than 3,000 failing
   * minutes (a long span read at once) widens to 5, 15, 60, 360 or 1,440 minutes to stay bounded.
   */
  bucketMinutes?: number;
  sampleUris: string[];
  sampleObjectKeys: string[];
  sasWindows: SasWindowObservation[];
  operationVersions: Record<string, number>;
  /** Root causes, most likely first; empty when nothing fits. */
  changes: ChangeCandidate[];
  clockSkew: ClockSkewAssessment;
  /** Ordering score: higher is more severe. */
  severity: number;
  /** The exact fix (src/remedy/); absent only on incidents stored before it existed. */
  remedy?: Remedy;
}

/** A failing Microsoft Entra principal as the logs name it (Requester* columns, AuthorizationDetails). */
export interface PrincipalObservation {
  objectId: string;
  appId?: string;
  tenantId?: string;
  upn?: string;
  /** From AuthorizationDetails principals[].type (User, ServicePrincipal, Group…), when logged. */
  type?: string;
  count: number;
}

/** One AuthorizationDetails entry of failing requests, counted. */
export interface AuthorizationObservation {
  /** The data action evaluated, e.g. Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read. */
  action: string;
  /** Granted | Denied. */
  result: string;
  /** Policy | NoApplicablePolicy | MissingAttributes (ABAC)… */
  reason?: string;
  roleAssignmentId?: string;
  roleDefinitionId?: string;
  denyAssignmentId?: string;
  count: number;
}

/**
 * What the remedy stage needs beyond the incident's own fields, aggregated per cluster with caps:
 * the account's resource id, the containers (queues, tables, shares) the failures hit, the failing
 * principals and the authorization decisions logged for them. Optional: partials stored before it
 * existed lack it, and the remedy then names what it could not learn.
 */
export interface RemedyEvidence {
  /** ARM id of the storage account (from _ResourceId without the service sub-resource). */
  resourceId?: string;
  /** Container, queue, table or share name → failures (at most `cap` names). */
  containers: Record<string, number>;
  /** Failures whose container was not kept (cap reached) or not known. */
  otherContainers: number;
  principals: PrincipalObservation[];
  authorization: AuthorizationObservation[];
}

/** A command the remedy gives. It never carries a secret; unknown values are named placeholders. */
export interface RemedyCommand {
  /** What running it does. */
  purpose: string;
  /** The exact command line (bash). */
  command: string;
  /** Placeholders left in the command (`<like-this>`), each with why the logs could not fill it. */
  placeholders: Array<{ name: string; reason: string }>;
  /** A risky, temporary path, named as such (e.g. re-enabling Shared Key). */
  risky?: boolean;
}

export type RemedyKind =
  | "assign-role"
  | "wait-for-propagation"
  | "restore-role-assignment"
  | "abac-condition"
  | "replace-sas"
  | "fix-sas-clock"
  | "move-to-entra-id"
  | "add-cors-rule"
  | "reactivate-subscription"
  | "check-account-configuration"
  | "use-container-encryption-scope"
  | "allow-network"
  | "fix-private-endpoint"
  | "update-key"
  | "fix-signature"
  | "fix-token"
  | "fix-clock"
  | "investigate";

/** The exact fix for an incident (docs/remedy.md): built once, in src/remedy/, by the incident builder. */
export interface Remedy {
  kind: RemedyKind;
  /** What to change, in one sentence. */
  change: string;
  /** Commands to run, in order; empty when nothing should be run (then `noCommand` says why). */
  commands: RemedyCommand[];
  noCommand?: string;
  /** A Bicep snippet for a lasting change, where one fits. */
  bicep?: string;
  /** Why this is the narrowest fix. */
  whyNarrowest: string;
  /** What would make this remedy wrong. */
  wrongIf: string[];
  /** The values the remedy was built from, for people and machines (principal, role, scope, letters…). */
  facts: Array<{ label: string; value: string }>;
}
