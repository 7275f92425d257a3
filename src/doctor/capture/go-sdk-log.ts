import { xmlUnescape, type HttpHeader } from "../../signature/index.js";
import { CaptureError, storageErrorBody, type CapturedExchange, type CapturedResponse } from "./exchange.js";

/**
 * The Azure SDK for Go, as AzCopy shows it (AzCopy is built on it), and any Go program that prints its
 * errors or turns its logging on:
 * - the log (AzCopy's job log, `~/.azcopy/<job>.log`; azcore's log listener): `==> OUTGOING REQUEST
 *   (Try=1)` and `==> REQUEST/RESPONSE (Try=1/…) -- RESPONSE STATUS CODE ERROR`, each followed by the
 *   method and URL and the headers, indented three spaces (`Name: value`, or `Name: [value]` at
 *   AzCopy's default log level, which shows only the request id), then after a rule `RESPONSE Status: 403
 *   …` and the response's headers, then `Response Details:` with the error on one line, abridged by
 *   AzCopy to its code and message. The SAS signature reads `-REDACTED-`.
 * - an azcore.ResponseError's text, what AzCopy prints on the terminal and a Go program with `err`:
 *   `METHOD URL` (no query), a rule, `RESPONSE 403: 403 …`, `ERROR CODE: …`, a rule, the body, a rule.
 */
export const GO_SDK_LOG = /==> (?:REQUEST\/RESPONSE|OUTGOING REQUEST) \(Try=\d+/;
export const GO_RESPONSE_ERROR = /^RESPONSE \d{3}: \d{3}\b.*\n(?:ERROR CODE: .*)?/m;

const BLOCK_START = /==> (REQUEST\/RESPONSE|OUTGOING REQUEST) \(Try=\d+/;
const REQUEST_LINE = /^ {3}([A-Z]+) (\S+)\s*$/;
export const INDENTED_HEADER = /^ {3}([!#$%&'*+.^_`|~0-9A-Za-z-]+): ?(.*)$/;
export const RULE = /^\s*-{20,}\s*$/;
export const RESPONSE_STATUS = /^ {3}RESPONSE Status: (\d{3})\b/;
/** A log line of its own: AzCopy's and Go's `2006/01/02 15:04:05` stamp. */
const STAMPED = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\b/;

interface GoBlock {
  answered: boolean;
  method: string;
  url: string;
  requestHeaders: HttpHeader[];
  status?: number;
  responseHeaders: HttpHeader[];
  body?: string;
}

/** `[value]`, as Go prints a header's values, without its brackets (`[]`: sent empty). */
export function bracketedValue(raw: string): string {
  const v = raw.trim();
  return v.startsWith("[") && v.endsWith("]") ? v.slice(1, -1) : v;
}

/** AzCopy abridges an XML error to its code and message on one line: kept as a whole error of those two. */
function abridgedError(details: string): string | undefined {
  const text = details.trim();
  if (text === "") return undefined;
  const code = /<Code>([^<]*)<\/Code>/i.exec(text)?.[1];
  if (!code || /<\/Error>\s*$/i.test(text)) return text;
  const message = /<Message>([^<]*)(?:<\/Message>|$)/i.exec(text)?.[1]?.trim();
  return storageErrorBody({ code: xmlUnescape(code), message: message ? xmlUnescape(message) : undefined });
}

function readBlock(lines: string[], start: number, answered: boolean): GoBlock | undefined {
  const request = REQUEST_LINE.exec(lines[start + 1] ?? "");
  if (!request) return undefined;
  const block: GoBlock = {
    answered,
    method: request[1]!,
    url: request[2]!,
    requestHeaders: [],
    responseHeaders: [],
  };
  let part: "request" | "response" = "request";
  let ruled = false;
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i]!;
    if (STAMPED.test(line) || line.trim() === "") break;
    if (line.startsWith("Response Details:")) {
      const details = abridgedError(line.slice("Response Details:".length));
      if (details !== undefined) block.body = details;
      break;
    }
    if (RULE.test(line)) {
      part = "response";
      ruled = true;
      continue;
    }
    const status = RESPONSE_STATUS.exec(line);
    if (status) {
      block.status = Number(status[1]);
      continue;
    }
    const h = INDENTED_HEADER.exec(line);
    if (!h) continue;
    (part === "request" ? block.requestHeaders : block.responseHeaders).push({
      name: h[1]!,
      value: bracketedValue(h[2]!),
    });
  }
  // At AzCopy's default level an answered try shows no rule and only the answer's request id.
  if (answered && !ruled) {
    const answer = block.requestHeaders.filter((h) => RESPONSE_ONLY.test(h.name));
    block.requestHeaders = block.requestHeaders.filter((h) => !RESPONSE_ONLY.test(h.name));
    block.responseHeaders.push(...answer);
  }
  return block;
}

const RESPONSE_ONLY = /^x-ms-(?:request-id|error-code)$/i;

/** The status an AzCopy failure line gives a try whose log (at the default level) shows none. */
function statusFromFailureLine(lines: string[], from: number): number | undefined {
  for (let i = from; i < Math.min(lines.length, from + 40); i++) {
    if (BLOCK_START.test(lines[i]!)) return undefined;
    const m = /FAILED: .* : (\d{3}) : \d{3} /.exec(lines[i]!);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** The log's last try answered 4xx or 5xx (else its last try), with its response. */
export function parseGoSdkLog(text: string, where: string): CapturedExchange {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const blocks: GoBlock[] = [];
  lines.forEach((line, i) => {
    const start = BLOCK_START.exec(line);
    if (!start) return;
    const answered = start[1] === "REQUEST/RESPONSE";
    const block = readBlock(lines, i, answered);
    if (!block) return;
    if (answered && block.status === undefined && /RESPONSE STATUS CODE ERROR/.test(line)) {
      const status = statusFromFailureLine(lines, i + 1);
      if (status !== undefined) block.status = status;
    }
    blocks.push(block);
  });
  const answered = blocks.filter((b) => b.answered);
  const chosen =
    answered.findLast((b) => (b.status ?? 0) >= 400 || b.body !== undefined) ??
    answered.at(-1) ??
    blocks.at(-1);
  if (!chosen) throw new CaptureError(`${where}: no "==> REQUEST/RESPONSE" block with a request line found`);
  const response: CapturedResponse | undefined = chosen.answered
    ? {
        ...(chosen.status === undefined ? {} : { status: chosen.status }),
        headers: chosen.responseHeaders,
        ...(chosen.body === undefined ? {} : { body: chosen.body }),
      }
    : undefined;
  return {
    request: { method: chosen.method, url: chosen.url, headers: chosen.requestHeaders },
    ...(response ? { response } : {}),
    format: "sdk-log",
  };
}

/**
 * An azcore.ResponseError's text: the request's method and URL (the query left out), `RESPONSE 403: 403
 * reason`, `ERROR CODE: X` and the body between rules. Its response, and its request when it names one.
 */
export function parseGoResponseError(
  text: string,
  where: string,
): { request?: { method: string; url: string }; response: CapturedResponse } {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const at = lines.findIndex((l) => /^RESPONSE \d{3}: \d{3}\b/.test(l));
  if (at < 0) throw new CaptureError(`${where}: no "RESPONSE NNN:" line found`);
  const status = Number(/^RESPONSE (\d{3})/.exec(lines[at]!)![1]);
  const code = /^ERROR CODE: (\S+)/.exec(lines[at + 1] ?? "")?.[1];
  // The request line is the last `METHOD URL` before the rule above the status.
  let request: { method: string; url: string } | undefined;
  for (let i = at - 1; i >= 0 && at - i < 4; i--) {
    const m = /(?:^|\s)([A-Z]{3,7}) (https?:\/\/\S+)\s*$/.exec(lines[i]!);
    if (m) {
      request = { method: m[1]!, url: m[2]! };
      break;
    }
  }
  // The body: between the rule after the status (and code) and the next rule.
  const open = lines.findIndex((l, i) => i > at && RULE.test(l));
  let body: string | undefined;
  if (open >= 0) {
    const close = lines.findIndex((l, i) => i > open && RULE.test(l));
    const inner = lines
      .slice(open + 1, close < 0 ? lines.length : close)
      .join("\n")
      .trim();
    if (inner !== "" && !/^Response contained no body$/i.test(inner)) body = inner;
  }
  return {
    ...(request ? { request } : {}),
    response: {
      status,
      headers: code ? [{ name: "x-ms-error-code", value: code }] : [],
      ...(body === undefined ? {} : { body }),
    },
  };
}
