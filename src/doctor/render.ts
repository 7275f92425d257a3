import { sanitizeOutbound } from "../redact.js";
import { remedyForDoctorReport } from "../remedy/from-doctor.js";
import { remedyText } from "../report/remedy.js";
import type { DoctorReport } from "./doctor.js";
import type { ExplainResult } from "./explain.js";

const MARK: Record<string, string> = { error: "✗", warning: "!", info: "·" };

/**
 * One section of the text report: the lines it adds (none to leave it out). The report is these sections
 * in order, separated by a blank line; a new section (e.g. a remedy) is one more entry in the list.
 */
export type TextSection = (r: DoctorReport) => string[];

const header: TextSection = (r) => {
  const out = [`Request:  ${r.request.method} ${r.request.url}`];
  if (r.response) {
    out.push(
      `Response: ${r.response.status ?? "?"}${r.response.errorCode ? ` ${r.response.errorCode}` : ""}`,
    );
    if (r.response.detail) out.push(`Detail:   ${r.response.detail.split("\n")[0]}`);
  }
  out.push(`Scheme:   ${r.scheme}${r.sas ? ` (${r.sas.kind} SAS)` : ""}`);
  if (r.request.serviceSource && r.request.service && r.request.serviceSource !== "host name")
    out.push(`Service:  ${r.request.service} (${r.request.serviceSource})`);
  if (r.request.accountSource && r.request.account)
    out.push(`Account:  ${r.request.account} (${r.request.accountSource})`);
  if (r.requestTime) out.push(`Time:     ${r.requestTime.iso} (from ${r.requestTime.source})`);
  if (r.emulator) out.push(`Emulator: yes (${r.emulator.reason})`);
  return out;
};

const firstProblem: TextSection = (r) =>
  r.firstProblem
    ? [`First problem: ${r.firstProblem.title}`, `  ${r.firstProblem.detail}`]
    : ["No problem found that this capture can show."];

const alsoFound: TextSection = (r) => {
  const rest = r.findings.filter((f) => f !== r.firstProblem && f.id !== r.firstProblem?.id);
  return rest.length === 0
    ? []
    : ["Also found:", ...rest.map((f) => `  ${MARK[f.severity]} ${f.title}: ${f.detail}`)];
};

const claims: TextSection = (r) => {
  if (!r.bearer?.claims) return [];
  const out = ["Token claims (decoded, not verified):"];
  for (const [k, v] of Object.entries(r.bearer.claims))
    out.push(`  ${k}: ${Array.isArray(v) ? v.join(" ") : String(v)}`);
  if (r.bearer.challenge)
    out.push(
      `  challenge: tenant ${r.bearer.challenge.tenant ?? "-"}, resource ${r.bearer.challenge.resourceId ?? "-"}`,
    );
  return out;
};

const sasFields: TextSection = (r) =>
  r.sas
    ? [
        "SAS fields (signature hidden):",
        "  " +
          Object.entries(r.sas.fields)
            .map(([k, v]) => `${k}=${v}`)
            .join("  "),
      ]
    : [];

const verdict: TextSection = (r) => {
  const out = [`Verdict: ${r.verdict.decision}. ${r.verdict.summary}`, `Decided by: ${r.basis.evidence}.`];
  if (r.basis.overruled) out.push(`Code overruled: ${r.basis.overruled}`);
  if (r.emulator) out.push(`Emulator: ${r.emulator.note}`);
  out.push("Wrong fix to avoid:", ...r.verdict.avoid.map((a) => `  - ${a}`));
  return out;
};

/** The exact fix: the same remedy builder as the log analysis, fed with this one request. */
const remedy: TextSection = (r) => {
  const fix = remedyForDoctorReport(r);
  return fix ? remedyText(fix) : [];
};

/** The sections of the text report, in order. */
export const TEXT_SECTIONS: TextSection[] = [
  header,
  firstProblem,
  alsoFound,
  claims,
  sasFields,
  verdict,
  remedy,
];

/** A report a person can paste into a ticket. Values, then the lines, pass through the redaction boundary. */
export function renderDoctorText(
  raw: DoctorReport,
  sections: readonly TextSection[] = TEXT_SECTIONS,
): string {
  const r = sanitizeOutbound(raw);
  const blocks = sections.map((s) => s(r)).filter((lines) => lines.length > 0);
  return sanitizeOutbound(blocks.map((b) => b.join("\n")).join("\n\n")) + "\n";
}

export function renderDoctorJson(r: DoctorReport): string {
  const remedy = remedyForDoctorReport(r);
  return JSON.stringify(sanitizeOutbound(remedy ? { ...r, remedy } : r), null, 2) + "\n";
}

/** A capture with one request prints as that request's report; with several, one section per request. */
export function renderExplainText(result: ExplainResult): string {
  const only = result.requests.length === 1 ? result.requests[0] : undefined;
  if (only && "report" in only) return renderDoctorText(only.report);
  if (only) return sanitizeOutbound(`${only.label}\nNot diagnosed: ${only.skipped}.`) + "\n";
  const diagnosed = result.requests.filter((r) => "report" in r).length;
  const out = [`The capture holds ${result.requests.length} requests; ${diagnosed} diagnosed.`];
  for (const r of result.requests) {
    out.push("", `── Request ${r.index + 1} of ${result.requests.length}: ${r.label}`);
    out.push("report" in r ? renderDoctorText(r.report).trimEnd() : `Not diagnosed: ${r.skipped}.`);
  }
  return sanitizeOutbound(out.join("\n")) + "\n";
}

export function renderExplainJson(result: ExplainResult): string {
  const only = result.requests.length === 1 ? result.requests[0] : undefined;
  if (only && "report" in only) return renderDoctorJson(only.report);
  return JSON.stringify(sanitizeOutbound({ requests: result.requests }), null, 2) + "\n";
}
