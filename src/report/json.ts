import type { AnalysisResult } from "../engine/analyze.js";
import { sanitizeOutbound } from "../redact.js";

/** Exactly one JSON object (issue 2's field names), through the redaction boundary. */
export function renderJson(result: AnalysisResult): string {
  return JSON.stringify(sanitizeOutbound(result), null, 2) + "\n";
}
