import {
  DECISIONS,
  incidentIdOf,
  type CallerSummary,
  type ChangeCandidate,
  type Decision,
  type Incident,
} from "../../src/model/incident.js";
import type { ServiceType } from "../../src/model/storage-request.js";
import { SnapshotIncidentReader } from "../../src/dashboard/snapshot-reader.js";
import type {
  IncidentQuery,
  IncidentRecord,
  IncidentStatus,
  NotificationRecord,
} from "../../src/state/contracts.js";

/**
 * Fixture-backed IncidentReader for dashboard tests: the read-only snapshot reader over records built
 * from the model types, recording the queries it was asked so tests can check what the API passed on.
 * The real stores (memory, Table storage) come from the timer.
 */
export class FixtureIncidentReader extends SnapshotIncidentReader {
  readonly listCalls: IncidentQuery[] = [];

  override async list(query: IncidentQuery): Promise<{ total: number; items: IncidentRecord[] }> {
    this.listCalls.push({ ...query });
    return super.list(query);
  }
}

const GUIDANCE: Record<
  Decision,
  { errorCode: string; statusCode: number; authType: string; summary: string; avoid: string }
> = {
  authentication: {
    errorCode: "AuthenticationFailed",
    statusCode: 403,
    authType: "AccountKey",
    summary: "Shared Key signatures are rejected.",
    avoid: "Do not rotate or regenerate account keys before proving the signature itself is wrong.",
  },
  rbac: {
    errorCode: "AuthorizationPermissionMismatch",
    statusCode: 403,
    authType: "OAuth",
    summary: "The identity authenticated but lacks a data-plane role for this operation.",
    avoid: "Do not switch the caller to account keys to get around a missing role.",
  },
  sas: {
    errorCode: "AuthenticationFailed",
    statusCode: 403,
    authType: "SAS",
    summary: "A SAS failed validation.",
    avoid: "Do not regenerate keys to fix an expired or mis-scoped SAS.",
  },
  network: {
    errorCode: "AuthorizationFailure",
    statusCode: 403,
    authType: "OAuth",
    summary: "The storage firewall rejected the caller's network.",
    avoid: "Do not add RBAC roles: this is a network rejection.",
  },
  policy: {
    errorCode: "KeyBasedAuthenticationNotPermitted",
    statusCode: 403,
    authType: "AccountKey",
    summary: "Shared Key authorization is disabled on the account.",
    avoid: "Do not re-enable Shared Key access account-wide to unblock one caller.",
  },
};

export interface IncidentSpec {
  account: string;
  decision: Decision;
  /** Onset (ISO minute) and per-minute failures from there on. */
  start: string;
  perMinute: number[];
  status?: IncidentStatus;
  errorCode?: string;
  services?: ServiceType[];
  operations?: string[];
  callers?: Partial<CallerSummary>[];
  changes?: Partial<ChangeCandidate>[];
  sampleUris?: string[];
  sampleObjectKeys?: string[];
  skewEvidence?: string[];
  notifications?: NotificationRecord[];
}

const MINUTE = 60_000;

/** Builds a consistent IncidentRecord: counts, first/last seen and clusters all follow from perMinute. */
export function makeRecord(spec: IncidentSpec): IncidentRecord {
  const g = GUIDANCE[spec.decision];
  const errorCode = spec.errorCode ?? g.errorCode;
  const startMs = Date.parse(spec.start);
  const perMinute: Array<[string, number]> = [];
  spec.perMinute.forEach((n, i) => {
    if (n > 0) perMinute.push([new Date(startMs + i * MINUTE).toISOString(), n]);
  });
  const count = perMinute.reduce((s, [, n]) => s + n, 0);
  const firstSeen = perMinute[0]?.[0] ?? spec.start;
  const lastSeen = perMinute.at(-1)?.[0] ?? spec.start;
  const services = spec.services ?? ["blob"];
  const operations = spec.operations ?? ["GetBlob", "PutBlob"];
  const key = { account: spec.account, statusCode: g.statusCode, errorCode, authType: g.authType };
  const callers: CallerSummary[] = (spec.callers ?? [{}]).map((c, i) => ({
    ip: `10.0.0.${i + 4}`,
    userAgent: "azsdk-js-storage-blob/12.32.0 (NODE-VERSION v22.23.3; Linux)",
    count: Math.max(1, Math.floor(count / (i + 2))),
    firstSeen,
    lastSeen,
    ...c,
  }));
  const changes: ChangeCandidate[] = (spec.changes ?? []).map((c, i) => ({
    source: "activity",
    time: new Date(startMs - (i + 2) * MINUTE).toISOString(),
    operation: "Microsoft.Storage/storageAccounts/regenerateKey/action",
    resourceId: `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${spec.account}`,
    caller: "ops@contoso.example",
    summary: "key1 regenerated",
    score: 0.9 - i * 0.3,
    why: "succeeded 2 minutes before onset; the failing callers sign with key1",
    ...c,
  }));
  const incident: Incident = {
    id: incidentIdOf(key),
    account: spec.account,
    services,
    statusCode: g.statusCode,
    errorCode,
    authType: g.authType,
    operations,
    count,
    firstSeen,
    lastSeen,
    decision: spec.decision,
    guidance: {
      summary: g.summary,
      steps: ["Check what changed just before onset.", "Replay one failing request with the fix."],
      avoid: [g.avoid, "Do not log raw Authorization headers, SAS tokens or keys while debugging."],
    },
    clusters: operations.map((operation, i) => ({
      service: services[i % services.length]!,
      operation,
      count: i === 0 ? count - (operations.length - 1) : 1,
      firstSeen,
      lastSeen,
    })),
    callers,
    perMinute,
    sampleUris: spec.sampleUris ?? [
      `https://${spec.account}.blob.core.windows.net/data/report.csv?sv=2025-01-05&sig=REDACTED`,
    ],
    sampleObjectKeys: spec.sampleObjectKeys ?? [`/${spec.account}/data/report.csv`],
    sasWindows:
      spec.decision === "sas"
        ? [{ st: firstSeen, se: firstSeen, count, expired: count, notYetValid: 0 }]
        : [],
    operationVersions: { "2025-01-05": count },
    changes,
    clockSkew: { suspected: (spec.skewEvidence ?? []).length > 0, evidence: spec.skewEvidence ?? [] },
    severity: count,
  };
  const status = spec.status ?? "open";
  const record: IncidentRecord = {
    incident,
    status,
    openedAt: firstSeen,
    updatedAt: lastSeen,
    notifications: spec.notifications ?? [],
  };
  if (status === "resolved") record.resolvedAt = new Date(Date.parse(lastSeen) + 15 * MINUTE).toISOString();
  return record;
}

/** Deterministic PRNG (mulberry32) so generated fixtures are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct incidents over a 6-hour window, spread over accounts and verdicts. */
export function manyRecords(n: number, seed = 7): IncidentRecord[] {
  const random = seededRandom(seed);
  const records: IncidentRecord[] = [];
  for (let i = 0; i < n; i++) {
    const decision = DECISIONS[i % DECISIONS.length]!;
    const minutes = 5 + Math.floor(random() * 120);
    const startOffset = Math.floor(random() * 240);
    const perMinute = Array.from({ length: minutes }, () => Math.floor(random() * 20));
    perMinute[0] = Math.max(1, perMinute[0]!);
    records.push(
      makeRecord({
        // The account index makes every (account, verdict) challenge, hence every id, distinct.
        account: `stacct${String(i).padStart(4, "0")}`,
        decision,
        start: new Date(Date.parse("2026-11-22T08:00:00Z") + startOffset * MINUTE).toISOString(),
        perMinute,
        status: random() < 0.3 ? "resolved" : "open",
        changes: random() < 0.6 ? [{ summary: `change ${i}` }] : [],
      }),
    );
  }
  return records;
}
