import { parseQuery, type HttpHeader, type QueryParameter } from "../../signature/index.js";
import { isHiddenByLogger } from "../hidden.js";
import { CaptureError, type CapturedExchange, type CapturedResponse } from "./exchange.js";

/**
 * The HTTP logging of the Azure SDK for Python, and what `az … --debug` prints: `Request URL: '…'`,
 * `Request method: '…'`, `Request headers:` and `Response status: N`, `Response headers:`, each header
 * as `    'name': 'value'`. Several loggers write one request, and a real log interleaves them:
 * - azure-core's HttpLoggingPolicy (INFO): one record per request and per response, the lines after
 *   the first without the logging prefix; every query value and most headers `REDACTED`, no body;
 * - the Storage SDKs' own policy (DEBUG, `logging_enable=True`): one record per line, so with a logging
 *   format each line carries its prefix (`DEBUG:azure.storage.blob._shared.policies:    'x-ms-version':
 *   …`); only the signature (`sig=*****`) and Authorization hidden, and with `logging_body=True` the
 *   response's body after `Response content:`, as Python prints bytes (`b'<?xml …'`);
 * - urllib3 (DEBUG): one line per request sent, `http://host:port "GET /path?query HTTP/1.1" 403 None`,
 *   the query whole. It is all `az … --debug` shows of a Storage data request in some versions.
 * Then the program (or az) prints the exception: its message, `ErrorCode:…` and `Content: <?xml …`.
 * Each try's records are read together and each value is taken from the record that shows it; the body,
 * when no logger wrote it, from the exception's `Content:`.
 */
export const SDK_LOG_URL = /Request URL:\s*'([^']+)'/;
/** urllib3's line for a request it sent: the origin, then `"METHOD target HTTP/1.1" status length`. */
export const URLLIB3_REQUEST = /(https?:\/\/[^\s"/]+) "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

const REQUEST_METHOD = /^Request method:\s*'([A-Za-z]+)'/;
const RESPONSE_STATUS = /^Response status:\s*(\d{3})/;
/** A header as Python's repr writes it, after at least two spaces: `    'name': 'value'` (or "…"). */
const LOGGED_HEADER = /^\s{2,}(['"])(.+?)\1:\s*(['"])(.*)\3\s*$/;
/** Lines the loggers write about a request's body, which end its headers. */
const REQUEST_BODY_NOTE =
  /^(?:Request body:|No body was attached|A body is sent with the request|File upload)/;
/** Lines the Storage policy writes where there is no body to show. */
const NO_BODY = /^(?:Body contains (?:binary|image) data\.|Body is streamable|File attachments: .*)$/;
const LEVEL = String.raw`\b(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\b`;
/** A logger's name: dotted (`azure.storage.blob._shared.policies`, `urllib3.connectionpool`). */
const LOGGER_NAME = String.raw`[A-Za-z_]\w*(?:\.\w+)+`;
const PREFIX_TOKEN = new RegExp(`(${LOGGER_NAME}|\\d+|${LEVEL})`);

interface LoggedLine {
  text: string;
  /** Whether a new log record starts here (its prefix, when the log has one, removed from `text`). */
  record: boolean;
  /** The record's prefix with its numbers (times) blanked: the same for every record of one logger. */
  logger?: string;
}

/**
 * The pattern of one logger's prefix, from the text before a line's message: its numbers (times,
 * thread ids), level and logger name free to vary, so every logger writing in the same format matches.
 */
function prefixPattern(prefix: string): RegExp {
  const source = prefix
    .split(PREFIX_TOKEN)
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      if (/^\d+$/.test(part)) return "\\d+";
      return new RegExp(`^${LEVEL}$`).test(part) ? LEVEL : LOGGER_NAME;
    })
    .join("");
  return new RegExp(`^${source}`);
}

/** The lines of the log with each record's logging prefix taken off (the formats seen before messages). */
function loggedLines(lines: string[]): LoggedLine[] {
  const patterns: RegExp[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const at = messageStart(line);
    if (at <= 0) continue;
    const p = prefixPattern(line.slice(0, at));
    if (!seen.has(p.source)) {
      seen.add(p.source);
      patterns.push(p);
    }
  }
  return lines.map((line) => {
    for (const p of patterns) {
      const m = p.exec(line);
      if (m) return { text: line.slice(m[0].length), record: true, logger: m[0].replace(/\d+/g, "0") };
    }
    return { text: line, record: false };
  });
}

/** Where a known message starts in a line (`Request URL:` or urllib3's request), -1 in any other line. */
function messageStart(line: string): number {
  const url = line.search(/Request URL:/);
  if (url >= 0) return url;
  const sent = URLLIB3_REQUEST.exec(line);
  return sent ? sent.index : -1;
}

interface LoggedRequest {
  url: string;
  method?: string;
  headers: HttpHeader[];
}

interface LoggedResponse {
  status: number;
  headers: HttpHeader[];
  body?: string;
}

/** One try: what each logger wrote of one request and its answer. */
interface Try {
  requests: LoggedRequest[];
  /** urllib3's line: what was sent, the query whole, and the status. */
  sent?: { origin: string; method: string; target: string; status: number };
  responses: LoggedResponse[];
  /** The try's first line, and the line after its last record (the exception's text may follow). */
  start: number;
  end: number;
}

/** The last try answered 4xx or 5xx, else the last try, read from every logger's records. */
export function parsePythonSdkLog(text: string, where: string): CapturedExchange {
  const raw = text.replace(/\r\n/g, "\n").split("\n");
  const lines = loggedLines(raw);
  const tries = triesOf(lines);
  const failed = tries.filter((t) => (statusOf(t) ?? 0) >= 400);
  const chosen = failed[failed.length - 1] ?? tries[tries.length - 1];
  if (!chosen) throw new CaptureError(`${where}: no "Request URL:" line and no urllib3 request line found`);
  const next = tries[tries.indexOf(chosen) + 1];
  const request = requestOf(chosen);
  const status = statusOf(chosen);
  const exceptionBody = contentOfException(lines, chosen.end, next ? next.start : lines.length);
  const loggedBody = chosen.responses.find((r) => r.body !== undefined)?.body;
  const body = loggedBody ?? exceptionBody;
  const response: CapturedResponse | undefined =
    status === undefined
      ? undefined
      : {
          status,
          headers: mergedHeaders(chosen.responses.map((r) => r.headers)),
          ...(body === undefined ? {} : { body }),
        };
  const exchange: CapturedExchange = { request, response, format: "sdk-log" };
  if (chosen.requests.length === 0 && !/[?&]sig=/i.test(request.url))
    exchange.credentialNotShown =
      "the log shows only urllib3's line of this request (all that some `az … --debug` versions print of it): the method and URL, not the headers";
  return exchange;
}

function statusOf(t: Try): number | undefined {
  return t.responses[0]?.status ?? t.sent?.status;
}

/** Every try in the log, each logger's records of one request together. */
function triesOf(lines: LoggedLine[]): Try[] {
  const tries: Try[] = [];
  let current: Try | undefined;
  let section: "none" | "request" | "response" = "none";
  let at = 0;
  const open = (): Try => {
    // A request logged after an answer (or after urllib3 sent it) is the next try's.
    if (!current || current.responses.length > 0 || current.sent) {
      current = { requests: [], responses: [], start: at, end: at };
      tries.push(current);
    }
    return current;
  };
  for (let i = 0; i < lines.length; i++) {
    at = i;
    const line = lines[i]!.text;
    const url = SDK_LOG_URL.exec(line);
    if (url && line.trimStart().startsWith("Request URL:")) {
      open().requests.push({ url: url[1]!, headers: [] });
      section = "none";
      current!.end = i + 1;
      continue;
    }
    const sent = URLLIB3_REQUEST.exec(line);
    if (sent) {
      const t = current && !current.sent && current.responses.length === 0 ? current : open();
      t.sent = { origin: sent[1]!, method: sent[2]!, target: sent[3]!, status: Number(sent[4]) };
      t.end = i + 1;
      section = "none";
      continue;
    }
    if (!current) continue;
    const method = REQUEST_METHOD.exec(line);
    const status = RESPONSE_STATUS.exec(line);
    if (method && current.requests.length > 0)
      current.requests[current.requests.length - 1]!.method = method[1];
    else if (/^Request headers:/.test(line)) section = "request";
    else if (/^Response headers:/.test(line)) section = "response";
    else if (status) {
      current.responses.push({ status: Number(status[1]), headers: [] });
      section = "none";
    } else if (/^Response content:\s*$/.test(line)) {
      section = "none";
      const answer = current.responses[current.responses.length - 1];
      const content = loggedBody(lines, i);
      if (answer && content !== undefined) answer.body = content.text;
      if (content) i = content.last;
    } else {
      const h = LOGGED_HEADER.exec(line);
      if (h && section === "request" && current.requests.length > 0)
        current.requests[current.requests.length - 1]!.headers.push({ name: h[2]!, value: h[4]! });
      else if (h && section === "response" && current.responses.length > 0)
        current.responses[current.responses.length - 1]!.headers.push({ name: h[2]!, value: h[4]! });
      else {
        if (REQUEST_BODY_NOTE.test(line) || !h) section = "none";
        continue;
      }
    }
    current.end = i + 1;
  }
  return tries;
}

/**
 * The request of a try: the URL that hides the fewest query values, its hidden ones filled from
 * urllib3's line when that shows the same request; each header from the record that shows its value.
 */
function requestOf(t: Try): CapturedExchange["request"] {
  const method = t.requests.find((r) => r.method)?.method?.toUpperCase() ?? t.sent?.method ?? "GET";
  const sentUrl = t.sent ? t.sent.origin + t.sent.target : undefined;
  const logged = [...t.requests].sort((a, b) => hiddenValues(a.url) - hiddenValues(b.url))[0]?.url;
  const url = logged === undefined ? sentUrl! : sentUrl && sameRequest(logged, sentUrl) ? sentUrl : logged;
  return { method, url, headers: mergedHeaders(t.requests.map((r) => r.headers)) };
}

function queryOf(url: string): QueryParameter[] {
  const q = url.indexOf("?");
  return q < 0 ? [] : parseQuery(url.slice(q + 1));
}

function hiddenValues(url: string): number {
  return queryOf(url).reduce((n, p) => n + p.values.filter((v) => isHiddenByLogger(v)).length, 0);
}

/** urllib3's URL is the logged one with its hidden values shown: the same path and parameters, and the same shown values. */
function sameRequest(logged: string, sent: string): boolean {
  const path = (u: string) => u.split("?")[0]!.replace(/^https?:\/\/[^/]+/, "");
  if (path(logged) !== path(sent)) return false;
  const shown = new Map(queryOf(sent).map((p) => [p.name, p.values]));
  const hidden = queryOf(logged);
  return (
    hidden.length === shown.size &&
    hidden.every((p) => {
      const values = shown.get(p.name);
      return (
        values !== undefined &&
        values.length === p.values.length &&
        p.values.every((v, i) => isHiddenByLogger(v) || v === values[i])
      );
    })
  );
}

/** One list of headers from each logger's: every name in first-seen order, valued by the first logger that shows it. */
function mergedHeaders(lists: HttpHeader[][]): HttpHeader[] {
  const out: HttpHeader[] = [];
  const at = new Map<string, number>();
  for (const list of lists) {
    for (const h of list) {
      const key = h.name.toLowerCase();
      const i = at.get(key);
      if (i === undefined) {
        at.set(key, out.length);
        out.push({ name: h.name, value: h.value });
      } else if (isHiddenByLogger(out[i]!.value) && !isHiddenByLogger(h.value))
        out[i] = { name: h.name, value: h.value };
    }
  }
  return out;
}

/**
 * The body logged after the `Response content:` line at `at`: the next record and its lines up to the
 * record after it (an XML error's message spans lines), unless the policy said there is none to show.
 * In a log whose records carry a prefix, the body is the same logger's next record: a line without a
 * prefix, or another logger's record, means the policy logged none (no `logging_body`) and other output
 * follows.
 */
function loggedBody(lines: LoggedLine[], at: number): { text: string; last: number } | undefined {
  const from = at + 1;
  const first = lines[from];
  const prefixed = lines.some((l) => l.record);
  if (!first || (prefixed && (!first.record || first.logger !== lines[at]!.logger))) return undefined;
  if (NO_BODY.test(first.text.trim()) || SDK_LOG_URL.test(first.text)) return undefined;
  const parts = [first.text];
  let last = from;
  for (let i = from + 1; i < lines.length && !lines[i]!.record; i++) {
    if (SDK_LOG_URL.test(lines[i]!.text) || RESPONSE_STATUS.test(lines[i]!.text.trim())) break;
    parts.push(lines[i]!.text);
    last = i;
  }
  const text = parts.join("\n").trim();
  return text === "" ? undefined : { text: fromBytesRepr(text), last };
}

/**
 * The XML error in the exception's text after a try (`Content: <?xml …` up to `</Error>`), as
 * azure-core's HttpResponseError prints it, when no logger wrote the body.
 */
function contentOfException(lines: LoggedLine[], from: number, to: number): string | undefined {
  for (let i = from; i < to; i++) {
    const m = /Content:\s*(<\?xml.*|<Error>.*)$/.exec(lines[i]!.text);
    if (!m) continue;
    let xml = m[1]!;
    for (let k = i + 1; k < to && !xml.includes("</Error>"); k++) xml += "\n" + lines[k]!.text;
    const end = xml.indexOf("</Error>");
    return end >= 0 ? xml.slice(0, end + "</Error>".length) : undefined;
  }
  return undefined;
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
