import { classifyChallenge } from "../classify/classify.js";
import {
  DEFAULT_CLUSTER_LIMITS,
  mergePartials,
  mergeSasWindows,
  mergeVersions,
  type ClusterLimits,
} from "../cluster/aggregator.js";
import { sumSeries, toIsoSeries } from "../cluster/failure-series.js";
import { TopCallers } from "../cluster/top-callers.js";
import { normaliseActivity } from "../correlate/activity.js";
import { guidanceWithRootCause } from "../correlate/guidance.js";
import type { RootCauseExplainer } from "../engine/contracts.js";
import type { ActivityEvent } from "../model/activity.js";
import {
  challengeOf,
  incidentIdOf,
  type ChallengeKey,
  type ClusterPartial,
  type Decision,
  type Incident,
  type RemedyEvidence,
} from "../model/incident.js";
import type { ServiceType } from "../model/storage-request.js";
import { SERVICE_TYPES } from "../model/storage-request.js";
import { buildRemedy } from "../remedy/build.js";
import { mergeEvidence } from "../remedy/evidence.js";
import { compareText } from "../order.js";

export interface BuildIncidentsOptions {
  activity: readonly ActivityEvent[];
  explainer?: RootCauseExplainer;
  /** The analysis window (epoch ms): incidents depend only on the data and the window, never on "now". */
  window: { fromMs: number; toMs: number };
  limits?: Partial<ClusterLimits>;
  /**
   * The partials are already mergePartials' output under the same limits (resultFromSlices merges
   * slices with totalsOf): merging them again would change nothing, and copy every cluster.
   */
  merged?: boolean;
}

/**
 * How much more an account-wide or pre-authentication refusal weighs than a per-caller one: a policy
 * (e.g. Shared Key disabled) or network rule refuses every caller of its kind at once, a signature
 * problem usually breaks a whole application, while RBAC and SAS problems usually hit one principal or
 * one token.
 */
export const DECISION_WEIGHT: Record<Decision, number> = {
  policy: 1.5,
  network: 1.4,
  authentication: 1.2,
  rbac: 1.0,
  sas: 1.0,
};

/** An incident still failing this close to the end of the window counts as ongoing. */
export const ONGOING_MS = 10 * 60_000;
export const ONGOING_FACTOR = 1.25;

/**
 * Severity (higher is more severe), documented in docs/cli.md:
 *   weight(decision) × (2·log10(1 + failures) + log2(1 + operations) + log2(1 + distinct callers)
 *                       + (services − 1)) × (1.25 if still failing in the last 10 minutes of the window)
 * Volume dominates, breadth (operations, callers, services) lifts incidents that hit many things at
 * once, and the decision weight puts account-wide causes first. Logarithms keep one noisy caller from
 * drowning an outage of many operations.
 */
export function severityOf(
  i: Pick<Incident, "count" | "operations" | "callers" | "services" | "decision">,
  lastSeenMs: number,
  windowToMs: number,
): number {
  const base =
    2 * Math.log10(1 + i.count) +
    Math.log2(1 + i.operations.length) +
    Math.log2(1 + i.callers.length) +
    Math.max(0, i.services.length - 1);
  const ongoing = windowToMs - lastSeenMs <= ONGOING_MS ? ONGOING_FACTOR : 1;
  return Math.round(DECISION_WEIGHT[i.decision] * base * ongoing * 100) / 100;
}

function challengeString(k: ChallengeKey): string {
  return [k.account.toLowerCase(), k.statusCode, k.errorCode, k.authType].join("|");
}

const iso = (ms: number): string => new Date(ms).toISOString();

function incidentFrom(
  challenge: ChallengeKey,
  clusters: ClusterPartial[],
  limits: ClusterLimits,
  windowToMs: number,
): Incident {
  const { decision, guidance, ambiguous } = classifyChallenge(challenge);
  const count = clusters.reduce((n, c) => n + c.count, 0);
  const firstSeenMs = Math.min(...clusters.map((c) => c.firstSeenMs));
  const lastSeenMs = Math.max(...clusters.map((c) => c.lastSeenMs));
  const serviceSet = new Set<ServiceType>(clusters.map((c) => c.key.service));
  const services = SERVICE_TYPES.filter((s) => serviceSet.has(s));
  const operations = [...new Set(clusters.map((c) => c.key.operation))].sort();
  const series = sumSeries(clusters);
  const sampleUris: string[] = [];
  const sampleObjectKeys: string[] = [];
  // Biggest clusters first, so samples and summaries show the dominant operations.
  const ordered = [...clusters].sort(
    (a, b) => b.count - a.count || compareText(a.key.operation, b.key.operation),
  );
  for (const c of ordered) {
    for (const u of c.sampleUris) {
      if (sampleUris.length < limits.sampleUris * 2 && !sampleUris.includes(u)) sampleUris.push(u);
    }
    for (const k of c.sampleObjectKeys) {
      if (sampleObjectKeys.length < limits.sampleObjectKeys && !sampleObjectKeys.includes(k)) {
        sampleObjectKeys.push(k);
      }
    }
  }
  const callers = TopCallers.merge(
    limits.topCallers,
    ordered.map((c) => c.callers),
  );
  const incident: Incident = {
    id: incidentIdOf(challenge),
    account: challenge.account,
    services,
    statusCode: challenge.statusCode,
    errorCode: challenge.errorCode,
    authType: challenge.authType,
    operations,
    count,
    firstSeen: iso(firstSeenMs),
    lastSeen: iso(lastSeenMs),
    decision,
    guidance,
    clusters: ordered.map((c) => ({
      service: c.key.service,
      operation: c.key.operation,
      count: c.count,
      firstSeen: iso(c.firstSeenMs),
      lastSeen: iso(c.lastSeenMs),
    })),
    callers,
    perMinute: toIsoSeries(series.perMinute),
    ...(series.bucketMinutes === undefined ? {} : { bucketMinutes: series.bucketMinutes }),
    sampleUris,
    sampleObjectKeys,
    // The clusters' own merge rules, over the incident's clusters: bounded like each cluster.
    sasWindows: mergeSasWindows(
      ordered.map((c) => c.sasWindows),
      limits.sasWindows,
    ),
    operationVersions: mergeVersions(
      ordered.map((c) => c.operationVersions),
      limits.operationVersions,
    ),
    changes: [],
    clockSkew: { suspected: false, evidence: [] },
    severity: 0,
  };
  if (ambiguous) incident.ambiguous = ambiguous;
  incident.severity = severityOf(incident, lastSeenMs, windowToMs);
  return incident;
}

/**
 * Groups cluster partials (from the local aggregator, Log Analytics or both) into incidents, one per
 * challenge (account, status, error code, auth type), most severe first. Ties break on failures, then
 * on the id, so the order is the same in every run.
 */
export function buildIncidents(partials: readonly ClusterPartial[], opts: BuildIncidentsOptions): Incident[] {
  return buildIncidentsCapped(partials, opts, Number.POSITIVE_INFINITY).incidents;
}

/** Incidents past the incident cap: not listed, counted exactly. */
export interface OmittedIncidents {
  incidents: number;
  failures: number;
}

/**
 * buildIncidents keeping the `maxIncidents` most severe: the rest are counted, not explained or
 * listed. Severity does not depend on the root-cause stage, so the cut is made before explaining.
 */
export function buildIncidentsCapped(
  partials: readonly ClusterPartial[],
  opts: BuildIncidentsOptions,
  maxIncidents: number,
): { incidents: Incident[]; omitted: OmittedIncidents } {
  const limits = { ...DEFAULT_CLUSTER_LIMITS, ...opts.limits };
  const byChallenge = new Map<string, { key: ChallengeKey; clusters: ClusterPartial[] }>();
  for (const p of opts.merged ? partials : mergePartials(partials, limits)) {
    const key = challengeOf(p.key);
    const ks = challengeString(key);
    const group = byChallenge.get(ks);
    if (group) group.clusters.push(p);
    else byChallenge.set(ks, { key, clusters: [p] });
  }
  const groups = [...byChallenge.values()];
  const all = groups
    .map((g) => ({
      incident: incidentFrom(g.key, g.clusters, limits, opts.window.toMs),
      clusters: g.clusters,
    }))
    .sort((x, y) => bySeverity(x.incident, y.incident));
  const listed = all.length > maxIncidents ? all.slice(0, maxIncidents) : all;
  const incidents = listed.map((x) => x.incident);
  const omitted = { incidents: all.length - listed.length, failures: 0 };
  for (let i = listed.length; i < all.length; i++) omitted.failures += all[i]!.incident.count;
  const remedyEvidence = listed.map((x) => mergeEvidence(x.clusters.map((c) => c.remedyEvidence)));
  if (opts.explainer) {
    for (const [k, incident] of incidents.entries()) {
      const resourceId = remedyEvidence[k]?.resourceId;
      const { changes, clockSkew } = opts.explainer.explain(incident, opts.activity, {
        windowFromMs: opts.window.fromMs,
        windowToMs: opts.window.toMs,
        ...(resourceId ? { accountResourceId: resourceId } : {}),
      });
      incident.changes = changes;
      incident.clockSkew = clockSkew;
      // The verdict's guidance names the evidence ("key1 was regenerated at 10:02 by …: update their secret").
      incident.guidance = guidanceWithRootCause(incident);
    }
  }
  // The remedy comes last: it reads the verdict, the ranked causes and the clock-skew assessment.
  const changes = normaliseActivity(opts.activity).changes;
  incidents.forEach((incident, k) => {
    const clusters = listed[k]!.clusters;
    const evidence = remedyEvidence[k];
    const byService: Partial<Record<ServiceType, RemedyEvidence>> = {};
    for (const s of incident.services) {
      const e = mergeEvidence(clusters.filter((c) => c.key.service === s).map((c) => c.remedyEvidence));
      if (e) byService[s] = e;
    }
    incident.remedy = buildRemedy(incident, evidence ? { evidence, byService, changes } : { changes });
  });
  return { incidents: incidents.sort(bySeverity), omitted };
}

function bySeverity(a: Incident, b: Incident): number {
  return b.severity - a.severity || b.count - a.count || compareText(a.id, b.id);
}
