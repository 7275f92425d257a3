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
