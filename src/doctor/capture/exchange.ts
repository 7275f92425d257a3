import {
  headerValue,
  headerValues,
  parseRequestJson,
  type HttpHeader,
  type ParsedRequest,
} from "../../signature/index.js";

export interface CapturedResponse {
  status?: number;
  headers: HttpHeader[];
  body?: string;
}

/** What every capture reader gives: the request, the response when the capture holds one, and its format. */
export interface CapturedExchange {
  /** Parsed by the signature diagnostics' request parser (raw HTTP, JSON, HAR entry), or from SDK logs. */
  request: Omit<ParsedRequest, "format">;
  response?: CapturedResponse;
  /** Which format the request was read from. */
  format:
    | ParsedRequest["format"]
    | "sdk-log"
    | "curl-verbose"
    | "curl-command"
    | "fetch-call"
    | "azurite-log"
    | "powershell-web-request"
    | "terraform-error"
    | "terraform-debug-log";
  /**
   * Why the capture cannot show the request's credential at all (a format that prints the URL without
   * its query and no headers): the doctor then says so rather than calling the request anonymous.
   */
  credentialNotShown?: string;
  /** The capture leaves out the URL's query, so a SAS may be there unseen (the Go SDK's error text). */
  queryNotShown?: boolean;
}

export class CaptureError extends Error {
  override name = "CaptureError";
}

export function header(headers: HttpHeader[], name: string): string | undefined {
  return headerValue({ headers }, name);
}

export function headerAll(headers: HttpHeader[], name: string): string[] {
  return headerValues({ headers }, name);
}

/** Headers as a capture writes them: an object (a value may be a list), [name, value] pairs or {name, value}. */
export function headersFromUnknown(h: unknown, where: string): HttpHeader[] {
  if (h === undefined || h === null) return [];
  if (Array.isArray(h)) {
    return h.map((entry, i) => {
      if (Array.isArray(entry) && entry.length === 2)
        return { name: String(entry[0]), value: String(entry[1]) };
      if (entry && typeof entry === "object" && "name" in entry && "value" in entry) {
        const e = entry as { name: unknown; value: unknown };
        return { name: String(e.name), value: String(e.value) };
      }
      throw new CaptureError(`${where}: header ${i + 1} is neither [name, value] nor {name, value}`);
    });
  }
  if (typeof h === "object") {
    const out: HttpHeader[] = [];
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? v : [v]) out.push({ name: k, value: String(item) });
    }
    return out;
  }
  throw new CaptureError(`${where}: headers must be an object or a list`);
}

/**
 * A request a reader assembled from its own format (a command, a call, a log), checked as a JSON request
 * is (an absolute URL, a method, well-formed headers), the failure naming `where`.
 */
export function checkedRequest(
  parts: { method: string; url: string; headers: Array<[string, string]>; body?: string | undefined },
  where: string,
): CapturedExchange["request"] {
  const { body, ...rest } = parts;
  return withoutFormat(
    parseRequestJson(JSON.stringify(body === undefined ? rest : { ...rest, body }), where),
  );
}

/** Headers as [name, value] pairs, the form checkedRequest takes. */
export function pairs(headers: readonly HttpHeader[]): Array<[string, string]> {
  return headers.map((h) => [h.name, h.value]);
}

/** A request as the exchange carries it: the reader, not the request parser, names the format. */
export function withoutFormat(r: ParsedRequest): CapturedExchange["request"] {
  const { format: _format, ...rest } = r;
  return rest;
}

/**
 * The try worth diagnosing among a capture's tries (retries, redirects, token refreshes): the last one
 * answered 4xx or 5xx, else the last one.
 */
export function lastFailedTry<T>(tries: readonly T[], statusOf: (t: T) => number | undefined): T | undefined {
  return tries.findLast((t) => (statusOf(t) ?? 0) >= 400) ?? tries.at(-1);
}

/** What a capture that prints Storage's error without its body still tells of it. */
export interface StorageErrorParts {
  code?: string | undefined;
  /** The error's Message, RequestId and Time lines included when the capture has them. */
  message?: string | undefined;
  /** Its other elements (AuthenticationErrorDetail, QueryParameterName, …), in order. */
  details?: ReadonlyArray<readonly [string, string]>;
}

/**
 * Storage's XML error rebuilt from its parts (plain text, escaped here), for the captures that print the
 * error's fields rather than its body (Terraform, AzCopy, the Go SDKs): the doctor then reads the code,
 * the Time and the AuthenticationErrorDetail from it as from the body Storage sent.
 */
export function storageErrorBody(parts: StorageErrorParts): string {
  const element = (name: string, text: string) => `<${name}>${escapeXmlText(text)}</${name}>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?><Error>' +
    (parts.code ? element("Code", parts.code) : "") +
    (parts.message !== undefined ? element("Message", parts.message) : "") +
    (parts.details ?? []).map(([name, text]) => element(name, text)).join("") +
    "</Error>"
  );
}

/** What a printed error still tells of Storage's answer: its status, code, message, request id and time. */
export interface PrintedAnswer {
  status: number | undefined;
  code: string | undefined;
  message: string | undefined;
  requestId?: string | undefined;
  /** ISO time of the error (the XML error's `Time:` line). */
  time?: string | undefined;
}

/**
 * Storage's answer rebuilt from a printed error (Terraform, AzCopy, Spark, Data Factory, a browser's
 * console): the code and request id as the headers Storage sends, the rest as its XML error, so the doctor
 * reads them as from the answer itself.
 */
export function storageAnswer(a: PrintedAnswer): CapturedResponse {
  const lines = `${a.message ?? ""}${a.requestId ? `\nRequestId:${a.requestId}` : ""}${a.time ? `\nTime:${a.time}` : ""}`;
  return {
    ...(a.status !== undefined ? { status: a.status } : {}),
    headers: [
      ...(a.code ? [{ name: "x-ms-error-code", value: a.code }] : []),
      ...(a.requestId ? [{ name: "x-ms-request-id", value: a.requestId }] : []),
    ],
    ...(a.code || lines ? { body: storageErrorBody({ code: a.code, message: lines }) } : {}),
  };
}

function escapeXmlText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
