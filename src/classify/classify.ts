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
  return out;
}
