/**
 * Bounds of one ClusterPartial built from Log Analytics results. They mirror the local engine's caps so
 * that the same rows give the same partials through either path; the server-side queries apply the same
 * numbers, so a result row's size is bounded too.
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

/** Version bucket for values beyond the cap (the engine's OTHER_VERSIONS). */
export const OTHER_VERSIONS = "(other)";
/** Version bucket for requests that sent no x-ms-version (the engine's NO_VERSION). */
export const NO_VERSION = "(none)";

/** The local engine's DEFAULT_CLUSTER_LIMITS (src/cluster/aggregator.ts). */
export const DEFAULT_PARTIAL_CAPS: PartialCaps = {
  callers: 20,
  sampleUris: 5,
  sampleObjectKeys: 10,
  sasWindows: 20,
  operationVersions: 20,
};
