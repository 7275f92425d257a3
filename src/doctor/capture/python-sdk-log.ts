import type { HttpHeader } from "../../signature/index.js";
import { CaptureError, type CapturedExchange } from "./exchange.js";

/**
 * The HTTP logging of the Azure SDK for Python (azure-core's HttpLoggingPolicy), which is also what
 * `az … --debug` prints: `Request URL: '…'`, `Request method: '…'`, `Request headers:` and
 * `Response status: N`, `Response headers:`, each header as `    'name': 'value'`.
 */
export const SDK_LOG_URL = /Request URL:\s*'([^']+)'/;

/** The last request that has a 4xx or 5xx response, else the last request. */
export function parsePythonSdkLog(text: string, where: string): CapturedExchange {
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
