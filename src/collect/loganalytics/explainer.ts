import type { Clock } from "../../clock.js";
import { EvidenceIndex, type RootCauseEvidence } from "../../correlate/evidence.js";
import { explainFromEvidence } from "../../correlate/explainer.js";
import { parseRootCauseSettings, type RootCauseSettingsInput } from "../../correlate/settings.js";
import type { RootCauseExplainer } from "../../engine/contracts.js";

/**
 * A RootCauseExplainer over evidence that Log Analytics built server-side (LogAnalyticsCollection.evidence).
 * No request passes through the engine on this path, so its observer ignores what it is given; the
 * explanation itself is the root-cause stage's, on the same records it would have built locally.
 */
export function rootCauseExplainerFromEvidence(
  evidence: RootCauseEvidence,
  options: { clock: Clock; settings?: RootCauseSettingsInput },
): RootCauseExplainer {
  const settings = parseRootCauseSettings(options.settings ?? {});
  const index = new EvidenceIndex(evidence);
  return {
    observer: { observe: () => undefined },
    explain: (incident, activity, context) =>
      explainFromEvidence(
        incident,
        activity,
        index,
        context ?? {
          windowFromMs: Date.parse(incident.firstSeen) - settings.lookbackMs,
          windowToMs: options.clock.now().getTime(),
        },
        settings,
      ),
  };
}
