import { describeSecretUrl, redactSecrets, sanitizeOutbound } from "../redact.js";

/**
 * One HTTP POST of a JSON notification, classified for the retry stage (Alertmanager's notifiers return
 * "retry?" with the error; this is the same idea). Never puts the URL in an error: it carries the secret.
 */
export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; status?: number; retryAfterMs?: number; error: string };

export interface PostOptions {
  timeoutMs: number;
  idempotencyKey: string;
  /** For tests: now, to read an HTTP-date Retry-After. */
  nowMs?: number;
}

export type Sender = (body: unknown, options: PostOptions) => Promise<DeliveryResult>;

const RETRYABLE_STATUS = new Set([408, 429]);

/** Retry-After as delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

export function httpSender(url: string): Sender {
  return async (body, options) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": options.idempotencyKey },
        // The redaction boundary: whatever a caller built, what goes on the wire is sanitized.
        body: JSON.stringify(sanitizeOutbound(body)),
        signal: AbortSignal.timeout(options.timeoutMs),
        // Not followed (a POST re-sent elsewhere could leak the card), and not "error": fetch would
        // report that as a network error, which is retried every run forever.
        redirect: "manual",
      });
    } catch (err) {
      return { ok: false, retryable: true, error: describeNetworkError(err, options.timeoutMs) };
    }
    // Drain the body so the connection is reused; its text may explain a 4xx (e.g. a flow error).
    const text = await res.text().catch(() => "");
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    if (res.status >= 300 && res.status < 400) {
      // Permanent: the same URL will redirect again. The Location may carry a secret in its query.
      const location = res.headers.get("location");
      return {
        ok: false,
        retryable: false,
        status: res.status,
        error: `HTTP ${res.status}: the webhook URL redirects${location ? ` to ${describeSecretUrl(new URL(location, url).href)}` : ""}; redirects are not followed: configure the final URL`,
      };
    }
    const retryable = RETRYABLE_STATUS.has(res.status) || res.status >= 500;
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), options.nowMs ?? Date.now());
    const result: DeliveryResult = {
      ok: false,
      retryable,
      status: res.status,
      error: redactSecrets(`HTTP ${res.status}${text ? ": " + text.slice(0, 300).replace(/\s+/g, " ") : ""}`),
    };
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
    return result;
  };
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `timed out after ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  // Messages from undici name host:port at most; redact anyway in case a proxy echoes the URL.
  return redactSecrets(`network error: ${cause ?? e?.message ?? String(err)}`);
}
