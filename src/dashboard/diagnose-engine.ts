/**
 * The dashboard's "Diagnose a request" page runs this in the browser: the request doctor and the Shared
 * Key signature diff on a pasted request and server answer, exactly as `auth-triage explain` and
 * `auth-triage signature explain` run them, with nothing sent anywhere. Bundled for the browser by
 * scripts/bundle-diagnose-engine.mjs (dist/src/dashboard/assets/diagnose-engine.js); pure, so no `node:`
 * import may reach it. Every string in the result is already redacted by the engines.
 */
// Must stay the first import (see the module).
import "./zod-jitless.js";
import { z } from "zod";
import { storageErrorOf, parseRequestCaptures, parseResponseCapture } from "../doctor/capture.js";
import type { DoctorReport } from "../doctor/doctor.js";
import { explainCapture, type ExplainedRequest } from "../doctor/explain.js";
import { renderExplainText } from "../doctor/render.js";
import { redactSecrets } from "../redact.js";
import { DuplicateSignedHeaderError } from "../signature/canonical.js";
import { explainSignatureMismatch, type SignatureExplanation } from "../signature/diff.js";
import { sharedKeyDiffFindings } from "../signature/doctor-adapter.js";
import { TargetResolutionError } from "../signature/target.js";

/** Pasted text is bounded so a runaway paste cannot hang the tab. */
export const MAX_PASTE_CHARS = 2_000_000;

export const pastedInputSchema = z.object({
  request: z
    .string()
    .max(MAX_PASTE_CHARS, { error: `request: at most ${MAX_PASTE_CHARS} characters` })
    .refine((s) => s.trim().length > 0, { error: "request: paste the failed request first" }),
  response: z
    .string()
    .max(MAX_PASTE_CHARS, { error: `response: at most ${MAX_PASTE_CHARS} characters` })
    .optional(),
  clientIp: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}$/, { error: "client IP: expected an IPv4 address such as 203.0.113.7" })
    .optional(),
  service: z
    .enum(["blob", "queue", "file", "table"], { error: "service: blob, queue, file or table" })
    .optional(),
  account: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, { error: "account: 3-24 lower-case letters and digits" })
    .optional(),
});

export type PastedInput = z.input<typeof pastedInputSchema>;

export type PasteDiagnosis =
  | {
      ok: true;
      report: DoctorReport;
      /** The aligned field table, when the request is Shared Key and the server's string-to-sign was pasted. */
      signature?: SignatureExplanation;
      /** Why no aligned table could be built although a string-to-sign was pasted. */
      signatureNote?: string;
      /** The same report as `auth-triage explain` prints it, for copying into a ticket. */
      text: string;
      /** Every request of the capture (a HAR may hold several): diagnosed, or why not. */
      requests: ExplainedRequest[];
    }
  | { ok: false; error: string };

const blankToUndefined = (s: string | undefined) =>
  s === undefined || s.trim() === "" ? undefined : s.trim();

/** Diagnoses one pasted request (and the server's answer). Never throws: a bad paste is an error result. */
export function diagnosePaste(input: PastedInput): PasteDiagnosis {
  const parsed = pastedInputSchema.safeParse({
    request: input.request,
    response: blankToUndefined(input.response),
    clientIp: blankToUndefined(input.clientIp),
    service: blankToUndefined(input.service),
    account: blankToUndefined(input.account),
  });
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  const { request, response, clientIp, service, account } = parsed.data;
  try {
    const explained = explainCapture(request, response, {
      ...(clientIp ? { clientIp } : {}),
      ...(service ? { service } : {}),
      ...(account ? { account } : {}),
      sharedKeyDiff: sharedKeyDiffFindings,
    });
    const report = explained.primary;
    if (!report) {
      const reasons = explained.requests.map((r) => ("skipped" in r ? r.skipped : "")).filter(Boolean);
      return { ok: false, error: redactSecrets(`request: nothing to diagnose: ${reasons.join("; ")}`) };
    }
    const result: PasteDiagnosis = {
      ok: true,
      report,
      text: renderExplainText(explained),
      requests: explained.requests,
    };
    const primaryIndex = explained.requests.find((r) => "report" in r)!.index;
    const exchange = parseRequestCaptures(request, "request", account ? { account } : {})[primaryIndex]!;
    const pastedResponse = response ? parseResponseCapture(response, "response") : undefined;
    const answer = pastedResponse ?? exchange.response;
    const serverString = storageErrorOf(answer).stringToSign;
    const sharedKey = exchange.request.headers.some(
      (h) => h.name.toLowerCase() === "authorization" && /^\s*SharedKey/i.test(h.value),
    );
    if (sharedKey && serverString !== undefined) {
      try {
        // The whole body, not just the string: its Time lets the diff spot a stale or future date.
        result.signature = explainSignatureMismatch(exchange.request, answer?.body ?? serverString, {
          ...(service
            ? { service }
            : report.request.service && report.request.serviceSource !== "host name"
              ? { service: report.request.service as "blob" | "queue" | "table" | "file" }
              : {}),
          ...(account ? { account } : {}),
        });
      } catch (err) {
        if (!(err instanceof TargetResolutionError || err instanceof DuplicateSignedHeaderError)) throw err;
        result.signatureNote = redactSecrets(err.message);
      }
    }
    return result;
  } catch (err) {
    return { ok: false, error: redactSecrets(err instanceof Error ? err.message : String(err)) };
  }
}
