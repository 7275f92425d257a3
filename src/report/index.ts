import type { AnalysisResult } from "../engine/analyze.js";
import { renderJson, streamJson } from "./json.js";
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

/**
 * Writes the report to `out`. JSON is streamed in chunks (no deep copy, no single string of the whole
 * document); text and Markdown are small and written at once.
 */
export function writeReport(result: AnalysisResult, format: ReportFormat, out: NodeJS.WritableStream): void {
  if (format === "json") streamJson(result, out);
  else out.write(renderReport(result, format));
}

export { renderJson, renderMarkdown, renderText, streamJson };
export { writeJsonChunks } from "./json.js";
export { cleanText, escapeMarkdown } from "./sanitize.js";
