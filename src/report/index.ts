import type { AnalysisResult } from "../engine/analyze.js";
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";
import { renderText } from "./text.js";

export type ReportFormat = "text" | "markdown" | "json";
export const REPORT_FORMATS: readonly ReportFormat[] = ["text", "markdown", "json"];

export function renderReport(result: AnalysisResult, format: ReportFormat): string {
  switch (format) {
    case "json":
      return renderJson(result);
    case "markdown":
      return renderMarkdown(result);
    case "text":
      return renderText(result);
  }
}

export { renderJson, renderMarkdown, renderText };
export { cleanText, escapeMarkdown } from "./sanitize.js";
