import {
  DEFAULT_CLUSTER_LIMITS,
  NO_VERSION,
  OTHER_VERSIONS,
  type ClusterLimits,
} from "../../cluster/aggregator.js";

/**
 * Bounds of one ClusterPartial built from Log Analytics results: the local engine's own limits, applied
 * server-side by the queries and again when results are converted and merged, so the same rows give the
 * same partials through either path.
 */
export type PartialCaps = ClusterLimits;

export { NO_VERSION, OTHER_VERSIONS };

export const DEFAULT_PARTIAL_CAPS: PartialCaps = DEFAULT_CLUSTER_LIMITS;

/**
 * Bounds of the root-cause evidence query, which reads every request (successes too) of the accounts
 * with failures. Callers are kept by rank: the busiest failing callers of each challenge (account and
 * outcome), and the busiest callers that never failed, the baseline failing callers are compared with.
 * Callers past the caps are left out and counted per account (`truncated.droppedCallers`); accounts are
 * queried in groups, and a truncated answer is split (accounts, then time) like the cluster query.
 */
export interface EvidenceQueryCaps {
  /** Failing callers kept per account and challenge (`<status>|<error code>|<auth type>`), by failures. */
  topCallersPerChallenge: number;
  /** Callers without failures kept per account, by requests. */
  topOkCallersPerAccount: number;
  /** Accounts per evidence query; more are queried in several groups. */
  accountsPerQuery: number;
}

export const DEFAULT_EVIDENCE_QUERY_CAPS: EvidenceQueryCaps = {
  topCallersPerChallenge: 100,
  topOkCallersPerAccount: 200,
  accountsPerQuery: 50,
};
