import type { HttpHeader } from "../../signature/index.js";
import { CaptureError, type CapturedExchange, type CapturedResponse, lastFailedTry } from "./exchange.js";

/**
 * The Azure SDK for .NET: the HTTP logging of Azure.Core's event source and the text of a
 * RequestFailedException, as a program prints them.
 *
 * The log comes in two shapes. `AzureEventSourceListener.CreateConsoleLogger()` prefixes each event with
 * its level and source (`[Informational] Azure-Core: Request [id] GET url`, headers on the lines after);
 * a Microsoft.Extensions.Logging console logger (ASP.NET, Functions, `AzureEventSourceLogForwarder`)
 * writes `info: Azure.Core[1]` and then the event indented by six spaces. Either way an event is
 * `Request [id] METHOD url` or `Response|Error response [id] STATUS reason (N.Ns)`, each followed by
 * its headers as `Name:value`; secrets and most header values are `REDACTED`, and bodies are logged only
 * when content logging is on (`… [id] content: …`).
 *
 * The exception's text (`Status: 403 (…)`, `ErrorCode: …`, `Content:` with the XML error, `Headers:`)
 * carries the body the log leaves out, with the server's AuthenticationErrorDetail.
 */

/** The console listener's prefix: `[<EventLevel>] <event source>: `. */
const LISTENER_PREFIX = /^\[(?:LogAlways|Critical|Error|Warning|Informational|Verbose)\] [\w.-]+: /;
/** A Microsoft.Extensions.Logging console entry's first line: `info: Azure.Core[1]`. */
const ILOGGER_ENTRY = /^(?:trce|dbug|info|warn|fail|crit): [\w.]+\[\d+\]\s*$/;
/** The console formatter's indent of an entry's message. */
const ILOGGER_INDENT = "      ";
const REQUEST_EVENT = /^Request \[([^\]]+)\] ([A-Za-z]+) (\S+)\s*$/;
const RESPONSE_EVENT = /^(?:Error response|Response) \[([^\]]+)\] (\d{3})\b/;
const CONTENT_EVENT = /^(?:Error response|Response) \[([^\]]+)\] content: ?(.*)$/;
/** A logged header: `Name:value` (the name a token, so `client assembly: …` ends the list). */
const LOGGED_HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):(.*)$/;

/** Whether `text` holds a request event of Azure.Core's HTTP logging, in either shape. */
export const DOTNET_SDK_REQUEST = new RegExp(
  `^(?:${LISTENER_PREFIX.source.slice(1)}|${ILOGGER_INDENT})Request \\[[^\\]]+\\] [A-Za-z]+ \\S+\\s*$`,
  "m",
);

interface LoggedEvent {
  /** The event's message, line by line; `line` is where it starts in the file (1-based). */
  lines: string[];
  line: number;
}

/** The events of the log, in order, whichever of the two shapes wrote them. */
function eventsOf(lines: string[]): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  let current: LoggedEvent | undefined;
  let indented = false;
  lines.forEach((line, i) => {
    const prefix = LISTENER_PREFIX.exec(line);
    if (prefix) {
      events.push((current = { lines: [line.slice(prefix[0].length)], line: i + 1 }));
      indented = false;
    } else if (ILOGGER_ENTRY.test(line)) {
      events.push((current = { lines: [], line: i + 2 }));
      indented = true;
    } else if (current && indented) {
      if (line.startsWith(ILOGGER_INDENT)) current.lines.push(line.slice(ILOGGER_INDENT.length));
      else if (line.trim() === "") current.lines.push("");
      else current = undefined;
    } else if (current) current.lines.push(line);
  });
  return events;
}

/** The headers logged after an event's first line, up to the first line that is not one. */
function loggedHeaders(event: LoggedEvent): HttpHeader[] {
  const headers: HttpHeader[] = [];
  for (const line of event.lines.slice(1)) {
    const m = LOGGED_HEADER.exec(line);
    if (!m) break;
    headers.push({ name: m[1]!, value: m[2]!.trim() });
  }
  return headers;
}

interface LoggedTry {
  id: string;
  method: string;
  url: string;
  headers: HttpHeader[];
  response?: CapturedResponse;
}

/**
 * The exchange of a .NET SDK log: the last try answered 4xx or 5xx, else the last try. Its body is the
 * logged content when content logging was on, else the Content of the exception's text when the log
 * holds one for the same status.
 */
export function parseDotnetSdkLog(text: string, where: string): CapturedExchange {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const tries: LoggedTry[] = [];
  for (const event of eventsOf(lines)) {
    const first = event.lines[0] ?? "";
    const request = REQUEST_EVENT.exec(first);
    if (request) {
      tries.push({
        id: request[1]!,
        method: request[2]!.toUpperCase(),
        url: request[3]!,
        headers: loggedHeaders(event),
      });
      continue;
    }
    // Retries keep the request's id: an answer belongs to the latest try with its id.
    const content = CONTENT_EVENT.exec(first);
    const answered = tries.findLast((t) => t.id === (content ?? RESPONSE_EVENT.exec(first))?.[1]);
    if (!answered) continue;
    if (content) {
      const body = [content[2]!, ...event.lines.slice(1)].join("\n").trim();
      if (answered.response && body) answered.response.body = body;
    } else {
      const status = Number(RESPONSE_EVENT.exec(first)![2]);
      answered.response = { status, headers: loggedHeaders(event) };
    }
  }
  const chosen = lastFailedTry(tries, (t) => t.response?.status);
  if (!chosen) throw new CaptureError(`${where}: no "Request [id] METHOD url" event found`);
  const exception = parseRequestFailedException(text, where);
  let response = chosen.response;
  if (exception && (response === undefined || response.status === exception.status)) {
    response = response ?? exception;
    if (response.body === undefined && exception.body !== undefined) response.body = exception.body;
  }
  return {
    request: { method: chosen.method, url: chosen.url, headers: chosen.headers },
    ...(response ? { response } : {}),
    format: "sdk-log",
  };
}

/** The status line of a RequestFailedException's text: `Status: 403 (reason)`. */
const REQUEST_FAILED_STATUS = /^Status: (\d{3})(?: \(.*\))?\s*$/m;

/**
 * The response a RequestFailedException's text describes: its status, the XML or JSON error under
 * `Content:` and the headers under `Headers:` (`Name: value`, up to a blank line or the stack trace).
 * Undefined when the text holds no `Status: NNN` line.
 */
export function parseRequestFailedException(text: string, where: string): CapturedResponse | undefined {
  const normalized = text.replace(/\r\n/g, "\n");
  const status = REQUEST_FAILED_STATUS.exec(normalized);
  if (!status) return undefined;
  const lines = normalized.slice(status.index).split("\n");
  const firstLine = normalized.slice(0, status.index).split("\n").length;
  const contentAt = lines.indexOf("Content:");
  const headersAt = lines.indexOf("Headers:");
  let body: string | undefined;
  if (contentAt >= 0) {
    const end = headersAt > contentAt ? headersAt : lines.length;
    body =
      lines
        .slice(contentAt + 1, end)
        .join("\n")
        .trim() || undefined;
  }
  const headers: HttpHeader[] = [];
  if (headersAt >= 0) {
    for (let i = headersAt + 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === "" || /^\s+at /.test(line)) break;
      const colon = line.indexOf(":");
      if (colon <= 0)
        throw new CaptureError(`${where}:${firstLine + i}: under "Headers:" expected "Name: value"`);
      headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
    }
  }
  // The exception's own `ErrorCode:` line, for a paste cut before its Content and Headers.
  const code = /^ErrorCode: ?(\w+)[ \t]*$/m.exec(
    lines.slice(0, contentAt >= 0 ? contentAt : undefined).join("\n"),
  )?.[1];
  if (code && !headers.some((h) => h.name.toLowerCase() === "x-ms-error-code"))
    headers.push({ name: "x-ms-error-code", value: code });
  return { status: Number(status[1]), headers, ...(body === undefined ? {} : { body }) };
}
