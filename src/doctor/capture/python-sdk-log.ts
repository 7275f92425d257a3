import type { HttpHeader } from "../../signature/index.js";
import { CaptureError, type CapturedExchange } from "./exchange.js";

/**
 * The HTTP logging of the Azure SDK for Python, which is also what `az … --debug` prints: `Request URL:
 * '…'`, `Request method: '…'`, `Request headers:` and `Response status: N`, `Response headers:`, each
 * header as `    'name': 'value'`. Two loggers write it:
 * - azure-core's HttpLoggingPolicy (INFO): one record per request and per response, the lines after
 *   the first without the logging prefix; most values `REDACTED`, no body;
 * - the Storage SDKs' own policy (DEBUG, `logging_enable=True`): one record per line, so with a logging
 *   format each line carries its prefix (`DEBUG:azure.storage.blob._shared.policies:    'x-ms-version':
 *   …`); the signature and Authorization `*****`, and with `logging_body=True` the response's body after
 *   `Response content:`, as Python prints bytes (`b'<?xml …'`).
 */
export const SDK_LOG_URL = /Request URL:\s*'([^']+)'/;

const REQUEST_METHOD = /Request method:\s*'([A-Za-z]+)'/;
const RESPONSE_STATUS = /Response status:\s*(\d{3})/;
/** A header as Python's repr writes it, after at least two spaces: `    'name': 'value'` (or "…"). */
const LOGGED_HEADER = /\s{2}(['"])(.+?)\1:\s*(['"])(.*)\3\s*$/;
/** Lines the Storage policy writes where there is no body to show. */
const NO_BODY = /^(?:Body contains (?:binary|image) data\.|Body is streamable|File attachments: .*)$/;
const LEVELS = "(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)";

interface LoggedLine {
  text: string;
  /** Whether a new log record starts here (its prefix, when the log has one, removed from `text`). */
  record: boolean;
}

/**
 * The lines of the log with the logging prefix taken off. The prefix is what precedes `Request URL:`,
 * with its numbers (times, thread ids) and level free to vary from record to record.
 */
function loggedLines(lines: string[], urlLine: string): LoggedLine[] {
  const prefix = urlLine.slice(0, urlLine.search(/Request URL:/));
  if (prefix.trim() === "") return lines.map((text) => ({ text, record: false }));
  const pattern = new RegExp(
    "^" +
      prefix
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(/\d+/g, "\\d+")
        .replace(new RegExp(LEVELS, "g"), LEVELS),
  );
  return lines.map((line) => {
    const m = pattern.exec(line);
    return m ? { text: line.slice(m[0].length), record: true } : { text: line, record: false };
  });
}

/** The last request that has a 4xx or 5xx response, else the last request. */
export function parsePythonSdkLog(text: string, where: string): CapturedExchange {
  const raw = text.replace(/\r\n/g, "\n").split("\n");
  // Take the last request block that has a response: az retries and refreshes tokens before the failure.
  let start = -1;
  for (let i = raw.length - 1; i >= 0; i--) {
    if (SDK_LOG_URL.test(raw[i]!)) {
      start = i;
      const hasFailure = raw.slice(i).some((l) => /Response status:\s*[45]\d\d/.test(l));
      if (hasFailure) break;
    }
  }
  if (start < 0) throw new CaptureError(`${where}: no "Request URL:" line found`);
  const url = SDK_LOG_URL.exec(raw[start]!)![1]!;
  const lines = loggedLines(raw, raw[start]!);
  let method = "GET";
  const requestHeaders: HttpHeader[] = [];
  const responseHeaders: HttpHeader[] = [];
  let status: number | undefined;
  let body: string | undefined;
  let section: "none" | "request" | "response" = "none";
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!.text;
    if (SDK_LOG_URL.test(line)) break;
    const mm = REQUEST_METHOD.exec(line);
    if (mm) method = mm[1]!.toUpperCase();
    if (/Request headers:/.test(line)) section = "request";
    else if (/Response headers:/.test(line)) section = "response";
    else if (/Request body:|No body was attached/.test(line)) section = "none";
    const ms = RESPONSE_STATUS.exec(line);
    if (ms) {
      status = Number(ms[1]);
      section = "none";
    }
    if (/Response content:\s*$/.test(line)) {
      section = "none";
      const content = loggedBody(lines, i + 1);
      if (content !== undefined) body = content;
      continue;
    }
    const hm = LOGGED_HEADER.exec(line);
    if (hm && section !== "none") {
      (section === "request" ? requestHeaders : responseHeaders).push({ name: hm[2]!, value: hm[4]! });
    }
  }
  return {
    request: { method, url, headers: requestHeaders },
    response:
      status !== undefined
        ? { status, headers: responseHeaders, ...(body === undefined ? {} : { body }) }
        : undefined,
    format: "sdk-log",
  };
}

/**
 * The body logged after `Response content:`: the next record, its lines up to the record after it (an
 * XML error's message spans lines), unless the policy said there is none to show.
 */
function loggedBody(lines: LoggedLine[], from: number): string | undefined {
  const first = lines[from];
  if (!first || NO_BODY.test(first.text.trim()) || SDK_LOG_URL.test(first.text)) return undefined;
  const parts = [first.text];
  for (let i = from + 1; i < lines.length && !lines[i]!.record; i++) {
    if (SDK_LOG_URL.test(lines[i]!.text) || RESPONSE_STATUS.test(lines[i]!.text)) break;
    parts.push(lines[i]!.text);
  }
  const text = parts.join("\n").trim();
  return text === "" ? undefined : fromBytesRepr(text);
}

/** Python's repr of bytes (`b'<?xml …\n…'`) as the text it holds; any other text as it is. */
function fromBytesRepr(text: string): string {
  const m = /^b(['"])([\s\S]*)\1$/.exec(text);
  if (!m) return text;
  // Bytes, not characters: `\xc3\xa9` is one é. No Buffer: the dashboard's page runs this too.
  const utf8 = new TextEncoder();
  const bytes: number[] = [];
  const s = m[2]!;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\") {
      bytes.push(...utf8.encode(c));
      continue;
    }
    const next = s[++i];
    if (next === "x" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (next !== undefined && ESCAPED_BYTES[next] !== undefined) bytes.push(ESCAPED_BYTES[next]);
    else bytes.push(92, ...utf8.encode(next ?? ""));
  }
  return new TextDecoder().decode(Uint8Array.from(bytes)).replace(/^\uFEFF/, "");
}

const ESCAPED_BYTES: Readonly<Record<string, number>> = {
  n: 10,
  r: 13,
  t: 9,
  "\\": 92,
  "'": 39,
  '"': 34,
  "0": 0,
};
