import { errorCodeEntry, verdictRuleFor } from "../codes/error-codes.js";
import type { ChallengeKey, Decision, Guidance } from "../model/incident.js";

/** The verdict for one challenge, read from the single error-code table (no verdict logic lives here). */
export interface Classification {
  decision: Decision;
  guidance: Guidance;
  /** The code's meaning from the table; undefined for a code the table does not know. */
  meaning?: string;
  /** False when the error code is not in the table and the generic 401/403 rule was used. */
  knownCode: boolean;
  /** The verdicts a classic status leaves open and what narrows them (absent when the code decides). */
  ambiguous?: { between: Decision[]; narrowedBy: string };
}

export function classifyChallenge(
  k: Pick<ChallengeKey, "errorCode" | "authType" | "statusCode">,
): Classification {
  const rule = verdictRuleFor(k.errorCode, k.authType, k.statusCode);
  const entry = errorCodeEntry(k.errorCode);
  const out: Classification = {
    decision: rule.decision,
    guidance: {
      summary: rule.guidance.summary,
      steps: [...rule.guidance.steps],
      avoid: [...rule.guidance.avoid],
    },
    knownCode: entry !== undefined,
  };
  if (entry) out.meaning = entry.meaning;
  if (rule.ambiguous)
    out.ambiguous = { between: [...rule.ambiguous.between], narrowedBy: rule.ambiguous.narrowedBy };
  return out;
}
