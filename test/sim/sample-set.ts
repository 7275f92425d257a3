/** What `npm run samples` writes into samples/ (scripts/make-samples.ts); tests re-derive the truth from it. */
export const SAMPLE_SET = {
  seed: 20261120,
  start: "2026-11-20T09:00:00.000Z",
  /** Scenarios delivered as a downloaded diagnostic-setting archive (samples/logs/archive/). */
  archive: ["shared-key-disabled", "key-rotation-stale-secret", "firewall-change"],
  /** Scenarios delivered as a Log Analytics CSV export (samples/logs/log-analytics/). */
  export: ["rbac-propagation", "sas-not-yet-valid", "clock-drift-one-host"],
} as const;
