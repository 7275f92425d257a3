import type { ChangeCandidate } from "../model/incident.js";
import type { ActivityChange } from "./activity.js";
import {
  catalogEntryFor,
  factsOf,
  fitOf,
  type ChangeFacts,
  type FitRule,
  type IncidentFacts,
} from "./catalog.js";
import { fmtDuration, fmtTime, round3, shortResource } from "./format.js";
import { relationOf, relationWords, SCOPE_FACTORS, type AccountPlacement, type CallerApp } from "./scope.js";
import type { RootCauseSettings } from "./settings.js";

/**
 * Ranks AzureActivity changes for one incident:
 *
 *   score = fit × scope × (0.6 + 0.4 × 0.5^(Δ / halfLife)) × (confirmed ? 1 : 0.8)
 *
 * fit (0..1, catalog) says how well the change explains this error code and auth type; scope (1 for the
 * account down to 0.4 for another resource group; 0 for another subscription or account) how close it
 * is; Δ is the time from the change to onset, so closeness breaks ties but never outweighs fit. A change
 * that started after onset cannot cause it and is skipped, as is anything older than the lookback.
 */

export interface ScoredCandidate {
  candidate: ChangeCandidate;
  fit: number;
  correlationId?: string;
}

export interface ActivityRankContext {
  incident: IncidentFacts;
  account: AccountPlacement;
  apps: readonly CallerApp[];
  windowToMs: number;
  settings: RootCauseSettings;
}

const KIND_ADVICE: Readonly<Record<string, string>> = {
  "shared-key-disabled":
    "move these callers to Microsoft Entra ID (OAuth) or user delegation SAS, or re-enable Shared Key deliberately; do not rotate keys, new keys are refused too",
  "network-rules-changed":
    "allow the failing callers' addresses or subnets (or give them a private endpoint); do not disable the firewall account-wide and do not add RBAC roles",
  "public-access-disabled":
    "give the anonymous readers a SAS or an identity, or re-enable public access if the data is meant to be public",
  "sas-policy-changed": "mint SAS within the policy's maximum lifetime",
  "key-policy-changed": "check whether a key was also regenerated at that time",
  "storage-account-changed":
    "open the change in the Activity log (Change history) to see which setting it changed",
  "rbac-propagation":
    "nothing to fix: the new role took effect on its own; next time allow up to 10 minutes (longer at group or subscription scope) before the first call",
};

function roleWords(f: ChangeFacts): string {
  if (f.roleName) return f.roleName;
  if (f.roleDefinitionId) return `role ${f.roleDefinitionId.split("/").pop()}`;
  return "a role";
}

function summaryOf(
  kind: string,
  entryLabel: string,
  change: ActivityChange,
  f: ChangeFacts,
  account: string,
): string {
  switch (kind) {
    case "key-regenerated":
      return `${f.keyName ?? "An account key"} of ${account} was regenerated`;
    case "shared-key-disabled":
      return `Shared Key access was disabled on ${account} (allowSharedKeyAccess=false)`;
    case "network-rules-changed": {
      const parts: string[] = [];
      if (f.publicNetworkAccess) parts.push(`publicNetworkAccess=${f.publicNetworkAccess}`);
      if (f.networkAclsDefaultAction) parts.push(`defaultAction=${f.networkAclsDefaultAction}`);
      if (f.networkIpRules !== undefined) parts.push(`${f.networkIpRules} IP rule(s)`);
      if (f.networkVnetRules !== undefined) parts.push(`${f.networkVnetRules} virtual-network rule(s)`);
      return `Network rules of ${account} changed${parts.length ? ` (${parts.join(", ")})` : ""}`;
    }
    case "public-access-disabled":
      return `Anonymous blob access was disabled on ${account} (allowBlobPublicAccess=false)`;
    case "sas-policy-changed":
      return `The SAS expiration policy of ${account} changed`;
    case "key-policy-changed":
      return `The key expiration policy of ${account} changed`;
    case "storage-account-changed":
      return `Settings of ${account} changed (the request body was not logged)`;
    case "role-assignment-removed":
      return `Role assignment removed: ${roleWords(f)} for principal ${f.principalId ?? "(not logged)"}`;
    case "role-assignment-created":
      return `Role assignment created: ${roleWords(f)} for principal ${f.principalId ?? "(not logged)"}`;
    case "rbac-propagation":
      return `RBAC propagation delay after a new role assignment (${roleWords(f)} for principal ${f.principalId ?? "(not logged)"}): the failures stopped on their own, this is not an outage`;
    default:
      return `${entryLabel[0]!.toUpperCase()}${entryLabel.slice(1)}: ${shortResource(change.resourceId)}`;
  }
}

function adviceOf(kind: string, template: string, f: ChangeFacts): string {
  const t = KIND_ADVICE[kind] ?? template;
  return t
    .replaceAll("{key}", f.keyName ?? "key")
    .replaceAll("{role}", roleWords(f))
    .replaceAll("{principal}", f.principalId ?? "the failing principal")
    .replaceAll("{scope}", f.scope ?? "the account")
    .replaceAll("{what}", KIND_ADVICE["storage-account-changed"]!);
}

interface PropagationVerdict {
  fit: number;
  note: string;
}

/** Failures that start right after a role assignment was created and stop on their own. */
function propagationOf(
  change: ActivityChange,
  f: ChangeFacts,
  ctx: ActivityRankContext,
): PropagationVerdict | undefined {
  const inc = ctx.incident;
  const s = ctx.settings;
  if (
    inc.errorCode.toLowerCase() !== "authorizationpermissionmismatch" ||
    inc.authType.toLowerCase() !== "oauth"
  )
    return undefined;
  const principalMatches = f.principalId !== undefined && inc.principals.has(f.principalId);
  const principalUnknown = f.principalId === undefined || inc.principals.size === 0;
  if (!principalMatches && !principalUnknown) return undefined;
  const startDelay = inc.onsetMs - change.timeMs;
  const stoppedAfter = inc.lastSeenMs - change.timeMs;
  const quiet = ctx.windowToMs - inc.lastSeenMs;
  if (startDelay > s.propagationOnsetMs || stoppedAfter > s.propagationMaxMs || quiet < s.quietMs)
    return undefined;
  return {
    fit: principalMatches ? 0.95 : 0.75,
    note:
      `failures began ${fmtDuration(Math.max(0, startDelay))} after the assignment and stopped ${fmtDuration(stoppedAfter)} after it ` +
      `(last failure ${fmtTime(inc.lastSeenMs, inc.onsetMs)}, none in the ${fmtDuration(quiet)} since), ` +
      `as role assignments take minutes to propagate` +
      (principalMatches
        ? "; the assignment names the failing principal"
        : "; the assignment's principal could not be matched"),
  };
}

/** Candidates from AzureActivity for one incident, unsorted. */
export function rankActivity(
  changes: readonly ActivityChange[],
  ctx: ActivityRankContext,
): ScoredCandidate[] {
  const s = ctx.settings;
  const onset = ctx.incident.onsetMs;
  const out: ScoredCandidate[] = [];
  for (const change of changes) {
    if (change.startMs > onset + s.onsetToleranceMs) continue; // after onset: cannot be the cause
    const delta = Math.max(0, onset - change.timeMs);
    if (delta > s.lookbackMs) continue;
    const entry = catalogEntryFor(change.operationKey);
    if (!entry || entry.noise) continue;
    const facts = factsOf(change);
    const relation = relationOf(entry.placement, change, facts, ctx.account, ctx.apps);
    const scope = SCOPE_FACTORS[relation];
    if (scope === 0) continue;

    let kind: string;
    let fit: number;
    let note: string;
    const propagation =
      entry.kind === "role-assignment-created" ? propagationOf(change, facts, ctx) : undefined;
    if (propagation) {
      kind = "rbac-propagation";
      fit = propagation.fit;
      note = propagation.note;
    } else {
      const rule: FitRule | undefined = fitOf(entry, facts, ctx.incident, change.timeMs);
      if (!rule) continue;
      kind = rule.kind ?? entry.kind;
      fit = rule.strength;
      note = rule.note;
    }
    const timeWeight = 0.6 + 0.4 * Math.pow(0.5, delta / s.halfLifeMs);
    const confirmWeight = change.confirmed ? 1 : 0.8;
    const score = fit * scope * timeWeight * confirmWeight;
    const when =
      change.timeMs <= onset
        ? `${fmtDuration(delta)} before the first failure (${fmtTime(onset, onset)})`
        : `while the first failures (${fmtTime(onset, onset)}) were arriving`;
    const why =
      `${change.operation} ${relationWords(relation, ctx.account, change)} at ${fmtTime(change.timeMs, onset)} by ${change.caller}, ${when}; ${note}.` +
      (change.confirmed ? "" : " Only its start was logged, so its outcome is unknown.");
    const candidate: ChangeCandidate = {
      source: "activity",
      time: new Date(change.timeMs).toISOString(),
      operation: change.operation,
      resourceId: change.resourceId,
      caller: change.caller,
      summary: summaryOf(kind, entry.label, change, facts, ctx.account.account),
      score: round3(Math.min(1, score)),
      why,
      kind,
      advice: adviceOf(kind, entry.advice, facts),
    };
    const scored: ScoredCandidate = { candidate, fit };
    if (change.correlationId) scored.correlationId = change.correlationId;
    out.push(scored);
  }
  return linkDeployments(out);
}

/** A deployment whose child change is itself a candidate adds nothing: name it in the child's `why` instead. */
function linkDeployments(scored: ScoredCandidate[]): ScoredCandidate[] {
  const deployments = scored.filter((s) => s.candidate.kind === "deployment" && s.correlationId);
  if (deployments.length === 0) return scored;
  const drop = new Set<ScoredCandidate>();
  for (const d of deployments) {
    const children = scored.filter((s) => s !== d && s.correlationId === d.correlationId);
    if (children.length === 0) continue;
    drop.add(d);
    for (const c of children)
      c.candidate.why += ` It was part of deployment ${shortResource(d.candidate.resourceId, 1)}.`;
  }
  return scored.filter((s) => !drop.has(s));
}
