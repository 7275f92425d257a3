import type { HttpHeader } from "../../signature/index.js";
import { CaptureError, type CapturedExchange, type CapturedResponse, lastFailedTry } from "./exchange.js";

/**
 * The HTTP logging of the Azure SDK for Java (azure-core's HttpLoggingPolicy, `AZURE_LOG_LEVEL` with
 * `HttpLogDetailLevel.HEADERS` or more): one line per request and per response, whatever the logging
 * backend puts before it, ending in a JSON object:
 * `{"az.sdk.message":"HTTP request","method":"GET","url":"…","tryCount":1,<header>:<value>…,"contentLength":0}`
 * and `{"az.sdk.message":"HTTP response","contentLength":"246","statusCode":403,"url":"…","durationMs":12,
 * <header>:<value>…[,"body":"…"]}`. Header names are lower case; values not on the SDK's list, and query
 * parameters not on its list (the SAS signature among them), read `REDACTED`.
 */
export const JAVA_SDK_LOG = /\{"az\.sdk\.message":"HTTP (?:request|response)"/;

/** The keys azure-core's logging adds beside the headers (LoggingKeys). */
const LOGGING_KEYS = new Set([
  "az.sdk.message",
  "method",
  "url",
  "tryCount",
  "contentLength",
  "body",
  "statusCode",
  "durationMs",
  "redirectUrl",
]);

interface LoggedEvent {
  message: string;
  fields: Record<string, unknown>;
}

function headersOf(fields: Record<string, unknown>): HttpHeader[] {
  return Object.entries(fields)
    .filter(([name, value]) => !LOGGING_KEYS.has(name) && value !== null && typeof value !== "object")
    .map(([name, value]) => ({ name, value: String(value) }));
}

/** The last request answered 4xx or 5xx (else the last request), with its answer. */
export function parseJavaSdkLog(text: string, where: string): CapturedExchange {
  const events: LoggedEvent[] = [];
  text
    .replace(/\r\n/g, "\n")
    .split("\n")
    .forEach((line, i) => {
      const at = line.search(JAVA_SDK_LOG);
      if (at < 0) return;
      let fields: unknown;
      try {
        fields = JSON.parse(line.slice(at));
      } catch (err) {
        throw new CaptureError(
          `${where}:${i + 1}: the logged event is not JSON (${(err as Error).message}); was the line cut?`,
        );
      }
      const f = fields as Record<string, unknown>;
      events.push({ message: String(f["az.sdk.message"]), fields: f });
    });
  // A response answers the latest request to its URL.
  const tries: Array<{ request: LoggedEvent; response?: LoggedEvent }> = [];
  for (const e of events) {
    if (e.message === "HTTP request") tries.push({ request: e });
    else {
      const asked = tries.findLast((t) => !t.response && t.request.fields["url"] === e.fields["url"]);
      if (asked) asked.response = e;
    }
  }
  const chosen = lastFailedTry(tries, (t) => Number(t.response?.fields["statusCode"] ?? 0));
  if (!chosen) throw new CaptureError(`${where}: no {"az.sdk.message":"HTTP request",…} event found`);
  const { method, url } = chosen.request.fields;
  if (typeof url !== "string") throw new CaptureError(`${where}: the logged request has no url`);
  let response: CapturedResponse | undefined;
  if (chosen.response) {
    const r = chosen.response.fields;
    const status = Number(r["statusCode"]);
    response = {
      ...(Number.isInteger(status) ? { status } : {}),
      headers: headersOf(r),
      ...(typeof r["body"] === "string" && r["body"] !== "" ? { body: r["body"] } : {}),
    };
  }
  return {
    request: {
      method: typeof method === "string" ? method.toUpperCase() : "GET",
      url,
      headers: headersOf(chosen.request.fields),
    },
    ...(response ? { response } : {}),
    format: "sdk-log",
  };
}
