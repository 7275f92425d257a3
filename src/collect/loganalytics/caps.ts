import { DEFAULT_CLUSTER_LIMITS, NO_VERSION, OTHER_VERSIONS } from "../../cluster/aggregator.js";

/**
 * Bounds of one ClusterPartial built from Log Analytics results: the local engine's own limits, applied
 * server-side by the queries and again when results are converted and merged, so the same rows give the
 * same partials through either path.
 */
export interface PartialCaps {
  /** Top callers kept per cluster. */
  callers: number;
  /** Distinct sample URIs kept per cluster. */
  sampleUris: number;
  /** Distinct sample object keys kept per cluster. */
  sampleObjectKeys: number;
  /** Distinct SAS (st, se) windows kept per cluster; the rest are counted in one entry without st/se. */
  sasWindows: number;
  /** Distinct OperationVersion values kept per cluster; the rest are counted under OTHER_VERSIONS. */
  operationVersions: number;
}

export { NO_VERSION, OTHER_VERSIONS };

export const DEFAULT_PARTIAL_CAPS: PartialCaps = {
  callers: DEFAULT_CLUSTER_LIMITS.topCallers,
  sampleUris: DEFAULT_CLUSTER_LIMITS.sampleUris,
  sampleObjectKeys: DEFAULT_CLUSTER_LIMITS.sampleObjectKeys,
  sasWindows: DEFAULT_CLUSTER_LIMITS.sasWindows,
  operationVersions: DEFAULT_CLUSTER_LIMITS.operationVersions,
};
