/**
 * Plugs the signature diff into the request doctor: `diagnose(exchange, response, { sharedKeyDiff:
 * sharedKeyDiffFindings })`. Maps each likely cause to a doctor Finding. Pure.
 */
import type { CapturedExchange } from "../doctor/capture.js";
import type { SharedKeyDiffContext } from "../doctor/doctor.js";
import { versionRulesOutTable } from "../doctor/service-inference.js";
import type { Finding } from "../doctor/finding.js";
import { DuplicateSignedHeaderError } from "./canonical.js";
import {
  explainSignatureMismatch,
  signatureFindingId,
  type CauseId,
  type SignatureExplanation,
} from "./diff.js";
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
  "path-double-encoded": "The path was percent-encoded (or decoded) once more in transit",
  "path-case-changed": "A proxy changed the path's letter case",
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
    id: signatureFindingId(c.id),
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

/** The services whose layouts are tried when neither the host nor the request names one. */
const SERVICES = ["blob", "queue", "table", "file"] as const;

function differingRows(e: SignatureExplanation): number {
  const layoutPenalty = e.causes.some((c) => c.id === "layout-mismatch") ? 1000 : 0;
  return layoutPenalty + e.rows.filter((r) => r.status !== "same").length;
}

/** The doctor's `sharedKeyDiff` hook. */
export function sharedKeyDiffFindings(
  exchange: CapturedExchange,
  serverStringToSign: string,
  context: SharedKeyDiffContext = {},
): Finding[] {
  const request = exchange.request;
  const overrides = {
    ...(context.service ? { service: context.service } : {}),
    ...(context.account ? { account: context.account } : {}),
  };
  try {
    let explanation: SignatureExplanation;
    let matchedNote: Finding | undefined;
    try {
      explanation = explainSignatureMismatch(request, serverStringToSign, overrides);
    } catch (err) {
      if (!(err instanceof TargetResolutionError) || context.service) throw err;
      // The host does not tell the service: try each service's layout against the server's string.
      // The Table service stopped at x-ms-version 2019-02-02: a newer version rules its layouts out.
      const candidates = versionRulesOutTable(request.headers)
        ? SERVICES.filter((s) => s !== "table")
        : SERVICES;
      const tried = candidates.flatMap((service) => {
        try {
          return [
            { service, e: explainSignatureMismatch(request, serverStringToSign, { ...overrides, service }) },
          ];
        } catch {
          return [];
        }
      });
      const best = tried.sort((a, b) => differingRows(a.e) - differingRows(b.e))[0];
      if (!best) throw err;
      explanation = best.e;
      matchedNote = {
        id: "signature-service-matched",
        severity: "info",
        title: "Service told by the server's string-to-sign",
        detail: `Neither the host nor the request names the service; of the ${candidates.join(", ")} layouts${candidates.length < SERVICES.length ? " (x-ms-version is newer than any Table accepts)" : ""}, the ${best.service} layout matches the server's string-to-sign best (${differingRows(best.e)} differing field(s)), so the diff uses it. Pass --service to say it.`,
        decision: "authentication",
      };
    }
    const findings = findingsFromExplanation(explanation).map((f) =>
      f.id === signatureFindingId("identical")
        ? { ...f, detail: identicalDetail(f.detail, request, serverStringToSign, context) }
        : f,
    );
    return matchedNote ? [...findings, matchedNote] : findings;
  } catch (err) {
    if (err instanceof TargetResolutionError || err instanceof DuplicateSignedHeaderError) {
      return [
        {
          id: "signature-not-comparable",
          severity: "info",
          title: "The signature diff could not run",
          detail: `${err.message} (auth-triage explain and signature explain take --account and --service).`,
          decision: "authentication",
        },
      ];
    }
    throw err;
  }
}

/** With identical strings: which key the request claims, and what a supplied key says. */
function identicalDetail(
  detail: string,
  request: CapturedExchange["request"],
  serverStringToSign: string,
  context: SharedKeyDiffContext,
): string {
  const auth = request.headers.find((h) => h.name.toLowerCase() === "authorization")?.value ?? "";
  const m = /^\s*(SharedKey(?:Lite)?)\s+([^:\s]+):(\S+)/.exec(auth);
  if (!m) return detail;
  const [, scheme, account, signature] = m;
  const claim = ` The request claims one of ${account}'s two keys (${scheme} ${account}:…): Storage tries key1 and key2 and the signature matches neither.`;
  if (!context.keyCheck) return `${detail}${claim}`;
  const check =
    context.keyCheck.sign(serverStringToSign) === signature
      ? ` ${context.keyCheck.source} signs this exact string to the request's signature: the client holds that key, and Storage holds other keys (regenerated since it was copied, or it is another account's key).`
      : ` ${context.keyCheck.source} does not produce the request's signature over this string: the client signed with another key than that one (an old or regenerated key, the other slot, another account's key).`;
  return `${detail}${claim}${check}`;
}
