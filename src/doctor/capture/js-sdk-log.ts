import { CaptureError, headersFromUnknown, type CapturedExchange, lastFailedTry } from "./exchange.js";

/** The Azure SDK for JavaScript's HTTP logging (AZURE_LOG_LEVEL=info): `azure:<package>:info Request: {`. */
const JS_SDK_LINE = /^(?:\S+ )?azure:[\w.-]+:(?:verbose|info|warning|error) (.*)$/;
export const JS_SDK_REQUEST = /^(?:\S+ )?azure:[\w.-]+:(?:verbose|info|warning|error) Request: \{\s*$/m;

/**
 * The HTTP logging of the Azure SDK for JavaScript: each try's `Request: {…}` (url, method, headers) and
 * its `Response status code: N` and `Headers: {…}`, as pretty-printed JSON. The SDK hides the signature
 * and other secrets (`REDACTED`); the body is not logged. With retries, the last try answered 4xx or
 * 5xx is read, else the last.
 */
export function parseJsSdkLog(text: string, where: string): CapturedExchange {
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
  const chosen = lastFailedTry(tries, (t) => t.status);
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
