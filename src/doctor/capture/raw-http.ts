import { parseRawHttp, type HttpHeader } from "../../signature/index.js";
import { CaptureError, withoutFormat, type CapturedExchange, type CapturedResponse } from "./exchange.js";

/** A response as raw HTTP text (status line, headers, body), or only its body (the XML error pasted alone). */
export function parseRawHttpResponse(text: string, where: string): CapturedResponse {
  const normalized = text.replace(/\r\n/g, "\n");
  const idx = normalized.indexOf("\n\n");
  const head = (idx >= 0 ? normalized.slice(0, idx) : normalized).split("\n");
  const body = idx >= 0 ? normalized.slice(idx + 2) : undefined;
  const m = /^HTTP\/[\d.]+\s+(\d{3})/.exec(head[0] ?? "");
  if (!m) return { headers: [], body: text.trim() }; // only a body, e.g. the XML error pasted alone
  const headers: HttpHeader[] = [];
  head.slice(1).forEach((line, i) => {
    if (line.trim() === "") return;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new CaptureError(`${where}:${i + 2}: expected "Name: value"`);
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  });
  return { status: Number(m[1]), headers, body: body && body.length > 0 ? body : undefined };
}

/**
 * The text parseRawSession reads for a request and its response recorded apart (a proxy's saved session):
 * the request without its trailing line breaks, then, when there is one, a blank line and the response.
 */
export function rawSessionText(request: string, response: string | undefined): string {
  const sent = request.replace(/(\r?\n)+$/, "");
  return response ? `${sent}\r\n\r\n${response}` : sent;
}

/** Where a raw session's response starts: a status line (`HTTP/1.1 403 …`) after a blank line. */
const RAW_ANSWER = /\r?\n[ \t]*\r?\n(?=HTTP\/\d(?:\.\d)? \d{3}\b)/;

/**
 * A request as raw HTTP text, or a raw session (Fiddler, Burp, a paste of both): the request, then the
 * response's status line after a blank line.
 */
export function parseRawSession(text: string, where: string): CapturedExchange {
  const answer = RAW_ANSWER.exec(text);
  const request = parseRawHttp(answer ? text.slice(0, answer.index) : text, where);
  return {
    request: withoutFormat(request),
    ...(answer
      ? { response: parseRawHttpResponse(text.slice(answer.index).trimStart(), `${where} (the response)`) }
      : {}),
    format: request.format,
  };
}
