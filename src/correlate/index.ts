/** Root-cause stage: the public API other modules use. */
export {
  createRootCauseExplainer,
  explainFromEvidence,
  LocalRootCauseExplainer,
  normalisedActivityOf,
  type RootCauseExplainerOptions,
  type RootCauseResult,
} from "./explainer.js";
export {
  ACTIVITY_BIN_MS,
  CALLER_DIMENSIONS,
  DEFAULT_EVIDENCE_LIMITS,
  EvidenceIndex,
  EvidenceObserver,
  OTHER_VALUE,
  accountResourceIdOf,
  callerIdentityOf,
  challengeOutcome,
  credentialOf,
  emptyEvidence,
  mergeEvidence,
  outcomeOf,
  sasTimesOf,
  type AccountResourceRecord,
  type CallerActivityRecord,
  type CallerDimension,
  type CallerValueRecord,
  type EvidenceLimits,
  type RootCauseEvidence,
} from "./evidence.js";
export { normaliseActivity, phaseOf, type ActivityChange, type NormalisedActivity } from "./activity.js";
export { CATALOG, catalogEntryFor, type CatalogEntry, type FitRule } from "./catalog.js";
export { describeChange, describeRootCause, isRbacPropagation } from "./describe.js";
export { guidanceWithRootCause } from "./guidance.js";
export {
  parseRootCauseSettings,
  rootCauseSettingsSchema,
  type RootCauseSettings,
  type RootCauseSettingsInput,
} from "./settings.js";
export type { CallerApp, ScopeRelation } from "./scope.js";
