import {
  CaptureError,
  checkedRequest,
  headersFromUnknown,
  pairs,
  type CapturedExchange,
} from "./exchange.js";

/**
 * A call of `fetch` with a URL and options: what a browser's "Copy as fetch" gives (Chrome and Edge,
 * also "for Node.js"; Firefox's starts with `await`). The options are a JSON object (headers, body,
 * method). It holds the request only; the answer comes with --response.
 */
export const FETCH_CALL = /^(?:await\s+)?fetch\s*\(/;

const WHOLE_CALL = /^(?:await\s+)?fetch\(\s*("(?:[^"\\]|\\.)*")\s*(?:,\s*(\{[\s\S]*\}))?\s*\)\s*;?$/;

export function parseFetchCall(text: string, where: string): CapturedExchange {
  const m = WHOLE_CALL.exec(text.trim());
  if (!m)
    throw new CaptureError(
      `${where}: a call of fetch, but not as the browser copies it (a double-quoted URL, then a JSON options object)`,
    );
  let url: string;
  try {
    url = JSON.parse(m[1]!) as string;
  } catch (err) {
    throw new CaptureError(`${where}: the URL is not a JSON string (${(err as Error).message})`);
  }
  let options: Record<string, unknown> = {};
  if (m[2]) {
    try {
      options = JSON.parse(m[2]) as Record<string, unknown>;
    } catch (err) {
      throw new CaptureError(`${where}: the fetch options are not JSON (${(err as Error).message})`);
    }
  }
  const method = typeof options["method"] === "string" ? options["method"] : "GET";
  const body = typeof options["body"] === "string" ? options["body"] : undefined;
  const headers = pairs(headersFromUnknown(options["headers"], `${where}: headers`));
  return { request: checkedRequest({ method, url, headers, body }, where), format: "fetch-call" };
}
