import { sanitizeOutbound } from "../redact.js";

/**
 * Framework-neutral HTTP response used by every dashboard handler, so the local node:http server and the
 * Azure Functions entry points send byte-identical answers with the same security headers.
 */
export interface DashboardResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** Headers every dashboard response carries: no sniffing, no framing, no referrer (the page URL may hold a key). */
export const BASE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** JSON is data, never a document: a browser that opens it directly gets no script or style. */
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/**
 * JSON.stringify, then escape the characters that let JSON be sniffed or spliced as HTML/JS: `<`, `>`,
 * `&` and the JS line terminators U+2028/U+2029. The escapes are valid JSON, so every parser reads the
 * same value back.
 */
export function safeJsonStringify(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function jsonResponse(
  status: number,
  value: unknown,
  extraHeaders: Record<string, string> = {},
): DashboardResponse {
  return {
    status,
    headers: {
      ...BASE_SECURITY_HEADERS,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Security-Policy": JSON_CSP,
      "Cache-Control": "no-store",
      ...extraHeaders,
    },
    // The redaction boundary: every JSON answer (incidents, errors) is sanitized here, once.
    body: safeJsonStringify(sanitizeOutbound(value)),
  };
}

/** Error body shape of every 4xx/5xx JSON answer. */
export interface ApiError {
  error: "bad-request" | "not-found" | "method-not-allowed" | "misdirected-request" | "internal";
  message: string;
  /** Per-parameter problems for bad queries: which parameter and what to fix. */
  issues?: Array<{ parameter: string; problem: string }>;
}

export function errorResponse(
  status: number,
  error: ApiError,
  extraHeaders: Record<string, string> = {},
): DashboardResponse {
  return jsonResponse(status, error, extraHeaders);
}
