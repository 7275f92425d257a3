import { z } from "zod";
import type { HttpHeader } from "../../signature/index.js";
import {
  CaptureError,
  checkedRequest,
  headersFromUnknown,
  pairs,
  type CapturedExchange,
  type CapturedResponse,
} from "./exchange.js";

/**
 * The JavaScript SDK's RestError written as JSON, in its two shapes:
 * - Azure Storage Explorer's "Copy error details" (and JSON.stringify of an error of the SDKs built on
 *   @azure/core-http): the request's url, method and headers, the response's status, headers and body
 *   text. Headers are an `_headersMap` of {name, value} by lower-case name.
 * - JSON.stringify of an error of today's SDKs (@azure/core-rest-pipeline): no request, the status, and
 *   `details`: the response's headers (the error code as `errorCode`) with the error body's fields
 *   (`message`, `code`, `authenticationErrorDetail`). Only a response, then. Printed by Node
 *   (PRINTED_REST_ERROR), the same error also has its request: the URL (every query value `REDACTED`),
 *   the method and the headers.
 */

const headerMap = z.object({
  _headersMap: z.record(z.string(), z.object({ name: z.string(), value: z.unknown() })),
});

const restErrorSchema = z.object({
  name: z.string().optional(),
  code: z.string().optional(),
  statusCode: z.number().int().optional(),
  request: z
    .object({
      url: z.string({ error: "missing: the error details name no request URL" }),
      method: z.string().optional(),
      headers: z.unknown().optional(),
    })
    .optional(),
  response: z
    .object({
      status: z.number().int().optional(),
      headers: z.unknown().optional(),
      bodyAsText: z.string().nullish(),
      parsedHeaders: z.record(z.string(), z.unknown()).nullish(),
      parsedBody: z.record(z.string(), z.unknown()).nullish(),
    })
    .optional(),
  details: z.record(z.string(), z.unknown()).nullish(),
});
type RestError = z.infer<typeof restErrorSchema>;

/**
 * A RestError as Node prints it (`console.error(err)`, an uncaught error): `RestError: <message>`, the
 * message's RequestId and Time lines, then the error as JSON from a line that opens it (` {`) to the line
 * that closes it. What a Node program's users paste.
 */
export const PRINTED_REST_ERROR = /^RestError: .*(?:\n.*)*?\n ?\{\s*$/m;

/** The JSON of a printed RestError (PRINTED_REST_ERROR), parsed; CaptureError when it does not parse. */
export function printedRestErrorJson(text: string, where: string): Record<string, unknown> {
  const named = text.search(/^RestError: /m);
  const open = text.slice(named).search(/\n ?\{\s*\n/);
  const close = text.lastIndexOf("\n}");
  const json = open < 0 || close < 0 ? "" : text.slice(named + open + 1, close + 2);
  try {
    const doc: unknown = JSON.parse(json);
    if (doc && typeof doc === "object" && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch {
    // Reported below, as for any JSON that is not an error object.
  }
  throw new CaptureError(
    `${where}: a RestError as Node prints it, but the JSON after its message does not parse (was it cut off?): give it whole, from "RestError:" to the closing brace`,
  );
}

/** Whether a parsed JSON document is a RestError: its name, or core-http's header map on its request. */
export function isRestErrorJson(doc: Record<string, unknown>): boolean {
  if (doc["name"] === "RestError") return true;
  const headers = (doc["request"] as { headers?: unknown } | undefined)?.headers;
  return !!headers && typeof headers === "object" && "_headersMap" in headers;
}

/** The request and the response of Storage Explorer's error details. */
export function parseRestErrorJson(doc: Record<string, unknown>, where: string): CapturedExchange {
  const e = restErrorOf(doc, where);
  if (!e.request)
    throw new CaptureError(
      `${where}: the error names no request (today's SDKs leave it out of the error's JSON): pass this file as --response, with the request captured another way (the SDK's logging, curl -v, a HAR)`,
    );
  const request = checkedRequest(
    {
      method: e.request.method ?? "GET",
      url: e.request.url,
      headers: pairs(headersOf(e.request.headers, `${where}: request.headers`)),
    },
    where,
  );
  const response = restErrorResponseOf(e, where);
  return { request, ...(response ? { response } : {}), format: "sdk-log" };
}

/** The response a RestError holds, in either shape; CaptureError when it holds none. */
export function parseRestErrorResponse(doc: Record<string, unknown>, where: string): CapturedResponse {
  const response = restErrorResponseOf(restErrorOf(doc, where), where);
  if (!response) throw new CaptureError(`${where}: the error holds no response (no status, headers or body)`);
  return response;
}

function restErrorOf(doc: Record<string, unknown>, where: string): RestError {
  const parsed = restErrorSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new CaptureError(`${where}: ${issue.path.join(".") || "(error)"}: ${issue.message}`);
}

function headersOf(h: unknown, where: string): HttpHeader[] {
  const map = headerMap.safeParse(h);
  if (map.success)
    // An empty value (Storage Explorer lists `Cookie: ""`) was never sent.
    return Object.values(map.data._headersMap)
      .map((e) => ({ name: e.name, value: String(e.value ?? "") }))
      .filter((e) => e.value !== "");
  return headersFromUnknown(h, where);
}

/** The camel-case names the SDKs give Storage's response headers (parsedHeaders, details). */
const PARSED_HEADER_NAMES: Record<string, string> = {
  errorCode: "x-ms-error-code",
  requestId: "x-ms-request-id",
  clientRequestId: "x-ms-client-request-id",
  version: "x-ms-version",
  date: "Date",
};
/** Fields of `details` that come from the error body, not from a header. */
const BODY_FIELDS: Record<string, "code" | "message" | "detail"> = {
  code: "code",
  Code: "code",
  message: "message",
  Message: "message",
  authenticationErrorDetail: "detail",
  AuthenticationErrorDetail: "detail",
};

function restErrorResponseOf(e: RestError, where: string): CapturedResponse | undefined {
  const status = e.response?.status ?? e.statusCode;
  let headers = headersOf(e.response?.headers, `${where}: response.headers`);
  const named = e.response?.parsedHeaders ?? e.details ?? {};
  if (headers.length === 0)
    headers = Object.entries(named)
      .filter(([k, v]) => !(k in BODY_FIELDS) && (typeof v === "string" || typeof v === "number"))
      .map(([k, v]) => ({ name: PARSED_HEADER_NAMES[k] ?? k, value: String(v) }));
  // The error's code is the one the SDK read from the response (its x-ms-error-code or body).
  if (e.code && !headers.some((h) => h.name.toLowerCase() === "x-ms-error-code"))
    headers.push({ name: "x-ms-error-code", value: e.code });
  const body = e.response?.bodyAsText ?? bodyOfFields({ ...e.details, ...e.response?.parsedBody });
  if (status === undefined && headers.length === 0 && body === undefined) return undefined;
  const response: CapturedResponse = { headers };
  if (status !== undefined) response.status = status;
  if (body !== undefined) response.body = body;
  return response;
}

/**
 * The error body's fields, as the SDK parsed them from Storage's XML, written back as a JSON error:
 * its message (with the AuthenticationErrorDetail after it, where Azure puts the string-to-sign).
 */
function bodyOfFields(fields: Record<string, unknown>): string | undefined {
  const found: Partial<Record<"code" | "message" | "detail", string>> = {};
  for (const [k, v] of Object.entries(fields)) {
    const role = BODY_FIELDS[k];
    if (role && typeof v === "string" && v) found[role] = v;
  }
  if (!found.message && !found.detail) return undefined;
  const message = [found.message, found.detail && `AuthenticationErrorDetail:${found.detail}`]
    .filter(Boolean)
    .join("\n");
  return JSON.stringify({ error: { ...(found.code ? { code: found.code } : {}), message } });
}
