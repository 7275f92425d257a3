import {
  incidentIdOf,
  type CallerSummary,
  type ChangeCandidate,
  type Incident,
} from "../../src/model/incident.js";
import type { ServiceType } from "../../src/model/storage-request.js";
import { verdictRuleFor } from "../../src/codes/error-codes.js";

/**
 * Incidents shaped like the engine's output, built from a per-minute series so counts, first/last seen
 * and the histogram always agree. Verdict and guidance come from the real error-code table.
 */
export interface FixtureSpec {
  account?: string;
  statusCode?: number;
  errorCode?: string;
  authType?: string;
  services?: ServiceType[];
  operations?: string[];
  /** [minute ISO, failures] */
  perMinute: Array<[string, number]>;
  callers?: Array<Partial<CallerSummary> & { count: number }>;
  changes?: ChangeCandidate[];
  skew?: string[];
  sampleUris?: string[];
}

export function minutes(startIso: string, counts: number[]): Array<[string, number]> {
  const t0 = Date.parse(startIso);
  return counts
    .map((n, k) => [new Date(t0 + k * 60_000).toISOString(), n] as [string, number])
    .filter(([, n]) => n > 0);
}

export function fixtureIncident(spec: FixtureSpec): Incident {
  const account = spec.account ?? "contosodata";
  const statusCode = spec.statusCode ?? 403;
  const errorCode = spec.errorCode ?? "AuthenticationFailed";
  const authType = spec.authType ?? "AccountKey";
  const key = { account, statusCode, errorCode, authType };
  const rule = verdictRuleFor(errorCode, authType, statusCode);
  const count = spec.perMinute.reduce((n, [, c]) => n + c, 0);
  const firstSeen = spec.perMinute[0]![0];
  const last = spec.perMinute[spec.perMinute.length - 1]![0];
  const lastSeen = new Date(Date.parse(last) + 59_000).toISOString();
  const operations = spec.operations ?? ["PutBlob"];
  const services = spec.services ?? ["blob"];
  const callers: CallerSummary[] = (
    spec.callers ?? [{ ip: "10.1.2.3", userAgent: "azsdk-js-storage-blob/12.26.0", count }]
  ).map((c) => ({ firstSeen, lastSeen, ...c }) as CallerSummary);
  return {
    id: incidentIdOf(key),
    account,
    services,
    statusCode,
    errorCode,
    authType,
    operations,
    count,
    firstSeen,
    lastSeen,
    decision: rule.decision,
    guidance: rule.guidance,
    clusters: operations.map((operation) => ({
      service: services[0]!,
      operation,
      count: Math.ceil(count / operations.length),
      firstSeen,
      lastSeen,
    })),
    callers,
    perMinute: spec.perMinute,
    sampleUris: spec.sampleUris ?? [
      `https://${account}.blob.core.windows.net/data/report.csv?sv=2022-11-02&sig=REDACTED`,
    ],
    sampleObjectKeys: ["/contosodata/data/report.csv"],
    sasWindows: [],
    operationVersions: { "2023-11-03": count },
    changes: spec.changes ?? [],
    clockSkew: { suspected: (spec.skew ?? []).length > 0, evidence: spec.skew ?? [] },
    severity: count,
  };
}

export function regenerateKeyChange(time: string, score = 0.9): ChangeCandidate {
  return {
    source: "activity",
    time,
    operation: "Microsoft.Storage/storageAccounts/regenerateKey/action",
    resourceId:
      "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosodata",
    caller: "ops@contoso.com",
    summary: "key1 was regenerated 2 minutes before the first failure",
    score,
    why: "failing callers sign with key1; onset follows the regeneration",
  };
}

export function sdkUpgradeChange(time: string, score = 0.6): ChangeCandidate {
  return {
    source: "logs",
    time,
    operation: "user-agent-change",
    resourceId:
      "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosodata",
    caller: "10.1.2.3",
    summary: "the failing caller's SDK changed at onset",
    score,
    why: "UserAgentHeader changed from 12.25.0 to 12.26.0 at the first failure",
    before: "azsdk-js-storage-blob/12.25.0",
    after: "azsdk-js-storage-blob/12.26.0",
  };
}
