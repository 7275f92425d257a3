/**
 * Reads a captured request/response pair in the shapes people actually have: raw HTTP text, JSON
 * ({method,url,headers} / {status,headers,body}), a HAR file or entry, or the HTTP logging of the Azure
 * SDKs that `az … --debug` prints. The format is detected, not configured.
 */
export type HeaderList = Array<[name: string, value: string]>;

export interface CapturedRequest {
  method: string;
  /** Absolute URL as sent (still percent-encoded). */
  url: string;
  headers: HeaderList;
  body?: string;
}

export interface CapturedResponse {
  status?: number;
  headers: HeaderList;
  body?: string;
}

export interface CapturedExchange {
  request: CapturedRequest;
  response?: CapturedResponse;
  /** Which format the request was read from. */
  format: "http" | "json" | "har" | "sdk-log";
}

export class CaptureError extends Error {
  override name = "CaptureError";
}

export function header(headers: HeaderList, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function headerAll(headers: HeaderList, name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

function headersFromUnknown(h: unknown, where: string): HeaderList {
  if (h === undefined || h === null) return [];
  if (Array.isArray(h)) {
    return h.map((entry, i) => {
      if (Array.isArray(entry) && entry.length === 2) return [String(entry[0]), String(entry[1])];
      if (entry && typeof entry === "object" && "name" in entry && "value" in entry) {
        const e = entry as { name: unknown; value: unknown };
        return [String(e.name), String(e.value)];
      }
      throw new CaptureError(`${where}: header ${i + 1} is neither [name, value] nor {name, value}`);
    });
  }
  if (typeof h === "object") {
    const out: HeaderList = [];
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      if (Array.isArray(v)) for (const item of v) out.push([k, String(item)]);
      else out.push([k, String(v)]);
    }
    return out;
  }
  throw new CaptureError(`${where}: headers must be an object or a list`);
}

/** Makes a request-line target absolute using the Host header. */
function absoluteUrl(target: string, headers: HeaderList, where: string): string {
  if (/^https?:\/\//i.test(target)) return target;
  const host = header(headers, "host");
  if (!host)
    throw new CaptureError(`${where}: the request line has a relative target (${target}) and no Host header`);
  const scheme = /:(80|10000|10001|10002)$/.test(host) || /^(localhost|127\.)/.test(host) ? "http" : "https";
  return `${scheme}://${host}${target.startsWith("/") ? "" : "/"}${target}`;
}

function splitHead(text: string): { head: string[]; body?: string } {
  const normalized = text.replace(/\r\n/g, "\n");
  const idx = normalized.indexOf("\n\n");
  const headPart = idx >= 0 ? normalized.slice(0, idx) : normalized;
  const body = idx >= 0 ? normalized.slice(idx + 2) : undefined;
  return { head: headPart.split("\n"), body: body && body.length > 0 ? body : undefined };
}

function parseHeaderLines(lines: string[], where: string, firstLine: number): HeaderList {
  const headers: HeaderList = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    if (/^[ \t]/.test(line) && headers.length > 0) {
      // Obsolete line folding: continuation of the previous header.
      const last = headers[headers.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      return;
    }
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new CaptureError(
        `${where} line ${firstLine + i}: expected "Name: value", got ${JSON.stringify(line.slice(0, 60))}`,
      );
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  });
  return headers;
}

export function parseRawHttpRequest(text: string, where: string): CapturedRequest {
  const { head, body } = splitHead(text.replace(/^\uFEFF/, "").trimStart());
  const requestLine = head[0] ?? "";
  const m = /^([A-Z]+)\s+(\S+)(?:\s+HTTP\/[\d.]+)?\s*$/.exec(requestLine);
  if (!m)
    throw new CaptureError(`${where} line 1: expected a request line like "GET /container/blob HTTP/1.1"`);
  const headers = parseHeaderLines(head.slice(1), where, 2);
  return { method: m[1]!, url: absoluteUrl(m[2]!, headers, where), headers, body };
}

export function parseRawHttpResponse(text: string, where: string): CapturedResponse {
  const { head, body } = splitHead(text.replace(/^\uFEFF/, "").trimStart());
  const m = /^HTTP\/[\d.]+\s+(\d{3})/.exec(head[0] ?? "");
  if (!m) {
    // Only a body (e.g. the XML error pasted alone).
    return { headers: [], body: text.trim() };
  }
  return { status: Number(m[1]), headers: parseHeaderLines(head.slice(1), where, 2), body };
}

function requestFromJson(obj: Record<string, unknown>, where: string): CapturedRequest {
  const method = obj["method"];
  const url = obj["url"];
  if (typeof method !== "string" || method.length === 0)
    throw new CaptureError(`${where}: field "method" must be a non-empty string`);
  if (typeof url !== "string") throw new CaptureError(`${where}: field "url" must be a string`);
  const headers = headersFromUnknown(obj["headers"], where);
  const body = typeof obj["body"] === "string" ? obj["body"] : undefined;
  return { method: method.toUpperCase(), url: absoluteUrl(url, headers, where), headers, body };
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
  const requestHeaders: HeaderList = [];
  const responseHeaders: HeaderList = [];
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
    if (hm && section !== "none")
      (section === "request" ? requestHeaders : responseHeaders).push([hm[1]!, hm[2]!]);
  }
  return {
    request: { method, url, headers: requestHeaders },
    response: status !== undefined ? { status, headers: responseHeaders } : undefined,
    format: "sdk-log",
  };
}

/** Reads the request capture (which may also hold the response: HAR, SDK logs). */
export function parseRequestCapture(text: string, where: string): CapturedExchange {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed.length === 0) throw new CaptureError(`${where}: the file is empty`);
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new CaptureError(`${where}: looks like JSON but does not parse (${(err as Error).message})`);
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc))
      throw new CaptureError(`${where}: expected a JSON object`);
    const entry = harEntry(doc as Record<string, unknown>, where);
    if (entry) {
      const req = entry["request"] as Record<string, unknown>;
      const res = entry["response"] as Record<string, unknown> | undefined;
      return {
        request: requestFromJson(req, `${where} (HAR request)`),
        response: res ? responseFromJson(res, `${where} (HAR response)`) : undefined,
        format: "har",
      };
    }
    const obj = doc as Record<string, unknown>;
    return {
      request: requestFromJson(obj, where),
      response:
        obj["response"] && typeof obj["response"] === "object"
          ? responseFromJson(obj["response"] as Record<string, unknown>, `${where} (response)`)
          : undefined,
      format: "json",
    };
  }
  if (SDK_LOG_URL.test(trimmed)) return parseSdkLog(trimmed, where);
  return { request: parseRawHttpRequest(trimmed, where), format: "http" };
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
  message?: string;
  authenticationErrorDetail?: string;
  /** The `Time:` stamp inside Message. */
  timeMs?: number;
}

function xmlText(body: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(body);
  return m
    ? m[1]!
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, "&")
    : undefined;
}

/** The storage error from the body (XML or JSON) and the x-ms-error-code header. */
export function storageErrorOf(res: CapturedResponse | undefined): StorageError {
  if (!res) return {};
  const out: StorageError = { code: header(res.headers, "x-ms-error-code") };
  const body = res.body ?? "";
  if (body.includes("<Error")) {
    out.code ??= xmlText(body, "Code");
    out.message = xmlText(body, "Message");
    out.authenticationErrorDetail = xmlText(body, "AuthenticationErrorDetail");
  } else if (body.trim().startsWith("{")) {
    try {
      const j = JSON.parse(body) as { "odata.error"?: { code?: string; message?: { value?: string } } };
      out.code ??= j["odata.error"]?.code;
      out.message = j["odata.error"]?.message?.value;
    } catch {
      /* not JSON after all: keep what the headers said */
    }
  }
  const time = out.message ? /Time:(\S+)/.exec(out.message)?.[1] : undefined;
  if (time && !Number.isNaN(Date.parse(time))) out.timeMs = Date.parse(time);
  return out;
}
