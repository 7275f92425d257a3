import { sanitizeOutbound } from "../redact.js";
import type { DoctorReport } from "./doctor.js";

const MARK: Record<string, string> = { error: "✗", warning: "!", info: "·" };

/** A report a person can paste into a ticket, through the redaction boundary (values, then lines). */
export function renderDoctorText(raw: DoctorReport): string {
  const r = sanitizeOutbound(raw);
  const out: string[] = [];
  out.push(`Request:  ${r.request.method} ${r.request.url}`);
  if (r.response) {
    out.push(
      `Response: ${r.response.status ?? "?"}${r.response.errorCode ? ` ${r.response.errorCode}` : ""}`,
    );
    if (r.response.detail) out.push(`Detail:   ${r.response.detail.split("\n")[0]}`);
  }
  out.push(`Scheme:   ${r.scheme}${r.sas ? ` (${r.sas.kind} SAS)` : ""}`);
  if (r.requestTime) out.push(`Time:     ${r.requestTime.iso} (from ${r.requestTime.source})`);
  out.push("");
  if (r.firstProblem) {
    out.push(`First problem: ${r.firstProblem.title}`);
    out.push(`  ${r.firstProblem.detail}`);
  } else {
    out.push("No problem found that this capture can show.");
  }
  const rest = r.findings.filter((f) => f !== r.firstProblem && f.id !== r.firstProblem?.id);
  if (rest.length > 0) {
    out.push("", "Also found:");
    for (const f of rest) out.push(`  ${MARK[f.severity]} ${f.title}: ${f.detail}`);
  }
  if (r.bearer?.claims) {
    out.push("", "Token claims (decoded, not verified):");
    for (const [k, v] of Object.entries(r.bearer.claims))
      out.push(`  ${k}: ${Array.isArray(v) ? v.join(" ") : String(v)}`);
    if (r.bearer.challenge) {
      out.push(
        `  challenge: tenant ${r.bearer.challenge.tenant ?? "-"}, resource ${r.bearer.challenge.resourceId ?? "-"}`,
      );
    }
  }
  if (r.sas) {
    out.push("", "SAS fields (signature hidden):");
    out.push(
      "  " +
        Object.entries(r.sas.fields)
          .map(([k, v]) => `${k}=${v}`)
          .join("  "),
    );
  }
  out.push("", `Verdict: ${r.verdict.decision}. ${r.verdict.summary}`);
  out.push("Wrong fix to avoid:");
  for (const a of r.verdict.avoid) out.push(`  - ${a}`);
  return sanitizeOutbound(out.join("\n")) + "\n";
}

export function renderDoctorJson(r: DoctorReport): string {
  return JSON.stringify(sanitizeOutbound(r), null, 2) + "\n";
}
