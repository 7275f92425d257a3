import type { AnalysisResult } from "../engine/analyze.js";
import { redactDeep } from "./sanitize.js";

/** Exactly one JSON object (issue 2's field names), secrets redacted in every string. */
export function renderJson(result: AnalysisResult): string {
  return JSON.stringify(redactDeep(result), null, 2) + "\n";
}
