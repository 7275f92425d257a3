import { redactSecrets } from "../redact.js";
import { remedyForDoctorReport } from "../remedy/from-doctor.js";
import { remedyText } from "../report/remedy.js";
import type { DoctorReport } from "./doctor.js";

const MARK: Record<string, string> = { error: "✗", warning: "!", info: "·" };

/** A report a person can paste into a ticket. Every line passes through redaction once more. */
export function renderDoctorText(r: DoctorReport): string {
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
  const remedy = remedyForDoctorReport(r);
  if (remedy) out.push("", ...remedyText(remedy));
  return redactSecrets(out.join("\n")) + "\n";
}

export function renderDoctorJson(r: DoctorReport): string {
  const remedy = remedyForDoctorReport(r);
  return redactSecrets(JSON.stringify(remedy ? { ...r, remedy } : r, null, 2)) + "\n";
}
