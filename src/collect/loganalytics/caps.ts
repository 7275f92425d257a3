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
  /** Distinct SAS (st, se) windows kept per cluster. */
  sasWindows: number;
}

export const DEFAULT_PARTIAL_CAPS: PartialCaps = {
  callers: 10,
  sampleUris: 5,
  sampleObjectKeys: 5,
  sasWindows: 10,
};
