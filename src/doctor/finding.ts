import type { Decision } from "../model/incident.js";

/** One thing the request doctor found, in the order it matters. */
export interface Finding {
  /** Stable identifier, e.g. `sas-expired`; tests and JSON consumers key on it. */
  id: string;
  severity: "error" | "warning" | "info";
  title: string;
  /** Plain words: what is wrong, why, and what to do. Never contains a secret. */
  detail: string;
  /** Which verdict this finding points to. */
  decision: Decision;
  /** True when the finding is evidence of clock skew. */
  clockSkew?: boolean;
}

const SEVERITY_ORDER: Record<Finding["severity"], number> = { error: 0, warning: 1, info: 2 };

/** Errors before warnings before notes; within a severity, the order the checks ran (stable sort). */
export function orderFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
