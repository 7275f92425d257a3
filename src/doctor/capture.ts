import {
  headerValue,
  headerValues,
  parseRawHttp,
  parseRequestJson,
  parseServerAuthError,
  type HttpHeader,
  type ParsedRequest,
} from "../signature/index.js";

/**
 * Reads a captured request/response pair in the shapes people actually have: raw HTTP text, JSON
 * ({method,url,headers} / {status,headers,body}), a HAR file or entry, the HTTP logging of the Azure
 * SDKs (what `az … --debug` prints, the JavaScript SDK's AZURE_LOG_LEVEL=info), or what `curl -v`
 * prints. The format is detected, not configured.
 */
export interface CapturedResponse {
  status?: number;
  headers: HttpHeader[];
  body?: string;
}

export interface CapturedExchange {
  /** Parsed by the signature diagnostics' request parser (raw HTTP, JSON, HAR entry), or from SDK logs. */
  request: Omit<ParsedRequest, "format">;
  response?: CapturedResponse;
  /** Which format the request was read from. */
  format: ParsedRequest["format"] | "sdk-log" | "curl-verbose";
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

function headersFromUnknown(h: unknown, where: string): HttpHeader[] {
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

function parseRawHttpResponse(text: string, where: string): CapturedResponse {
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

function responseFromJson(obj: Record<string, unknown>, where: string): CapturedResponse {
  const status = obj["status"] ?? obj["statusCode"];
  let body: string | undefined;
  const content = obj["content"];
  if (typeof obj["body"] === "string") body = obj["body"];
  else if (
    content &&
    typeof content === "object" &&
    typeof (content as { text?: unknown }).text === "string"
  ) {
    body = (content as { text: string }).text;
  }
  return {
    status: typeof status === "number" ? status : status ? Number(status) : undefined,
    headers: headersFromUnknown(obj["headers"], where),
    body,
  };
}

function harEntry(doc: Record<string, unknown>, where: string): Record<string, unknown> | undefined {
  const log = doc["log"] as { entries?: unknown } | undefined;
  if (log && Array.isArray(log.entries)) {
    // The storage call that failed is the one worth diagnosing: prefer the first 4xx entry.
    const entries = log.entries as Array<Record<string, unknown>>;
    if (entries.length === 0) throw new CaptureError(`${where}: the HAR file has no entries`);
    const failed = entries.find((e) => {
      const s = (e["response"] as { status?: number } | undefined)?.status;
      return typeof s === "number" && s >= 400;
    });
    return failed ?? entries[0];
  }
  if (doc["request"] && typeof doc["request"] === "object") return doc;
  return undefined;
}

const SDK_LOG_URL = /Request URL:\s*'([^']+)'/;

function parseSdkLog(text: string, where: string): CapturedExchange {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  // Take the last request block that has a response: az retries and refreshes tokens before the failure.
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (SDK_LOG_URL.test(lines[i]!)) {
      start = i;
      const hasFailure = lines.slice(i).some((l) => /Response status:\s*[45]\d\d/.test(l));
      if (hasFailure) break;
    }
  }
  if (start < 0) throw new CaptureError(`${where}: no "Request URL:" line found`);
  const url = SDK_LOG_URL.exec(lines[start]!)![1]!;
  let method = "GET";
  const requestHeaders: HttpHeader[] = [];
  const responseHeaders: HttpHeader[] = [];
  let status: number | undefined;
  let section: "none" | "request" | "response" = "none";
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (SDK_LOG_URL.test(line)) break;
    const mm = /Request method:\s*'([A-Z]+)'/.exec(line);
    if (mm) method = mm[1]!;
    if (/Request headers:/.test(line)) section = "request";
    else if (/Response headers:/.test(line)) section = "response";
    const ms = /Response status:\s*(\d{3})/.exec(line);
    if (ms) {
      status = Number(ms[1]);
      section = "none";
    }
    const hm = /^\s+'([^']+)':\s*'(.*)'\s*$/.exec(line);
    if (hm && section !== "none") {
      (section === "request" ? requestHeaders : responseHeaders).push({ name: hm[1]!, value: hm[2]! });
    }
  }
  return {
    request: { method, url, headers: requestHeaders },
    response: status !== undefined ? { status, headers: responseHeaders } : undefined,
    format: "sdk-log",
  };
}

/** `curl -v` output: a request line sent (`> GET /c/b HTTP/1.1`) and curl's notes or the answer. */
const CURL_REQUEST_LINE = /^> ?[A-Za-z]+ \S+ HTTP\/[\d.]+[ \t]*$/m;
const CURL_NOTE_OR_ANSWER = /^(?:\* |< ?HTTP\/)/m;
/** curl's own lines: notes, and the data markers `-v` prints for bytes it does not show. */
const CURL_NOTE = /^(?:\*(?: |$)|[{}] \[\d+ bytes data\]$)/;
/** The note curl appends when a body does not end with a line break. */
const CURL_TRAILING_NOTE = /\* (?:Connection #\d+ to host .*|Closing connection.*)$/;

interface CurlExchange {
  sent: string[];
  received: string[];
  body: string[];
  /** The port curl said it connected to, for the URL's scheme. */
  port?: number;
}

/**
 * A `curl -v` transcript as a terminal shows it (stderr and stdout together): `*` notes, `>` lines sent,
 * `<` lines received, and the body, which curl writes to stdout and so may come before or after its last
 * notes. With several requests in it (redirects, retries), the last one answered 4xx or 5xx is read,
 * else the last one.
 */
function parseCurlVerbose(text: string, where: string): CapturedExchange {
  const exchanges: CurlExchange[] = [];
  let current: CurlExchange | undefined;
  let port: number | undefined;
  let part: "sent" | "received" | "after" = "after";
  for (const line of text.replace(/\r\n/g, "\n").split("\n")) {
    if (CURL_NOTE.test(line)) {
      const connected = /\bConnected to \S+ \([^)]*\) port (\d+)/.exec(line);
      if (connected) port = Number(connected[1]);
      continue;
    }
    if (line.startsWith(">") && part !== "received") {
      if (part !== "sent") {
        current = { sent: [], received: [], body: [], ...(port === undefined ? {} : { port }) };
        exchanges.push(current);
        part = "sent";
      }
      current!.sent.push(line.replace(/^> ?/, ""));
    } else if (current && part !== "after" && line.startsWith("<")) {
      const content = line.replace(/^< ?/, "");
      part = "received";
      // The blank line after the headers ends them.
      if (content.trim() === "") part = "after";
      else current.received.push(content);
    } else if (current && part === "after") current.body.push(line.replace(CURL_TRAILING_NOTE, ""));
  }
  if (exchanges.length === 0) throw new CaptureError(`${where}: no request line ("> GET /… HTTP/1.1") found`);
  const answered = exchanges.map((e) => ({ e, response: curlResponse(e, where) }));
  const chosen = [...answered].reverse().find((x) => (x.response?.status ?? 0) >= 400) ?? answered.at(-1)!;
  const request = parseRawHttp(chosen.e.sent.join("\n"), where);
  // curl names the port it reached: plain HTTP on port 80, whatever the host (Azurite's is told by the host).
  if (chosen.e.port === 80) request.url = request.url.replace(/^https:/i, "http:");
  return {
    request: withoutFormat(request),
    ...(chosen.response ? { response: chosen.response } : {}),
    format: "curl-verbose",
  };
}

/** The response curl printed for an exchange, read as raw HTTP is; undefined when none came. */
function curlResponse(e: CurlExchange, where: string): CapturedResponse | undefined {
  let body = e.body;
  // With -i the headers are printed again, unprefixed, before the body.
  if (/^HTTP\/[\d.]+\s+\d{3}/.test(body[0] ?? "")) {
    const blank = body.findIndex((l) => l.trim() === "");
    body = blank < 0 ? [] : body.slice(blank + 1);
  }
  const response = parseRawHttpResponse(
    [...e.received, "", body.join("\n").trim()].join("\n"),
    `${where} (the response curl printed)`,
  );
  return response.status === undefined ? undefined : response;
}

/** The Azure SDK for JavaScript's HTTP logging (AZURE_LOG_LEVEL=info): `azure:<package>:info Request: {`. */
const JS_SDK_LINE = /^(?:\S+ )?azure:[\w.-]+:(?:verbose|info|warning|error) (.*)$/;
const JS_SDK_REQUEST = /^(?:\S+ )?azure:[\w.-]+:(?:verbose|info|warning|error) Request: \{\s*$/m;

/**
 * The HTTP logging of the Azure SDK for JavaScript: each try's `Request: {…}` (url, method, headers) and
 * its `Response status code: N` and `Headers: {…}`, as pretty-printed JSON. The SDK hides the signature
 * and other secrets (`REDACTED`); the body is not logged. With retries, the last try answered 4xx or
 * 5xx is read, else the last.
 */
function parseJsSdkLog(text: string, where: string): CapturedExchange {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const tries: Array<{
    request: Record<string, unknown>;
    status?: number;
    headers?: Record<string, unknown>;
  }> = [];
  for (let i = 0; i < lines.length; i++) {
    const message = JS_SDK_LINE.exec(lines[i]!)?.[1];
    if (message === undefined) continue;
    const block = (): Record<string, unknown> => {
      // Pretty-printed: the object ends at the first `}` alone at the start of a line.
      let end = i + 1;
      while (end < lines.length && lines[end] !== "}") end++;
      if (end >= lines.length)
        throw new CaptureError(`${where}:${i + 1}: the logged object does not end (a "}" line)`);
      const json = ["{", ...lines.slice(i + 1, end + 1)].join("\n");
      const at = i + 1;
      i = end;
      try {
        return JSON.parse(json) as Record<string, unknown>;
      } catch (err) {
        throw new CaptureError(`${where}:${at}: the logged object is not JSON (${(err as Error).message})`);
      }
    };
    if (/^Request: \{\s*$/.test(message)) tries.push({ request: block() });
    else if (tries.length > 0) {
      const status = /^Response status code: (\d{3})/.exec(message);
      if (status) tries.at(-1)!.status = Number(status[1]);
      else if (/^Headers: \{\s*$/.test(message)) tries.at(-1)!.headers = block();
    }
  }
  const chosen = [...tries].reverse().find((t) => (t.status ?? 0) >= 400) ?? tries.at(-1);
  if (!chosen) throw new CaptureError(`${where}: no "Request: {" line found`);
  const { url, method } = chosen.request;
  if (typeof url !== "string") throw new CaptureError(`${where}: the logged request has no url`);
  return {
    request: {
      method: typeof method === "string" ? method.toUpperCase() : "GET",
      url,
      headers: headersFromUnknown(chosen.request["headers"], where),
    },
    ...(chosen.status === undefined
      ? {}
      : { response: { status: chosen.status, headers: headersFromUnknown(chosen.headers, where) } }),
    format: "sdk-log",
  };
}

function withoutFormat(r: ParsedRequest): CapturedExchange["request"] {
  const { format: _format, ...rest } = r;
  return rest;
}

/** Where a raw session's response starts: a status line (`HTTP/1.1 403 …`) after a blank line. */
const RAW_ANSWER = /\r?\n[ \t]*\r?\n(?=HTTP\/\d(?:\.\d)? \d{3}\b)/;

/** Reads the request capture (which may also hold the response: HAR, SDK logs, curl -v, a raw session). */
export function parseRequestCapture(text: string, where: string): CapturedExchange {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed.length === 0) throw new CaptureError(`${where}: the file is empty`);
  if (trimmed.startsWith("{")) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new CaptureError(`${where}: looks like JSON but does not parse (${(err as Error).message})`);
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc))
      throw new CaptureError(`${where}: expected a JSON object`);
    const entry = harEntry(doc as Record<string, unknown>, where) ?? (doc as Record<string, unknown>);
    const res = entry["response"];
    const request = parseRequestJson(
      JSON.stringify(entry["request"] ? { request: entry["request"] } : entry),
      where,
    );
    return {
      request: withoutFormat(request),
      response:
        res && typeof res === "object"
          ? responseFromJson(res as Record<string, unknown>, `${where} (response)`)
          : undefined,
      format: request.format,
    };
  }
  if (SDK_LOG_URL.test(trimmed)) return parseSdkLog(trimmed, where);
  if (JS_SDK_REQUEST.test(trimmed)) return parseJsSdkLog(trimmed, where);
  if (CURL_REQUEST_LINE.test(trimmed) && CURL_NOTE_OR_ANSWER.test(trimmed))
    return parseCurlVerbose(trimmed, where);
  // A raw session (Fiddler, Burp, a paste of both): the response's status line after a blank line.
  const answer = RAW_ANSWER.exec(trimmed);
  const request = parseRawHttp(answer ? trimmed.slice(0, answer.index) : trimmed, where);
  return {
    request: withoutFormat(request),
    ...(answer
      ? { response: parseRawHttpResponse(trimmed.slice(answer.index).trimStart(), `${where} (the response)`) }
      : {}),
    format: request.format,
  };
}

/**
 * Reads every request of a capture: a HAR file yields one exchange per entry (in order); any other shape
 * yields the one request `parseRequestCapture` reads.
 */
export function parseRequestCaptures(text: string, where: string): CapturedExchange[] {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed.startsWith("{")) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new CaptureError(
        `${where}: looks like JSON but does not parse (${(err as Error).message}); was the capture cut off?`,
      );
    }
    const entries = (doc as { log?: { entries?: unknown } } | null)?.log?.entries;
    if (Array.isArray(entries)) {
      if (entries.length === 0) throw new CaptureError(`${where}: the HAR file has no entries`);
      return entries.map((entry, i) =>
        parseRequestCapture(JSON.stringify(entry), `${where} (entry ${i + 1})`),
      );
    }
  }
  return [parseRequestCapture(text, where)];
}

/** Reads a separate response capture: raw HTTP, JSON, or just the XML error body. */
export function parseResponseCapture(text: string, where: string): CapturedResponse {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed.startsWith("{")) {
    try {
      return responseFromJson(JSON.parse(trimmed) as Record<string, unknown>, where);
    } catch (err) {
      throw new CaptureError(`${where}: looks like JSON but does not parse (${(err as Error).message})`);
    }
  }
  return parseRawHttpResponse(trimmed, where);
}

export interface StorageError {
  code?: string;
  /** AuthenticationErrorDetail, MAC redacted. */
  authenticationErrorDetail?: string;
  /** The server's Shared Key string-to-sign, when the detail carries one. */
  stringToSign?: string;
  /** The `Time:` stamp of the error: when the server rejected the request. */
  timeMs?: number;
}

/** The storage error from the body (XML or JSON, via the signature diagnostics' parser) and x-ms-error-code. */
export function storageErrorOf(res: CapturedResponse | undefined): StorageError {
  if (!res) return {};
  const parsed = res.body ? parseServerAuthError(res.body) : undefined;
  const timeMs = parsed?.time ? Date.parse(parsed.time) : NaN;
  return {
    code: header(res.headers, "x-ms-error-code") ?? parsed?.errorCode,
    authenticationErrorDetail: parsed?.detail,
    stringToSign: parsed?.stringToSign,
    timeMs: Number.isNaN(timeMs) ? undefined : timeMs,
  };
}
