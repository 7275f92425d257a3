import { systemClock, type Clock } from "../clock.js";
import type { EvidenceCapsReport } from "../engine/caps.js";
import type { RootCauseContext, RootCauseExplainer } from "../engine/contracts.js";
import type { ActivityEvent } from "../model/activity.js";
import type { ChangeCandidate, ClockSkewAssessment, Incident } from "../model/incident.js";
import { normaliseActivity, type NormalisedActivity } from "./activity.js";
import type { IncidentFacts } from "./catalog.js";
import {
  challengeOutcome,
  DEFAULT_EVIDENCE_LIMITS,
  EvidenceIndex,
  EvidenceObserver,
  lookupKeyOf,
  type EvidenceLimits,
  type RootCauseEvidence,
} from "./evidence.js";
import { detectLogChanges, failingCallersOf } from "./log-changes.js";
import { rankActivity, type ScoredCandidate } from "./rank.js";
import { placeAccount } from "./scope.js";
import { parseRootCauseSettings, type RootCauseSettings, type RootCauseSettingsInput } from "./settings.js";
import { assessClockSkew } from "./skew.js";
import { compareText } from "../order.js";

export interface RootCauseResult {
  changes: ChangeCandidate[];
  clockSkew: ClockSkewAssessment;
}

const normalisedCache = new WeakMap<readonly ActivityEvent[], NormalisedActivity>();

/** Normalises an activity array once, however many incidents are explained against it. */
export function normalisedActivityOf(activity: readonly ActivityEvent[]): NormalisedActivity {
  let n = normalisedCache.get(activity);
  if (!n) {
    n = normaliseActivity(activity);
    normalisedCache.set(activity, n);
  }
  return n;
}

function parseMs(iso: string, field: string, incident: Incident): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms))
    throw new Error(`incident ${incident.id}: field ${field}: not an ISO time: ${JSON.stringify(iso)}`);
  return ms;
}

function incidentFacts(
  incident: Incident,
  index: EvidenceIndex,
  onsetMs: number,
  lastSeenMs: number,
): IncidentFacts {
  const facts: IncidentFacts = {
    account: incident.account.toLowerCase(),
    statusCode: incident.statusCode,
    errorCode: incident.errorCode,
    authType: incident.authType,
    onsetMs,
    lastSeenMs,
    keySlots: new Set(),
    principals: new Set(),
    ips: new Set(),
    userDelegationSas: incident.sampleUris.some((u) => /[?&]skoid=/i.test(u)),
    keyLastSucceededMs: new Map(),
  };
  for (const c of incident.callers) {
    if (c.keySlot) facts.keySlots.add(c.keySlot);
    if (c.requesterObjectId) facts.principals.add(c.requesterObjectId.toLowerCase());
    if (c.ip) facts.ips.add(c.ip);
  }
  const outcome = challengeOutcome(incident.statusCode, incident.errorCode, incident.authType);
  // Each failing caller's records read once for the three dimensions (hundreds of callers an incident).
  const keySlot = lookupKeyOf(outcome, "keySlot");
  const callerIp = lookupKeyOf(outcome, "callerIp");
  const credential = lookupKeyOf(outcome, "credential");
  const failingKeys = new Set<string>();
  for (const { view } of failingCallersOf(index, incident.account, outcome)) {
    if (view.caller.startsWith("oid:")) facts.principals.add(view.caller.slice(4));
    if (view.caller.startsWith("ip:")) facts.ips.add(view.caller.slice(3));
    for (let i = 0; i < view.keys.length; i++) {
      const key = view.keys[i];
      if (key === keySlot) facts.keySlots.add(view.records[i]!.value);
      else if (key === callerIp) facts.ips.add(view.records[i]!.value);
      else if (key === credential && /^key[12]\(/.test(view.records[i]!.value))
        failingKeys.add(view.records[i]!.value);
    }
  }
  if (failingKeys.size) {
    const succeeded = index.recordsByValue(incident.account, "ok", "credential");
    for (const key of failingKeys) {
      for (const r of succeeded.get(key) ?? []) {
        const slot = r.value.slice(0, 4);
        facts.keyLastSucceededMs.set(slot, Math.max(facts.keyLastSucceededMs.get(slot) ?? 0, r.lastMs));
      }
    }
  }
  return facts;
}

function compareScored(a: ScoredCandidate, b: ScoredCandidate): number {
  return (
    b.candidate.score - a.candidate.score ||
    b.fit - a.fit ||
    Date.parse(b.candidate.time) - Date.parse(a.candidate.time) ||
    compareText(a.candidate.operation, b.candidate.operation) ||
    compareText(a.candidate.resourceId, b.candidate.resourceId)
  );
}

/**
 * Explains one incident from evidence records (local observer or Log Analytics summaries) and
 * AzureActivity events. Pure: same inputs, same output.
 */
export function explainFromEvidence(
  incident: Incident,
  activity: readonly ActivityEvent[],
  evidence: RootCauseEvidence | EvidenceIndex,
  context: RootCauseContext,
  settings: RootCauseSettings,
): RootCauseResult {
  const index = evidence instanceof EvidenceIndex ? evidence : new EvidenceIndex(evidence);
  const onsetMs = parseMs(incident.firstSeen, "firstSeen", incident);
  const lastSeenMs = parseMs(incident.lastSeen, "lastSeen", incident);
  const { changes } = normalisedActivityOf(activity);
  const configuredId = Object.entries(settings.accountResourceIds).find(
    ([k]) => k.toLowerCase() === incident.account.toLowerCase(),
  )?.[1];
  const knownId = configuredId ?? index.accountResourceId(incident.account) ?? context.accountResourceId;
  const account = placeAccount(incident.account, knownId, changes);
  const facts = incidentFacts(incident, index, onsetMs, lastSeenMs);
  // A configured app counts as "the calling app" when it calls this account and, if it names its
  // addresses or principals, when one of them is among the failing callers.
  const apps = settings.apps.filter((a) => {
    if (a.accounts?.length && !a.accounts.some((x) => x.toLowerCase() === account.account)) return false;
    const named = (a.callerIps?.length ?? 0) + (a.principalIds?.length ?? 0);
    if (named === 0) return true;
    return (
      (a.callerIps ?? []).some((ip) => facts.ips.has(ip)) ||
      (a.principalIds ?? []).some((p) => facts.principals.has(p.toLowerCase()))
    );
  });
  const activityScored = rankActivity(changes, {
    incident: facts,
    account,
    apps,
    windowToMs: context.windowToMs,
    settings,
  });
  const logs = detectLogChanges(
    index,
    {
      account: incident.account,
      statusCode: incident.statusCode,
      errorCode: incident.errorCode,
      authType: incident.authType,
      onsetMs,
    },
    knownId ?? account.resourceId ?? incident.account,
    settings,
  );
  const ranked = [...activityScored, ...logs.candidates]
    .filter((s) => s.candidate.score >= settings.minScore)
    .sort(compareScored)
    .slice(0, settings.maxCandidates)
    .map((s) => s.candidate);
  const clockSkew = assessClockSkew({
    incident,
    onsetMs,
    lastSeenMs,
    index,
    changes,
    ranked,
    changedCallers: logs.changedCallers,
    settings,
  });
  return { changes: ranked, clockSkew };
}

export interface RootCauseExplainerOptions {
  /** Used when `explain` gets no window: the window ends now. */
  clock?: Clock;
  /** Validated with zod (see settings.ts); a bad field throws naming it. */
  settings?: RootCauseSettingsInput;
  /** Memory caps of the observer. */
  limits?: Partial<EvidenceLimits>;
}

/** The local engine's root-cause stage: an observer for every request plus `explain` per incident. */
export class LocalRootCauseExplainer implements RootCauseExplainer {
  readonly observer: EvidenceObserver;
  readonly settings: RootCauseSettings;
  private readonly clock: Clock;
  private indexFor: { evidence: RootCauseEvidence; index: EvidenceIndex } | undefined;

  constructor(options: RootCauseExplainerOptions = {}) {
    this.settings = parseRootCauseSettings(options.settings ?? {});
    this.clock = options.clock ?? systemClock;
    this.observer = new EvidenceObserver({ ...DEFAULT_EVIDENCE_LIMITS, ...options.limits });
  }

  /** The evidence records learnt so far (to persist, merge or compare with Log Analytics). */
  evidence(): RootCauseEvidence {
    return this.observer.evidence();
  }

  capsReached(): EvidenceCapsReport {
    return this.observer.capsReached();
  }

  explain(
    incident: Incident,
    activity: readonly ActivityEvent[],
    context?: RootCauseContext,
  ): RootCauseResult {
    const evidence = this.observer.liveEvidence();
    if (this.indexFor?.evidence !== evidence)
      this.indexFor = { evidence, index: new EvidenceIndex(evidence) };
    const onsetMs = Date.parse(incident.firstSeen);
    const ctx: RootCauseContext = context ?? {
      windowFromMs: onsetMs - this.settings.lookbackMs,
      windowToMs: this.clock.now().getTime(),
    };
    return explainFromEvidence(incident, activity, this.indexFor.index, ctx, this.settings);
  }
}

/** Factory the engine uses: `createRootCauseExplainer({ clock, settings })`. */
export function createRootCauseExplainer(options: RootCauseExplainerOptions = {}): LocalRootCauseExplainer {
  return new LocalRootCauseExplainer(options);
}
