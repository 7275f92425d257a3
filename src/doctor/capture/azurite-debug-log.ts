import {
  CaptureError,
  checkedRequest,
  headersFromUnknown,
  lastFailedTry,
  pairs,
  type CapturedExchange,
  type CapturedResponse,
} from "./exchange.js";

/**
 * Azurite's debug log (`azurite --debug FILE`): per request id, the request as it arrived (method,
 * path-style URL, headers as JSON), the string-to-sign Azurite computed, the error body and the answer's
 * status and headers. With several requests in it, the last one answered 4xx or 5xx is read. The
 * string-to-sign comes with the answer, so the doctor compares it with the request's own.
 */
export const AZURITE_DEBUG_LOG = /^\d{4}-\d\d-\d\dT[\d:.]+Z \S+ \w+: \w+: RequestMethod=\w+ RequestURL=/m;

const LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z (\S+) \w+: (.*)$/;
const REQUEST = /RequestMethod=(\w+) RequestURL=(\S+) RequestHeaders:(\{.*\}) ClientIP=/;
const END = /EndMiddleware: End response\. .*?StatusCode=(\d{3}) .*Headers=(\{.*\})\s*$/;
const BODY = /ErrorMiddleware: Set HTTP body: ("(?:[^"\\]|\\.)*")\s*$/;
const STRING_TO_SIGN = /\[STRING TO SIGN(?:_secondary)?\]:"(?:[^"\\]|\\.)*"/;

interface Traced {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  line: number;
  status?: number;
  responseHeaders?: Record<string, unknown>;
  body?: string;
  stringToSign?: string;
}

export function parseAzuriteDebugLog(text: string, where: string): CapturedExchange {
  const byId = new Map<string, Traced>();
  const order: Traced[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const m = LINE.exec(raw);
    if (!m) return;
    const [, id, message] = m as unknown as [string, string, string];
    const request = REQUEST.exec(message);
    if (request) {
      const t: Traced = {
        method: request[1]!,
        url: request[2]!,
        headers: jsonObject(request[3]!, `${where}:${index + 1}: RequestHeaders`),
        line: index + 1,
      };
      byId.set(id, t);
      order.push(t);
      return;
    }
    const t = byId.get(id);
    if (!t) return;
    const sts = STRING_TO_SIGN.exec(message);
    if (sts) t.stringToSign = sts[0];
    const body = BODY.exec(message);
    if (body) t.body = jsonString(body[1]!, `${where}:${index + 1}: HTTP body`);
    const end = END.exec(message);
    if (end) {
      t.status = Number(end[1]);
      t.responseHeaders = jsonObject(end[2]!, `${where}:${index + 1}: Headers`);
    }
  });
  const chosen = lastFailedTry(order, (t) => t.status);
  if (!chosen) throw new CaptureError(`${where}: Azurite's log holds no request (no RequestMethod= line)`);
  // Azurite logs the URL without the port; the Host header has it.
  let logged: URL;
  try {
    logged = new URL(chosen.url);
  } catch {
    throw new CaptureError(`${where}:${chosen.line}: RequestURL is not a URL`);
  }
  const host = typeof chosen.headers["host"] === "string" ? chosen.headers["host"] : logged.host;
  const request = checkedRequest(
    {
      method: chosen.method,
      url: `${logged.protocol}//${host}${logged.pathname}${logged.search}`,
      headers: pairs(headersFromUnknown(chosen.headers, `${where}:${chosen.line}: RequestHeaders`)),
    },
    `${where}:${chosen.line}`,
  );
  return { request, ...responseOf(chosen, where), format: "azurite-log" };
}

function responseOf(t: Traced, where: string): { response?: CapturedResponse } {
  if (t.status === undefined) return {};
  const response: CapturedResponse = {
    status: t.status,
    headers: headersFromUnknown(t.responseHeaders, `${where}: response headers`),
  };
  // The string-to-sign first: the doctor reads the server's evidence from it, the code from the header.
  const body = [t.stringToSign, t.body].filter(Boolean).join("\n");
  if (body) response.body = body;
  return { response };
}

function jsonObject(text: string, where: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new CaptureError(`${where}: not a JSON object of headers`);
}

function jsonString(text: string, where: string): string {
  try {
    return JSON.parse(text) as string;
  } catch {
    throw new CaptureError(`${where}: not a JSON string`);
  }
}
