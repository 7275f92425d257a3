import type { Guidance, Incident } from "../model/incident.js";
import { describeRootCause, isRbacPropagation } from "./describe.js";

/**
 * The incident's verdict guidance with its root causes woven in: the cause sentences come first in the
 * steps, the summary says when it is RBAC propagation delay rather than an outage, and a suspected clock
 * skew adds the wrong fix to avoid. Returns a new object; the table's guidance is never mutated.
 */
export function guidanceWithRootCause(
  incident: Pick<Incident, "guidance" | "changes" | "clockSkew" | "firstSeen">,
): Guidance {
  const causes = describeRootCause(incident);
  const guidance: Guidance = {
    summary: incident.guidance.summary,
    steps: [...causes, ...incident.guidance.steps],
    avoid: [...incident.guidance.avoid],
  };
  if (isRbacPropagation(incident)) {
    guidance.summary =
      "RBAC propagation delay, not an outage: a role assignment was created just before these failures and they stopped on their own. " +
      incident.guidance.summary;
    guidance.avoid.unshift(
      "Do not escalate this as an outage or add broader roles: the new assignment already took effect.",
    );
  }
  if (incident.clockSkew.suspected) {
    const skewAvoid = "Do not rotate keys or re-issue SAS to fix clock skew: fix the host's time sync.";
    if (!guidance.avoid.includes(skewAvoid)) guidance.avoid.push(skewAvoid);
  }
  return guidance;
}
