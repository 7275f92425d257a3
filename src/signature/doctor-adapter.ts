/**
 * Plugs the signature diff into the request doctor: `diagnose(exchange, response, { sharedKeyDiff:
 * sharedKeyDiffFindings })`. Maps each likely cause to a doctor Finding. Pure (type-only imports).
 */
import type { CapturedExchange } from "../doctor/capture.js";
import type { Finding } from "../doctor/finding.js";
import { DuplicateSignedHeaderError } from "./canonical.js";
import { explainSignatureMismatch, type CauseId, type SignatureExplanation } from "./diff.js";
import { TargetResolutionError } from "./target.js";

const TITLES: Record<CauseId, string> = {
  "duplicate-signed-header": "A signed header is sent twice",
  "no-server-string": "No server string-to-sign to compare",
  "layout-mismatch": "The server signed for another scheme or service",
  "stale-date": "The request date is more than 15 minutes old",
  "future-date": "The request date is more than 15 minutes ahead",
  "verb-changed": "The HTTP verb changed after signing",
  "x-ms-date-stripped": "x-ms-date was stripped in transit",
  "signed-header-stripped": "A signed header was stripped in transit",
  "telemetry-header-added": "A telemetry SDK added x-ms-* headers after signing",
  "header-added-after-signing": "An x-ms-* header was added after signing",
  "version-changed": "x-ms-version changed after signing",
  "date-changed": "The date changed after signing",
  "whitespace-normalised": "The server normalised white space in a header",
  "header-value-changed": "A signed header's value changed after signing",
  "content-length-zero-rule": "Content-Length 0 signed under the other version rule",
  "content-length-added": "Content-Length was set after signing",
  "content-length-changed": "The body length changed after signing",
  "content-type-added": "Content-Type was added after signing",
  "content-type-changed": "Content-Type changed after signing",
  "standard-header-changed": "A standard header changed after signing",
  "header-order": "The x-ms-* headers were signed in another order",
  "account-changed": "The server signed for another account",
  "path-encoding-changed": "The path was re-encoded in transit",
  "path-prefix-added": "A proxy added a path prefix",
  "path-prefix-removed": "A proxy removed a path prefix",
  "path-changed": "The path changed after signing",
  "query-changed": "A query parameter changed after signing",
  identical: "The request arrived as signed: the key or the client's signer is wrong",
};

/** Findings for the request doctor from the signature diff; never contains a key or signature. */
export function findingsFromExplanation(e: SignatureExplanation): Finding[] {
  const differing = e.rows
    .filter((r) => r.status !== "same")
    .map((r) => (r.section === "query" ? `?${r.name}` : r.name));
  const findings: Finding[] = e.causes.map((c) => ({
    id: `signature-${c.id}`,
    severity: c.id === "no-server-string" ? "info" : "error",
    title: TITLES[c.id],
    detail: c.explanation,
    decision: e.verdict.decision,
    ...(c.id === "stale-date" || c.id === "future-date" ? { clockSkew: true } : {}),
  }));
  if (differing.length > 0) {
    findings.push({
      id: "signature-fields-differ",
      severity: "info",
      title: "Fields that differ between the client's and the server's string-to-sign",
      detail: `${differing.join(", ")} (run 'auth-triage signature explain' for the aligned table).`,
      decision: e.verdict.decision,
    });
  }
  return findings;
}

/** The doctor's `sharedKeyDiff` hook. */
export function sharedKeyDiffFindings(exchange: CapturedExchange, serverStringToSign: string): Finding[] {
  const request = exchange.request;
  try {
    return findingsFromExplanation(explainSignatureMismatch(request, serverStringToSign));
  } catch (err) {
    if (err instanceof TargetResolutionError || err instanceof DuplicateSignedHeaderError) {
      return [
        {
          id: "signature-not-comparable",
          severity: "info",
          title: "The signature diff could not run",
          detail: `${err.message} (auth-triage signature explain takes --account and --service).`,
          decision: "authentication",
        },
      ];
    }
    throw err;
  }
}
