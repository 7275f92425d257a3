import { parseRawHttp } from "../../signature/index.js";
import {
  CaptureError,
  withoutFormat,
  type CapturedExchange,
  type CapturedResponse,
  lastFailedTry,
} from "./exchange.js";
import { parseRawHttpResponse } from "./raw-http.js";

/** `curl -v` output: a request line sent (`> GET /c/b HTTP/1.1`) and curl's notes or the answer. */
export const CURL_REQUEST_LINE = /^> ?[A-Za-z]+ \S+ HTTP\/[\d.]+[ \t]*$/m;
export const CURL_NOTE_OR_ANSWER = /^(?:\* |< ?HTTP\/)/m;
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
export function parseCurlVerbose(text: string, where: string): CapturedExchange {
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
  const chosen = lastFailedTry(answered, (x) => x.response?.status)!;
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
