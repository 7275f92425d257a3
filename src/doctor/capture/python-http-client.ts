import { parseRawHttp } from "../../signature/index.js";
import { CaptureError, withoutFormat, type CapturedExchange, type CapturedResponse } from "./exchange.js";

/**
 * What Python's http.client prints with `HTTPConnection.debuglevel = 1`, the way people debug a Storage
 * call they sign themselves with `requests`: `send: b'PUT /c/b HTTP/1.1\r\nHost: …\r\n…\r\n\r\n'` (the
 * request as a bytes literal, its body in a `send:` of its own), then `reply: 'HTTP/1.1 403 …\r\n'` and
 * one `header: Name: value` line per header. http.client does not print the answer's body; the XML error
 * a program prints after it (`print(r.text)`) is read as the body.
 */
export const PYTHON_HTTP_CLIENT = /^send: b(['"])[A-Z]+ \S+ HTTP\/\d/m;
const SEND = /^send: b(['"])((?:\\.|(?!\1).)*)\1\s*$/;
const REPLY = /^reply: (['"])(HTTP\/[\d.]+ \d{3}.*?)(?:\\r\\n)?\1\s*$/;
const HEADER = /^header: ([^:]+):[ \t]?(.*)$/;

/** A Python bytes literal's text: its escapes undone, then its bytes read as UTF-8 (what HTTP/1.1 sent). */
function unescapePython(literal: string): string {
  const bytes = latin1Escapes(literal);
  return new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0) & 0xff));
}

/** A Python bytes literal's escapes, as the bytes they stand for (one character per byte). */
function latin1Escapes(literal: string): string {
  return literal.replace(/\\(x[0-9a-fA-F]{2}|[\\'"abfnrtv0])/g, (_, e: string) => {
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    return {
      "\\": "\\",
      "'": "'",
      '"': '"',
      a: "\x07",
      b: "\b",
      f: "\f",
      n: "\n",
      r: "\r",
      t: "\t",
      v: "\v",
      0: "\0",
    }[e]!;
  });
}

interface Scanned {
  sends: Array<{ line: number; text: string }>;
  /** The last reply 4xx or 5xx (a retry or a redirect may come first), else the last one. */
  failed?: { line: number; response: CapturedResponse };
}

function scan(text: string): Scanned {
  const sends: Scanned["sends"] = [];
  const replies: Array<{ line: number; response: CapturedResponse; bodyLines: string[] }> = [];
  let open: (typeof replies)[number] | undefined;
  text
    .replace(/\r\n/g, "\n")
    .split("\n")
    .forEach((l, i) => {
      const send = SEND.exec(l);
      const reply = REPLY.exec(l);
      const header = HEADER.exec(l);
      if (send) {
        open = undefined;
        sends.push({ line: i + 1, text: unescapePython(send[2]!) });
      } else if (reply) {
        const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(reply[2]!)![1]);
        open = { line: i + 1, response: { status, headers: [] }, bodyLines: [] };
        replies.push(open);
      } else if (header && open && open.bodyLines.length === 0) {
        open.response.headers.push({ name: header[1]!.trim(), value: header[2]!.trim() });
      } else if (open && (open.bodyLines.length > 0 || l.trim() !== "")) {
        // Blank lines inside the body are its own (a string-to-sign quoted in the error has many).
        open.bodyLines.push(l);
      }
    });
  const failed = replies.findLast((r) => (r.response.status ?? 0) >= 400) ?? replies.at(-1);
  if (failed && failed.bodyLines.length > 0) failed.response.body = failed.bodyLines.join("\n").trimEnd();
  return { sends, ...(failed ? { failed } : {}) };
}

/** The answer of a paste holding only http.client's `reply:` and `header:` lines (and the body after). */
export function readPythonHttpClientReply(text: string): CapturedResponse | undefined {
  return /^reply: (['"])HTTP\//m.test(text) ? scan(text).failed?.response : undefined;
}

export function parsePythonHttpClient(text: string, where: string): CapturedExchange {
  const { sends, failed } = scan(text);
  // A request is one `send:` with its head; a body goes in the `send:` after it.
  const head = sends
    .filter((s) => /^[A-Z]+ \S+ HTTP\/\d/.test(s.text) && (!failed || s.line < failed.line))
    .at(-1);
  if (!head)
    throw new CaptureError(
      `${where}: no "send: b'METHOD /path HTTP/1.1…'" line${failed ? " before the reply" : ""}`,
    );
  const [headText] = head.text.split("\r\n\r\n");
  const request = parseRawHttp(headText!.replace(/\r\n/g, "\n"), `${where}:${head.line}`);
  return {
    request: withoutFormat(request),
    ...(failed ? { response: failed.response } : {}),
    format: "sdk-log",
  };
}
