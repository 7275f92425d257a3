import { decodeBase64Utf8 } from "../base64.js";
import { rawSessionText } from "./raw-http.js";

/**
 * Charles Proxy's JSON session (File > Export Session > JSON Session File, `.chlsj`): a list of
 * transactions, each with its `scheme`, `host`, `actualPort`, `path` and `query`, and the request and
 * response as `header` (`firstLine`, `headers`) and `body` (`text`, or base64 in `encoded`). Each one
 * becomes the raw text of its request, the absolute URL on the request line (Charles records HTTP/2's
 * without a Host header), followed by its response, in session order. A CONNECT (`tunnel`) is only the
 * tunnel Charles opened: left out, the calls it decrypted are transactions of their own.
 */

interface Part {
  header?: { firstLine?: unknown; headers?: unknown };
  body?: { text?: unknown; encoded?: unknown };
}

interface Transaction {
  method?: unknown;
  scheme?: unknown;
  host?: unknown;
  actualPort?: unknown;
  path?: unknown;
  query?: unknown;
  tunnel?: unknown;
  request?: Part;
  response?: Part & { status?: unknown };
}

/** Whether parsed JSON is a Charles session: a list of transactions naming their host and scheme. */
export function isCharlesSession(doc: unknown): doc is Transaction[] {
  if (!Array.isArray(doc) || doc.length === 0) return false;
  const first = doc[0] as Transaction | null;
  return typeof first === "object" && first !== null && typeof first.host === "string" && "request" in first;
}

export interface CharlesTransaction {
  /** Its place in the session, from 1. */
  number: number;
  text: string;
}

function headerLines(part: Part | undefined): string[] {
  const headers = part?.header?.headers;
  if (!Array.isArray(headers)) return [];
  return (
    headers
      .filter(
        (h): h is { name: string; value: unknown } => typeof (h as { name?: unknown })?.name === "string",
      )
      // HTTP/2's pseudo-headers (:authority, :path…) are on the request line already.
      .filter((h) => !h.name.startsWith(":"))
      .map((h) => `${h.name}: ${String(h.value ?? "")}`)
  );
}

function bodyOf(part: Part | undefined): string {
  const body = part?.body;
  if (typeof body?.text === "string") return body.text;
  if (typeof body?.encoded === "string") return decodeBase64Utf8(body.encoded);
  return "";
}

function urlOf(t: Transaction): string {
  const scheme = typeof t.scheme === "string" ? t.scheme : "https";
  const port = typeof t.actualPort === "number" ? t.actualPort : undefined;
  const defaultPort = scheme === "http" ? 80 : 443;
  const path = typeof t.path === "string" && t.path.startsWith("/") ? t.path : "/";
  const query = typeof t.query === "string" && t.query !== "" ? `?${t.query}` : "";
  return `${scheme}://${String(t.host)}${port !== undefined && port !== defaultPort ? `:${port}` : ""}${path}${query}`;
}

/** Each transaction (but the tunnels) as a raw session: the request, then its response when recorded. */
export function charlesTransactions(session: readonly Transaction[]): CharlesTransaction[] {
  const out: CharlesTransaction[] = [];
  session.forEach((t, i) => {
    const method = typeof t.method === "string" ? t.method : "GET";
    if (t.tunnel === true || method.toUpperCase() === "CONNECT") return;
    const request = [`${method} ${urlOf(t)} HTTP/1.1`, ...headerLines(t.request)].join("\r\n");
    const status = t.response?.status;
    let response: string | undefined;
    if (typeof status === "number") {
      const firstLine = t.response?.header?.firstLine;
      const reason = typeof firstLine === "string" ? firstLine.replace(/^HTTP\/\S+\s+\d{3}\s*/, "") : "";
      const head = [`HTTP/1.1 ${status}${reason ? ` ${reason}` : ""}`, ...headerLines(t.response)];
      response = `${head.join("\r\n")}\r\n\r\n${bodyOf(t.response)}`;
    }
    out.push({ number: i + 1, text: rawSessionText(`${request}\r\n\r\n${bodyOf(t.request)}`, response) });
  });
  return out;
}
