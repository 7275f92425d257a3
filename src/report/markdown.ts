import type { AnalysisResult } from "../engine/analyze.js";
import { describeInputHealth, inputHealth } from "../engine/input-health.js";
import { sanitizeOutbound } from "../redact.js";
import { analyzeReach } from "./text.js";
import { callerCountText } from "../model/caller-count.js";
import type { Incident } from "../model/incident.js";
import {
  DECISION_LABEL,
  incidentFacts,
  peakText,
  shortTime,
  summarisedSentences,
  timeRange,
} from "./facts.js";
import { remedyMarkdown } from "./remedy.js";
import { escapeMarkdown as e } from "./sanitize.js";

function incidentMarkdown(i: Incident, n: number): string[] {
  const f = incidentFacts(i);
  const out: string[] = [];
  out.push(
    `### ${n}. ${e(i.errorCode)} (${i.statusCode}) on ${e(i.account)}, auth ${e(i.authType || "(none)")}`,
    "",
    `**Verdict: ${DECISION_LABEL[i.decision]}**. ${e(i.guidance.summary)}`,
    "",
  );
  if (f.meaning) out.push(`*${f.meaning}*`, "");
  if (i.ambiguous)
    out.push(
      `**Ambiguous:** the logged status leaves ${i.ambiguous.between.join(" or ")} open; narrow it by ${e(i.ambiguous.narrowedBy)}.`,
      "",
    );
  out.push(
    `- **Failures:** ${i.count} from ${timeRange(i.firstSeen, i.lastSeen)} (${f.durationText})` +
      (f.peak ? `, ${peakText(f.peak)}` : ""),
    `- **Operations:** ${i.clusters.map((c) => `${e(c.operation)} (${c.service}, ${c.count})`).join(", ")}`,
    `- **Incident id:** \`${i.id}\`, severity ${i.severity}`,
  );
  const versions = Object.entries(i.operationVersions).sort((a, b) => b[1] - a[1]);
  if (versions.length)
    out.push(`- **x-ms-version:** ${versions.map(([v, c]) => `${e(v)} (${c})`).join(", ")}`);
  if (i.sasWindows.length) {
    out.push(
      `- **SAS:** ${f.expired} failures after se (expired), ${f.notYetValid} before st (not yet valid)`,
    );
  }
  if (i.remedy) out.push("", ...remedyMarkdown(i.remedy));
  out.push("", "**Top callers**", "");
  for (const c of i.callers.slice(0, 5)) {
    const who = [c.ip, c.keySlot, c.requesterUpn ?? c.requesterObjectId, c.userAgent]
      .filter((s): s is string => Boolean(s))
      .map(e)
      .join(" · ");
    out.push(`- ${callerCountText(c)} × ${who || "(unknown caller)"}`);
  }
  if (i.sampleObjectKeys.length) {
    out.push("", `**Sample objects:** ${i.sampleObjectKeys.slice(0, 3).map(e).join(", ")}`);
  }
  if (i.changes.length) {
    out.push("", "**What changed (most likely first)**", "");
    i.changes.slice(0, 5).forEach((ch, k) => {
      out.push(
        `${k + 1}. ${shortTime(ch.time)}: ${e(ch.summary)} (${e(ch.operation)}, ${ch.source}, score ${ch.score.toFixed(2)}). ${e(ch.why)}` +
          (ch.advice ? ` **What to do:** ${e(ch.advice)}` : ""),
      );
    });
  }
  if (i.clockSkew.suspected) {
    out.push("", `**Clock skew suspected:** ${i.clockSkew.evidence.map(e).join("; ")}`);
  }
  out.push("", "**What to do**", "");
  // Guidance may quote log-derived evidence once root causes are woven in: escape it too.
  i.guidance.steps.forEach((s, k) => out.push(`${k + 1}. ${e(s)}`));
  out.push("", "**Wrong fix to avoid**", "");
  for (const a of i.guidance.avoid) out.push(`- ${e(a)}`);
  return out;
}

/** Markdown for chat. Every log-derived string is escaped so it renders as text, never as a link. */
export function renderMarkdown(raw: AnalysisResult): string {
  // The redaction boundary first (escaping would split a token and hide it from the patterns).
  const result = sanitizeOutbound(raw);
  const lines: string[] = [
    `## Storage auth triage: ${result.incidents.length} incident${result.incidents.length === 1 ? "" : "s"}`,
    "",
    `${timeRange(result.window.from, result.window.to)} · ${result.input.rows} rows · ` +
      `${result.input.failures} 401/403 failures · ${result.input.rejected} rejected records`,
  ];
  const summarised = summarisedSentences(result.summarised);
  if (summarised.length > 0) {
    lines.push("", "**Summarised** (memory caps reached; every figure exact):", "");
    for (const sentence of summarised) lines.push(`- ${sentence}`);
  }

  const health = inputHealth({ ...result.input, window: result.window });
  if (health.kind !== "ok") lines.push("", e(describeInputHealth(health, analyzeReach)));
  else if (result.incidents.length === 0) lines.push("", "No 401/403 failures in this window.");
  else {
    lines.push("");
    result.incidents.forEach((i, k) =>
      lines.push(
        `${k + 1}. **${i.decision}**: ${e(i.errorCode)} (${i.statusCode}, ${e(i.authType || "(none)")}) on ${e(i.account)}, ${i.count} failures`,
      ),
    );
  }
  result.incidents.forEach((i, k) => lines.push("", ...incidentMarkdown(i, k + 1)));
  if (result.input.rejected > 0) {
    lines.push("", `**Rejected records:** ${result.input.rejected}`, "");
    for (const r of result.input.rejectedSamples.slice(0, 5)) {
      lines.push(`- ${e(r.file)}:${r.line} ${e(r.field)}: ${e(r.reason)}`);
    }
  }
  return lines.join("\n") + "\n";
}
