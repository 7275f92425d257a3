/**
 * One captured HTTP request, parsed from what a user can paste: raw HTTP text (request line, headers,
 * optional body; `curl -v` style "> " prefixes are accepted), JSON `{method, url, headers, body?}` with
 * headers as an object or as an array of pairs (so duplicates survive), or a HAR entry `{request: …}`.
 *
 * Pure (no `node:` imports): the dashboard loads it in a browser, and the request doctor reuses it.
 */
import { z } from "zod";

export interface HttpHeader {
  name: string;
  value: string;
}

export interface ParsedRequest {
  /** Upper-case HTTP verb. */
  method: string;
  /** Absolute URL; path and query keep the encoding they were sent with. */
  url: string;
  /** Headers in the order given; duplicates are kept (the signature rules treat them as an error). */
  headers: HttpHeader[];
  body?: string;
  /** Which input shape it came from. */
  format: "http" | "json" | "har";
}

/** A request that could not be parsed: names the source, the line (raw HTTP) and the field. */
export class RequestInputError extends Error {
  override name = "RequestInputError";
  constructor(
    readonly source: string,
    readonly reason: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super(`${source}${line !== undefined ? `:${line}` : ""}: ${field ? `${field}: ` : ""}${reason}`);
  }
}

const METHOD_RE = /^[A-Za-z]+$/;
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** All values of a header (case-insensitive), in order. */
export function headerValues(request: Pick<ParsedRequest, "headers">, name: string): string[] {
  const lower = name.toLowerCase();
  return request.headers.filter((h) => h.name.toLowerCase() === lower).map((h) => h.value);
}

/** The first value of a header, or undefined when absent. */
export function headerValue(request: Pick<ParsedRequest, "headers">, name: string): string | undefined {
  return headerValues(request, name)[0];
}

/**
 * Parses a pasted request in any supported shape. JSON is recognised by a leading `{`; everything else
 * is read as raw HTTP. `source` names the file (or "stdin") in error messages.
 */
export function parseRequestText(text: string, source = "request"): ParsedRequest {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  if (trimmed.length === 0) throw new RequestInputError(source, "the request is empty");
  if (trimmed.startsWith("{")) return parseRequestJson(trimmed, source);
  return parseRawHttp(text.replace(/^\uFEFF/, ""), source);
}

// ---------------------------------------------------------------------------------------------------
// Raw HTTP

export function parseRawHttp(text: string, source = "request"): ParsedRequest {
  const rawLines = text.split(/\r?\n/);
  // curl -v prints outgoing lines as "> …"; accept that as long as every non-blank line has it.
  const curlStyle = rawLines.filter((l) => l.trim() !== "").every((l) => l.startsWith(">"));
  const lines = curlStyle ? rawLines.map((l) => l.replace(/^> ?/, "")) : rawLines;

  let index = 0;
  while (index < lines.length && lines[index]!.trim() === "") index++;
  if (index >= lines.length) throw new RequestInputError(source, "the request is empty");
  const requestLineNumber = index + 1;
  const requestLine = lines[index]!.trim();
  const parts = requestLine.split(/\s+/);
  if (parts.length < 2 || parts.length > 3) {
    throw new RequestInputError(
      source,
      `expected a request line like "GET /container/blob HTTP/1.1", got "${truncate(requestLine)}"`,
      requestLineNumber,
      "request line",
    );
  }
  const [method, target] = parts as [string, string];
  if (!METHOD_RE.test(method)) {
    throw new RequestInputError(
      source,
      `"${truncate(method)}" is not an HTTP method`,
      requestLineNumber,
      "method",
    );
  }
  if (parts[2] !== undefined && !/^HTTP\/\d(\.\d)?$/i.test(parts[2])) {
    throw new RequestInputError(
      source,
      `expected "HTTP/1.1" at the end of the request line, got "${truncate(parts[2])}"`,
      requestLineNumber,
      "request line",
    );
  }
  index++;

  const headers: HttpHeader[] = [];
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === "") {
      index++;
      break;
    }
    const lineNumber = index + 1;
    if (/^[ \t]/.test(line)) {
      // obs-fold: a continuation of the previous header's value.
      const previous = headers[headers.length - 1];
      if (!previous) {
        throw new RequestInputError(
          source,
          "a continuation line has no header before it",
          lineNumber,
          "header",
        );
      }
      previous.value = `${previous.value} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new RequestInputError(
        source,
        `expected "Name: value", got "${truncate(line)}"`,
        lineNumber,
        "header",
      );
    }
    const name = line.slice(0, colon).trim();
    if (!HEADER_NAME_RE.test(name)) {
      throw new RequestInputError(
        source,
        `"${truncate(name)}" is not a valid header name`,
        lineNumber,
        "header",
      );
    }
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  const bodyText = lines.slice(index).join("\n");
  const url = absoluteUrl(target, headers, source, requestLineNumber);
  return {
    method: method.toUpperCase(),
    url,
    headers,
    ...(bodyText.length > 0 ? { body: bodyText } : {}),
    format: "http",
  };
}

function absoluteUrl(target: string, headers: HttpHeader[], source: string, line: number): string {
  if (/^https?:\/\//i.test(target)) {
    assertUrl(target, source, line, "request target");
    return target;
  }
  if (!target.startsWith("/")) {
    throw new RequestInputError(
      source,
      `the request target must be a path ("/container/blob") or an absolute URL, got "${truncate(target)}"`,
      line,
      "request target",
    );
  }
  const host = headerValue({ headers }, "host");
  if (!host) {
    throw new RequestInputError(
      source,
      "the request target is a path, so a Host header is needed to know the account",
      line,
      "Host",
    );
  }
  const scheme = /^(127\.|localhost|\[::1\])/i.test(host) ? "http" : "https";
  const url = `${scheme}://${host}${target}`;
  assertUrl(url, source, line, "Host");
  return url;
}

function assertUrl(url: string, source: string, line: number | undefined, field: string): void {
  try {
    new URL(url);
  } catch {
    throw new RequestInputError(source, `"${truncate(url)}" is not a valid URL`, line, field);
  }
}

// ---------------------------------------------------------------------------------------------------
// JSON and HAR

const headerScalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const headersSchema = z.union([
  z.record(z.string(), z.union([headerScalar, z.array(headerScalar)])),
  z.array(
    z.union([z.tuple([z.string(), headerScalar]), z.object({ name: z.string(), value: headerScalar })]),
  ),
]);
const jsonRequestSchema = z.object({
  method: z.string().regex(METHOD_RE, "must be an HTTP method such as GET or PUT"),
  url: z.string().min(1),
  headers: headersSchema.optional(),
  body: z.string().optional(),
});
const harEntrySchema = z.object({
  request: z.object({
    method: z.string().regex(METHOD_RE, "must be an HTTP method such as GET or PUT"),
    url: z.string().min(1),
    headers: z.array(z.object({ name: z.string(), value: headerScalar })).optional(),
    postData: z.object({ text: z.string().optional() }).optional(),
  }),
});

export function parseRequestJson(text: string, source = "request"): ParsedRequest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new RequestInputError(
      source,
      `not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const isHar = typeof data === "object" && data !== null && "request" in data && !("method" in data);
  if (isHar) {
    const har = harEntrySchema.safeParse(data);
    if (!har.success) throw zodInputError(source, har.error, "request.");
    const r = har.data.request;
    const headers = (r.headers ?? []).map((h) => ({ name: h.name, value: h.value.trim() }));
    return finishJson(source, r.method, r.url, headers, r.postData?.text, "har");
  }
  const parsed = jsonRequestSchema.safeParse(data);
  if (!parsed.success) throw zodInputError(source, parsed.error, "");
  const { method, url, body } = parsed.data;
  const headers: HttpHeader[] = [];
  const raw = parsed.data.headers;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      if (Array.isArray(entry)) headers.push({ name: entry[0], value: entry[1].trim() });
      else headers.push({ name: entry.name, value: entry.value.trim() });
    }
  } else if (raw) {
    for (const [name, value] of Object.entries(raw)) {
      for (const v of Array.isArray(value) ? value : [value]) headers.push({ name, value: v.trim() });
    }
  }
  return finishJson(source, method, url, headers, body, "json");
}

function finishJson(
  source: string,
  method: string,
  url: string,
  headers: HttpHeader[],
  body: string | undefined,
  format: "json" | "har",
): ParsedRequest {
  for (const h of headers) {
    if (!HEADER_NAME_RE.test(h.name)) {
      throw new RequestInputError(
        source,
        `"${truncate(h.name)}" is not a valid header name`,
        undefined,
        "headers",
      );
    }
  }
  const absolute = /^https?:\/\//i.test(url)
    ? url
    : url.startsWith("/")
      ? relativeToHost(url, headers, source)
      : url;
  assertUrl(absolute, source, undefined, "url");
  return {
    method: method.toUpperCase(),
    url: absolute,
    headers,
    ...(body !== undefined && body.length > 0 ? { body } : {}),
    format,
  };
}

function relativeToHost(path: string, headers: HttpHeader[], source: string): string {
  const host = headerValue({ headers }, "host");
  if (!host) {
    throw new RequestInputError(
      source,
      "url is a path, so a Host header is needed to know the account",
      undefined,
      "url",
    );
  }
  return `https://${host}${path}`;
}

function zodInputError(source: string, error: z.ZodError, prefix: string): RequestInputError {
  const issue = error.issues[0];
  const field =
    issue && issue.path.length > 0 ? prefix + issue.path.join(".") : prefix.replace(/\.$/, "") || "request";
  return new RequestInputError(source, issue?.message ?? "invalid request", undefined, field);
}

function truncate(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
