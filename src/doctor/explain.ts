/**
 * The one entry point both `auth-triage explain` and the dashboard's "Diagnose a request" page call: reads
 * the capture (one request, or a HAR with several), sets aside what is not a Storage request or not a
 * failure, and diagnoses each failed Storage request with the same options. Pure: the key check comes in
 * as a function, so the browser bundle never needs node:crypto.
 */
import { errorCodeEntry } from "../codes/error-codes.js";
import { redactUri } from "../redact.js";
import {
  CaptureError,
  header,
  parseRequestCaptures,
  type CaptureSessions,
  parseResponseCapture,
  storageErrorOf,
  type CapturedExchange,
  type CapturedResponse,
} from "./capture.js";
import { diagnose, type DoctorOptions, type DoctorReport } from "./doctor.js";

export type ExplainedRequest =
  { index: number; label: string; report: DoctorReport } | { index: number; label: string; skipped: string };

export interface ExplainResult {
  /** One item per request in the capture, in capture order. */
  requests: ExplainedRequest[];
  /** The request the single-request views show: the first one diagnosed. */
  primary?: DoctorReport;
}

const STORAGE_HOST =
  /\.(blob|queue|table|file|dfs)\.(core\.windows\.net|core\.chinacloudapi\.cn|core\.usgovcloudapi\.net|storage\.azure\.net)$/i;

/** Why a request is not a Storage request, or undefined when something in it says it is one. */
export function notStorageReason(exchange: CapturedExchange): string | undefined {
  let url: URL;
  try {
    url = new URL(exchange.request.url);
  } catch {
    return undefined; // diagnose() reports the bad URL itself
  }
  const h = exchange.request.headers;
  if (STORAGE_HOST.test(url.hostname)) return undefined;
  if (h.some((x) => /^x-ms-/i.test(x.name))) return undefined;
  if (/^\s*SharedKey(Lite)?\s/i.test(header(h, "authorization") ?? "")) return undefined;
  if (url.searchParams.has("sig") || (url.searchParams.has("sv") && url.searchParams.has("se")))
    return undefined;
  // Storage's answer: its request id, or its error code (all a Go SDK error text keeps of the headers),
  // or its XML error with a Storage code (all urllib3's line and az's exception keep of the answer).
  const res = exchange.response;
  if (res && (header(res.headers, "x-ms-request-id") || header(res.headers, "x-ms-error-code")))
    return undefined;
  const code = storageErrorOf(res).code;
  if (code !== undefined && errorCodeEntry(code) !== undefined) return undefined;
  return `not an Azure Storage request: ${url.host} is not a Storage host name, and the request has no x-ms-* header, no Shared Key signature and no SAS (a token request, a page load, a call to another API?)`;
}

function labelOf(e: CapturedExchange): string {
  const status = e.response?.status;
  return `${e.request.method} ${redactUri(e.request.url)}${status !== undefined ? ` → ${status}` : ""}`;
}

export function explainCapture(
  requestText: string | CaptureSessions,
  responseText: string | undefined,
  options: DoctorOptions,
  where = { request: "request", response: "response" },
): ExplainResult {
  return explainParsed(parseCapture(requestText, responseText, options, where), options);
}

/** A capture read: its exchanges and, when given apart, the server's answer. */
export interface ParsedCapture {
  exchanges: CapturedExchange[];
  response: CapturedResponse | undefined;
}

/** Reads a capture as explainCapture does, for a caller that needs the exchanges too (the page's diff). */
export function parseCapture(
  requestText: string | CaptureSessions,
  responseText: string | undefined,
  options: Pick<DoctorOptions, "account">,
  where = { request: "request", response: "response" },
): ParsedCapture {
  const exchanges = parseRequestCaptures(
    requestText,
    where.request,
    options.account ? { account: options.account } : {},
  );
  const response = responseText ? parseResponseCapture(responseText, where.response) : undefined;
  if (response && exchanges.length > 1)
    throw new CaptureError(
      `${where.response}: a separate response needs a capture with one request; ${where.request} holds ${exchanges.length}`,
    );
  return { exchanges, response };
}

/** explainCapture of a capture already read. */
export function explainParsed({ exchanges, response }: ParsedCapture, options: DoctorOptions): ExplainResult {
  const several = exchanges.length > 1;
  const requests: ExplainedRequest[] = exchanges.map((e, index) => {
    const label = labelOf(e);
    const notStorage = notStorageReason(e);
    if (notStorage) return { index, label, skipped: notStorage };
    const status = (response ?? e.response)?.status;
    // A HAR's status 0: the browser got no answer to show (blocked after a refused preflight, cancelled).
    if (several && status === 0)
      return {
        index,
        label,
        skipped: "the browser got no answer to it (status 0): blocked, cancelled or offline",
      };
    if (several && status !== undefined && status < 400)
      return { index, label, skipped: `it succeeded (${status}): nothing to diagnose` };
    return { index, label, report: diagnose(e, response, options) };
  });
  const primary = requests.find(
    (r): r is Extract<ExplainedRequest, { report: DoctorReport }> => "report" in r,
  );
  return { requests, ...(primary ? { primary: primary.report } : {}) };
}
