import type { AnalysisResult } from "../engine/analyze.js";
import { describeInputHealth, inputHealth } from "../engine/input-health.js";
import { sanitizeOutbound } from "../redact.js";
import { callerCountText } from "../model/caller-count.js";
import type { CallerSummary, Incident } from "../model/incident.js";
import {
  DECISION_LABEL,
  incidentFacts,
  peakText,
  shortTime,
  summarisedSentences,
  timeRange,
} from "./facts.js";
import { remedyText } from "./remedy.js";
import { cleanText as c } from "./sanitize.js";

function callerLine(caller: CallerSummary, width: number): string {
  const who = [
    caller.ip ?? "(no ip)",
    caller.keySlot ? `signed with ${caller.keySlot}` : undefined,
    caller.requesterUpn ?? (caller.requesterObjectId ? `object id ${caller.requesterObjectId}` : undefined),
    caller.userAgent ? `"${caller.userAgent}"` : undefined,
  ]
    .filter((s): s is string => s !== undefined)
    .map(c)
    .join("  ");
  return `${callerCountText(caller).padStart(width)}  ${who}`;
}

function incidentText(i: Incident, n: number, total: number): string[] {
  const f = incidentFacts(i);
  const out: string[] = [];
  const title = `Incident ${n} of ${total}: ${c(i.errorCode)} (${i.statusCode}) on ${c(i.account)}, auth ${c(i.authType || "(none)")}`;
  out.push(title, "=".repeat(Math.min(title.length, 100)));
  out.push(`Id:        ${i.id}   severity ${i.severity}`);
  out.push(`Verdict:   ${DECISION_LABEL[i.decision]}`);
  if (i.ambiguous)
    out.push(
      `Ambiguous: the logged status leaves ${i.ambiguous.between.join(" or ")} open; narrow it by ${i.ambiguous.narrowedBy}`,
    );
  out.push(`Summary:   ${c(i.guidance.summary)}`);
  if (f.meaning) out.push(`The code:  ${f.meaning}`);
  out.push(
    `Failures:  ${i.count} from ${timeRange(i.firstSeen, i.lastSeen)} (${f.durationText})` +
      (f.peak ? `, ${peakText(f.peak)} at ${shortTime(f.peak.minute)}` : ""),
  );
  out.push(`Services:  ${i.services.join(", ")}`);
  out.push(
    `Operations: ${i.clusters.map((cl) => `${c(cl.operation)} (${cl.service}, ${cl.count})`).join(", ")}`,
  );
  const versions = Object.entries(i.operationVersions)
    .sort((a, b) => b[1] - a[1])
    .map(([v, n2]) => `${c(v)} (${n2})`);
  if (versions.length) out.push(`x-ms-version: ${versions.join(", ")}`);
  if (i.remedy) out.push("", ...remedyText(i.remedy));
  out.push("", "Top callers (failures, address, key slot or principal, user agent):");
  const listed = i.callers.slice(0, 10);
  // The count column is as wide as its widest entry ("at least 1" past the top-callers table's capacity).
  const width = Math.max(7, ...listed.map((x) => callerCountText(x).length));
  for (const caller of listed) out.push(callerLine(caller, width));
  if (i.callers.length > 10) out.push(`      … and ${i.callers.length - 10} more`);
  if (i.sasWindows.length) {
    out.push("", `SAS validity seen in failing URIs (${f.expired} expired, ${f.notYetValid} not yet valid):`);
    for (const w of i.sasWindows.slice(0, 5)) {
      out.push(
        `  st=${c(w.st ?? "(none)")}  se=${c(w.se ?? "(none)")}: ${w.count} failures, ${w.expired} after se, ${w.notYetValid} before st`,
      );
    }
  }
  if (i.sampleObjectKeys.length) {
    out.push("", "Sample objects:");
    for (const k of i.sampleObjectKeys.slice(0, 5)) out.push(`  ${c(k)}`);
  }
  if (i.sampleUris.length) {
    out.push("", "Sample URIs (SAS signatures redacted):");
    for (const u of i.sampleUris.slice(0, 5)) out.push(`  ${c(u)}`);
  }
  if (i.changes.length) {
    out.push("", "What changed (most likely first):");
    i.changes.forEach((ch, k) => {
      out.push(
        `  ${k + 1}. ${shortTime(ch.time)}  ${c(ch.operation)}  (${ch.source}, score ${ch.score.toFixed(2)})`,
      );
      out.push(`     ${c(ch.summary)}`);
      if (ch.before !== undefined || ch.after !== undefined) {
        out.push(`     before: ${c(ch.before ?? "?")}  after: ${c(ch.after ?? "?")}`);
      }
      if (ch.caller) out.push(`     by ${c(ch.caller)} on ${c(ch.resourceId)}`);
      out.push(`     why: ${c(ch.why)}`);
      if (ch.advice) out.push(`     what to do: ${c(ch.advice)}`);
    });
  }
  const ruledOut = i.clockSkew.ruledOut ?? [];
  if (i.clockSkew.suspected || i.clockSkew.evidence.length || ruledOut.length) {
    out.push("", `Clock skew: ${i.clockSkew.suspected ? "SUSPECTED" : "not suspected"}`);
    for (const e of i.clockSkew.evidence) out.push(`  - ${c(e)}`);
    for (const r of ruledOut) out.push(`  - ruled out: ${c(r)}`);
  }
  // Guidance may quote log-derived evidence (callers, resources) once root causes are woven in.
  out.push("", "What to do:");
  i.guidance.steps.forEach((s, k) => out.push(`  ${k + 1}. ${c(s)}`));
  out.push("", "Wrong fix to avoid:");
  for (const a of i.guidance.avoid) out.push(`  - ${c(a)}`);
  return out;
}

/** The default report: plain text a person can paste into a ticket. */
export function renderText(raw: AnalysisResult): string {
  // The redaction boundary first: cleanText then only escapes what is already clean.
  const result = sanitizeOutbound(raw);
  const lines: string[] = [];
  const health = inputHealth({ ...result.input, window: result.window });
  const nothingRead = health.kind === "nothing-read" || health.kind === "empty";
  // With nothing read there is no data window to show (it would be the clock's instant).
  lines.push(
    `Storage auth triage: ${nothingRead ? "nothing could be read" : timeRange(result.window.from, result.window.to)}`,
  );
  lines.push(
    `Rows analysed: ${result.input.rows}   401/403 failures: ${result.input.failures}   ` +
      `incidents: ${result.incidents.length}   rejected records: ${result.input.rejected}   ` +
      `activity events: ${result.input.activityEvents}` +
      (result.input.outsideWindow ? `   outside the window: ${result.input.outsideWindow}` : "") +
      (result.input.filesOutsideWindow
        ? `   files outside the window (not read): ${result.input.filesOutsideWindow}`
        : "") +
      (result.input.dayFoldersOutsideWindow
        ? `   archive day folders outside the window (not read): ${result.input.dayFoldersOutsideWindow}`
        : ""),
  );
  const summarised = summarisedSentences(result.summarised);
  if (summarised.length > 0) {
    lines.push("", "Summarised (memory caps reached; every figure exact):");
    for (const sentence of summarised) lines.push(`  - ${sentence}`);
  }
  if (health.kind !== "ok") {
    lines.push("", describeInputHealth(health, analyzeReach));
  } else if (result.incidents.length === 0) {
    lines.push("", "No 401/403 failures in this window.");
  } else {
    lines.push("", "Most severe first:");
    result.incidents.forEach((i, k) => {
      lines.push(
        `  ${String(k + 1).padStart(2)}. [${i.decision}] ${c(i.errorCode)} (${i.statusCode}, ${c(i.authType || "(none)")}) on ` +
          `${c(i.account)}: ${i.count} failures, ${timeRange(i.firstSeen, i.lastSeen)}`,
      );
    });
  }
  result.incidents.forEach((i, k) => {
    lines.push("", ...incidentText(i, k + 1, result.incidents.length));
  });
  if (result.input.rejected > 0) {
    lines.push(
      "",
      `Rejected records: ${result.input.rejected} (first ${result.input.rejectedSamples.length}):`,
    );
    for (const r of result.input.rejectedSamples) {
      lines.push(`  ${c(r.file)}:${r.line}  ${c(r.field)}: ${c(r.reason)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** How to reach data outside the window with `analyze`. */
export function analyzeReach(data: { from: string; to: string }): string {
  return `widen the window to reach it, e.g. --from ${data.from} --to ${data.to}, or leave --from/--to out`;
}
