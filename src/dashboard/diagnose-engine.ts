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
import { storageErrorOf, type CaptureSessions } from "../doctor/capture.js";
import { sazCapture } from "../doctor/capture/fiddler-saz.js";
import { inflateRawWeb } from "../doctor/capture/inflate-web.js";
import { isZip } from "../doctor/capture/zip-entries.js";
import type { DoctorReport } from "../doctor/doctor.js";
import { explainParsed, parseCapture, type ExplainedRequest } from "../doctor/explain.js";
import { renderExplainText } from "../doctor/render.js";
import { redactSecrets } from "../redact.js";
import { DuplicateSignedHeaderError } from "../signature/canonical.js";
import { explainSignatureMismatch, type SignatureExplanation } from "../signature/diff.js";
import { sharedKeyDiffFindings } from "../signature/doctor-adapter.js";
import { TargetResolutionError } from "../signature/target.js";

/** Pasted text is bounded so a runaway paste cannot hang the tab. */
export const MAX_PASTE_CHARS = 2_000_000;

/** The form's fields beside the request. */
const formFieldsSchema = z.object({
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

export const pastedInputSchema = formFieldsSchema.extend({
  request: z
    .string()
    .max(MAX_PASTE_CHARS, { error: `request: at most ${MAX_PASTE_CHARS} characters` })
    .refine((s) => s.trim().length > 0, { error: "request: paste the failed request first" }),
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
  return diagnose(input, input.request);
}

/** Whether a file is a zip (the page keeps one as bytes; any other capture file goes in the request box). */
export { isZip };

/** A capture file opened in the page: its bytes, its name (said in messages) and the form's other fields. */
export type CaptureFileInput = Omit<PastedInput, "request"> & { name: string; bytes: Uint8Array };

/**
 * Diagnoses a capture file opened in the page: Fiddler's session archive (a zip, read here with the
 * browser's inflater) session by session, as `auth-triage explain --request x.saz` reads it; any other
 * file as its UTF-8 text, as if pasted. Never throws: an unreadable file is an error result.
 */
export async function diagnoseCaptureFile(input: CaptureFileInput): Promise<PasteDiagnosis> {
  const { name, bytes, ...fields } = input;
  if (!isZip(bytes)) return diagnosePaste({ ...fields, request: new TextDecoder().decode(bytes) });
  let sessions: CaptureSessions;
  try {
    sessions = await sazCapture(bytes, name, inflateRawWeb);
  } catch (err) {
    return { ok: false, error: redactSecrets(err instanceof Error ? err.message : String(err)) };
  }
  // The form's own bound, on the archive's text: a runaway archive must not hang the tab either.
  const chars = sessions.sessions.reduce((n, x) => n + x.text.length, 0);
  if (chars > MAX_PASTE_CHARS)
    return {
      ok: false,
      error: `${name}: its sessions hold ${chars} characters, past ${MAX_PASTE_CHARS}; save only the failed sessions (Fiddler: select them, File > Save > Selected Sessions)`,
    };
  return diagnose(fields, sessions);
}

/** The form's fields checked, then the capture (pasted text, or a file's sessions) diagnosed. */
function diagnose(input: Omit<PastedInput, "request">, capture: string | CaptureSessions): PasteDiagnosis {
  const fields = {
    response: blankToUndefined(input.response),
    clientIp: blankToUndefined(input.clientIp),
    service: blankToUndefined(input.service),
    account: blankToUndefined(input.account),
  };
  const parsed =
    typeof capture === "string"
      ? pastedInputSchema.safeParse({ ...fields, request: capture })
      : formFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  const { response, clientIp, service, account } = parsed.data;
  try {
    // Read once: the doctor answers every request, and the signature diff below reads the first one.
    const parsedCapture = parseCapture(capture, response, account ? { account } : {});
    const explained = explainParsed(parsedCapture, {
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
    const exchange = parsedCapture.exchanges[primaryIndex]!;
    const answer = parsedCapture.response ?? exchange.response;
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
